"""PodDisruptionBudgets: voluntary evictions (node drains, cluster upgrades) take one replica at a time.

Rendered per engine Deployment (or LeaderWorkerSet: replicas are groups) when it can have more than one replica
(`replicas > 1`, or autoscaling with `maxReplicas > 1`). With a single replica a budget would either block every
drain (maxUnavailable 0) or allow everything (1): none is rendered. Pods that are not ready yet (still loading a
model) may always be evicted, so a drain is never blocked by a pod that serves nothing.
"""

from __future__ import annotations

from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import labels as L

MAX_UNAVAILABLE = 1


def can_have_several_replicas(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> bool:
    scaling = resolved.endpoint.autoscaling
    return scaling.max_replicas > 1 if scaling.enabled else engine.replicas > 1


def _pods(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    """The engine's pods; for a LeaderWorkerSet every pod of every group (the controller labels them with its name):
    evicting any pod stops its whole group, so one pod at a time means one group at a time."""
    if engine.group is not None:
        return {"leaderworkerset.sigs.k8s.io/name": L.engine_object_name(resolved, engine.engine)}
    return L.selector(resolved, engine.engine)


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[dict]:
    if not can_have_several_replicas(resolved, engine):
        return []
    return [{
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": L.metadata(L.engine_object_name(resolved, engine.engine), resolved, engine),
        "spec": {
            "maxUnavailable": MAX_UNAVAILABLE,
            "selector": {"matchLabels": _pods(resolved, engine)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }]
