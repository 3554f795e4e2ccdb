"""Metrics scraping: a Prometheus-operator PodMonitor per endpoint when the inventory says the cluster runs it.

Both engines serve `/metrics` on the `http` port (SGLang only with `--enable-metrics`, which aimc always sets).
Without `spec.monitoring.prometheusOperator: true` nothing is rendered: no `prometheus.io/*` annotations that
pretend a scraper reads them.
"""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint
from aimc.render import labels as L

SCRAPE_INTERVAL = "30s"


def enabled(inventory: Inventory | None) -> bool:
    return inventory is not None and inventory.monitoring.prometheus_operator


def render(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[dict]:
    if not enabled(inventory):
        return []
    return [{
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": L.metadata(resolved.endpoint.name, resolved),
        "spec": {
            "selector": {"matchLabels": L.selector(resolved)},
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }]
