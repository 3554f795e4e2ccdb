"""PodDisruptionBudgets: voluntary evictions (node drains, cluster upgrades) take one replica at a time.

Rendered per engine Deployment when it can have more than one replica (`replicas > 1`, or autoscaling with
`maxReplicas > 1`). With a single replica a budget would either block every drain (maxUnavailable 0) or allow
everything (1): none is rendered. Pods that are not ready yet (still loading a model) may always be evicted, so a
drain is never blocked by a pod that serves nothing.
"""

from __future__ import annotations

from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import labels as L

MAX_UNAVAILABLE = 1


def can_have_several_replicas(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> bool:
    scaling = resolved.endpoint.autoscaling
    return scaling.max_replicas > 1 if scaling.enabled else engine.replicas > 1


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[dict]:
    if not can_have_several_replicas(resolved, engine):
        return []
    return [{
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": L.metadata(L.engine_object_name(resolved, engine.engine), resolved, engine),
        "spec": {
            "maxUnavailable": MAX_UNAVAILABLE,
            "selector": {"matchLabels": L.selector(resolved, engine.engine)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }]
