"""How aimc rolls out a new version of an engine, as a record of the plan (model/plan.py `Rollout`) that render and
the capacity plan both read.

GPUs are the scarce resource: a rolling update must never need more GPUs than the capacity plan counted for an
endpoint (replicas × GPUs per replica). So aimc renders `strategy: RollingUpdate` with `maxSurge: 0` and
`maxUnavailable: 1`: Kubernetes first stops one old pod, which frees its GPUs, then starts its replacement on them.

The cost is one replica less while each pod is replaced (a single-replica endpoint is briefly unavailable). The
alternative, a surge pod, would need `replicas + 1` pods' worth of GPUs; on a full node pool the surge pod stays
Pending forever and, with one replica, the rollout deadlocks: the old pod waits for the new one to become ready,
the new one waits for the old one's GPUs.
"""

from __future__ import annotations

from aimc.model.plan import Rollout

# Extra pods a rollout may create above the desired replica count (Deployment maxSurge). The capacity plan adds
# SURGE_PODS × GPUs per replica to each engine's peak; with 0 a rollout needs no GPU beyond the plan.
SURGE_PODS = 0

# Pods a rollout may take down at once (Deployment maxUnavailable). Must be ≥ 1 when SURGE_PODS is 0, or a rollout
# could never start.
MAX_UNAVAILABLE = 1


def plan() -> Rollout:
    """The rollout of one engine, the same for a Deployment's pods and a LeaderWorkerSet's groups of whole nodes:
    one replica stopped, then replaced; never a surge replica."""
    return Rollout(max_surge=SURGE_PODS, max_unavailable=MAX_UNAVAILABLE)
