"""How aimc rolls out a new version of an engine Deployment, as numbers other modules can read.

GPUs are the scarce resource: a rolling update must never need more GPUs than the capacity plan counted for an
endpoint (replicas × GPUs per replica). So aimc renders `strategy: RollingUpdate` with `maxSurge: 0` and
`maxUnavailable: 1`: Kubernetes first stops one old pod, which frees its GPUs, then starts its replacement on them.

The cost is one replica less while each pod is replaced (a single-replica endpoint is briefly unavailable). The
alternative, a surge pod, would need `replicas + 1` pods' worth of GPUs; on a full node pool the surge pod stays
Pending forever and, with one replica, the rollout deadlocks: the old pod waits for the new one to become ready,
the new one waits for the old one's GPUs.
"""

from __future__ import annotations

import math

# Extra pods a rollout may create above the desired replica count (Deployment maxSurge). The capacity plan adds
# SURGE_PODS × GPUs per replica to each engine's peak; with 0 a rollout needs no GPU beyond the plan.
SURGE_PODS = 0

# Pods a rollout may take down at once (Deployment maxUnavailable). Must be ≥ 1 when SURGE_PODS is 0, or a rollout
# could never start.
MAX_UNAVAILABLE = 1


def strategy() -> dict:
    """The Deployment `spec.strategy` aimc renders."""
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": SURGE_PODS, "maxUnavailable": MAX_UNAVAILABLE}}


# Kubernetes' own default when a Deployment renders no strategy.
KUBERNETES_DEFAULT_MAX_SURGE = "25%"


def surge_pods(deployment: dict, replicas: int) -> int:
    """Extra pods a rolling update of this rendered Deployment may start at `replicas` replicas. The capacity plan
    reads the rendered strategy rather than trusting SURGE_PODS, so a Deployment rendered another way is counted as
    what it is (Kubernetes rounds a percentage of maxSurge up)."""
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", KUBERNETES_DEFAULT_MAX_SURGE)
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(replicas * float(surge[:-1]) / 100)
    return int(surge)
