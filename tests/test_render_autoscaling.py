"""HPAs need a metrics adapter the inventory declares; the example prometheus-adapter rule serves what they read."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import REPO, SHARED_FIXTURES
from test_render import INVENTORY, build, endpoint

SCALED = "model: Qwen/Qwen3-32B\ngpuCount: 4\nautoScaling: {enabled: true, minReplicas: 1, maxReplicas: 2}"
RULES = yaml.safe_load((REPO / "examples/prometheus-adapter/values.yaml").read_text())


def test_an_hpa_without_a_declared_adapter_warns_and_fails_strict(aimc, tmp_path):
    result = build(aimc, tmp_path, {"q": endpoint("q", SCALED)})
    assert result.code == 0, result
    assert ("q.yaml:7: warning: spec.autoScaling: the HorizontalPodAutoscaler reads the custom metric "
            "vllm_num_requests_waiting through a metrics adapter that the ClusterInventory") in result.err
    assert "examples/prometheus-adapter/values.yaml" in result.err
    assert aimc("build", "--strict", str(tmp_path)).code == 1


def test_a_declared_adapter_or_keda_is_silent(aimc, tmp_path):
    declared = INVENTORY + "  monitoring: {prometheusAdapter: true}\n"
    assert "metrics adapter" not in build(aimc, tmp_path, {"q": endpoint("q", SCALED)}, declared).err
    keda = INVENTORY + "  monitoring: {prometheusServerAddress: 'http://prom.monitoring.svc:9090'}\n"
    result = build(aimc, tmp_path, {"q": endpoint("q", SCALED.replace("enabled: true", "enabled: true, "
                                                                      "provider: keda"))}, keda)
    assert result.code == 0 and "metrics adapter" not in result.err


def _served_name(series: str) -> str | None:
    """What prometheus-adapter serves for a series, by the example's rules (None: no rule exposes it)."""
    for rule in RULES["rules"]["custom"]:
        selector = re.search(r'__name__=~"([^"]+)"', rule["seriesQuery"]).group(1)
        if re.fullmatch(selector, series):
            assert {"namespace", "pod"} <= set(rule["resources"]["overrides"])  # an HPA Pods metric needs both
            replacement = re.sub(r"\$\{(\d+)\}", r"\\\1", rule["name"]["as"])
            return re.sub(rule["name"]["matches"], replacement, series)
    return None


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_the_example_adapter_rules_serve_every_gauge_an_hpa_may_read(engine):
    from aimc.render.autoscaling import METRIC_EQUIVALENTS, adapter_metric_name

    gauges = [row[engine] for row in METRIC_EQUIVALENTS[:3]]  # the histogram row needs a rate, not a gauge rule
    for series in gauges:
        assert _served_name(series) == adapter_metric_name(series)


def test_the_example_rule_serves_the_name_upstream_uses():
    """vLLM production-stack's example (../shared/fixtures/prometheus-adapter) names the default metric the same."""
    upstream = SHARED_FIXTURES / "prometheus-adapter" / "prom-adapter.yaml"
    if not upstream.exists():
        pytest.skip("shared fixtures not present")
    names = [r["name"]["as"] for r in yaml.safe_load(upstream.read_text())["rules"]["custom"]]
    assert _served_name("vllm:num_requests_waiting") in names


def test_the_example_inventory_declares_the_adapter(aimc):
    result = aimc("build", "examples/")
    assert result.code == 0 and "metrics adapter" not in result.err
