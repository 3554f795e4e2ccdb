"""Capacity plan: GPUs and whole nodes each node pool must provide, at minimum and at maximum replicas, against what
it has.

Repository-wide and pure: resolved endpoints and the inventory in, a plan and diagnostics out. Per engine,
min = GPUs per pod × minimum replicas and max = GPUs per pod × (maximum replicas + the pods a rolling update may add,
read from the rendered Deployment's strategy). Replicas are autoScaling.minReplicas / maxReplicas when autoscaling
is enabled, else `replicas`. Capacity is gpusPerNode × nodeCount: whole-pool totals, not a bin-packing simulation
(each pod already fits one node: selection checks GPU count ≤ gpusPerNode). A multi-node group (resolve/groups.py)
takes whole nodes: a replica is `pods_per_replica` pods of a whole node's GPUs, and the pool also needs its groups'
nodes plus the other pods' GPUs packed onto whole nodes (at maximum replicas and during a rolling update).
"""

from __future__ import annotations

import json

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory, NodePool
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import Record


class Demand(Record):
    endpoint: str
    namespace: str | None
    engine: str
    pool: str
    gpus_per_pod: int
    min_replicas: int
    max_replicas: int
    surge_pods: int  # replicas (pods, or groups) a rolling update may add
    source: str  # file:line of the endpoint
    pods_per_replica: int = 1  # a multi-node group: its nodes, each pod taking a whole node
    pinned: bool = False  # the endpoint names its pool (spec.nodePool): reordering the inventory does not move it

    @property
    def group(self) -> bool:
        return self.pods_per_replica > 1

    @property
    def min_gpus(self) -> int:
        return self.gpus_per_pod * self.pods_per_replica * self.min_replicas

    @property
    def max_gpus(self) -> int:
        return self.gpus_per_pod * self.pods_per_replica * (self.max_replicas + self.surge_pods)

    @property
    def name(self) -> str:
        return f"{self.namespace}/{self.endpoint}" if self.namespace else self.endpoint


class PoolPlan(Record):
    pool: NodePool
    demands: tuple[Demand, ...]

    @property
    def min_gpus(self) -> int:
        return sum(d.min_gpus for d in self.demands)

    @property
    def max_gpus(self) -> int:
        return sum(d.max_gpus for d in self.demands)

    def _nodes(self, gpus_of, nodes_of) -> int:
        """Whole nodes: every group takes its nodes with all their GPUs; the other pods are counted as packed
        tightly on the remaining nodes (the least they need)."""
        shared = sum(gpus_of(d) for d in self.demands if not d.group)
        return sum(nodes_of(d) for d in self.demands if d.group) + -(-shared // self.pool.gpus_per_node)

    @property
    def min_nodes(self) -> int:
        return self._nodes(lambda d: d.min_gpus, lambda d: d.pods_per_replica * d.min_replicas)

    @property
    def max_nodes(self) -> int:
        return self._nodes(lambda d: d.max_gpus, lambda d: d.pods_per_replica * (d.max_replicas + d.surge_pods))

    @property
    def overcommitted(self) -> bool:
        # With other pods packed tightly, max_nodes > node_count exactly when max_gpus > capacity (a group's GPUs are
        # its whole nodes): the GPU total decides, and the report shows both.
        return self.max_gpus > self.pool.capacity


def plan(endpoints: tuple[ResolvedEndpoint, ...], inventory: Inventory) -> tuple[PoolPlan, ...]:
    """One entry per node pool, in inventory order; demands in endpoint order."""
    by_pool: dict[str, list[Demand]] = {p.name: [] for p in inventory.pools}
    for resolved in endpoints:
        for engine in resolved.engines:
            by_pool.setdefault(engine.pool.name, []).append(demand(resolved, engine))
    return tuple(PoolPlan(p, tuple(by_pool[p.name])) for p in inventory.pools)


def demand(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> Demand:
    # The engine's own endpoint: a disaggregated role's view scales on its own (and is counted as engine/role).
    scaling = engine.endpoint.autoscaling
    low, high = (scaling.min_replicas, scaling.max_replicas) if scaling.enabled else (engine.replicas, engine.replicas)
    origin = resolved.endpoint.origin
    pinned = resolved.endpoint.node_pool is not None
    if engine.group is not None:  # groups of whole nodes, surging whole groups
        return Demand(resolved.endpoint.name, resolved.namespace, _engine_label(engine), engine.pool.name,
                      engine.group.gpus_per_node, low, high, engine.rollout.max_surge, f"{origin.file}:{origin.line}",
                      engine.group.nodes, pinned)
    # The surge the Deployment is rendered with: render reads the same plan value.
    return Demand(resolved.endpoint.name, resolved.namespace, _engine_label(engine), engine.pool.name, engine.gpu_count,
                  low, high, engine.rollout.max_surge, f"{origin.file}:{origin.line}", pinned=pinned)


def _engine_label(engine: ResolvedEngine) -> str:
    return f"{engine.engine}/{engine.role}" if engine.role else engine.engine


def overcommit_diagnostics(plans: tuple[PoolPlan, ...], allow: bool) -> list[Diagnostic]:
    """A pool whose maximum demand exceeds its GPUs: an error naming the pool and its endpoints (a warning with
    --allow-overcommit): the pods beyond capacity would stay Pending."""
    out = []
    for entry in plans:
        if not entry.overcommitted:
            continue
        pool = entry.pool
        users = ", ".join(f"{d.name} ({d.engine}) {d.max_gpus}" + (
            f" in groups of {d.pods_per_replica} nodes" if d.group else "") for d in entry.demands if d.max_gpus)
        nodes = "s" if pool.node_count != 1 else ""
        message = (f"node pool '{pool.name}' is overcommitted: up to {entry.max_gpus} GPUs requested ({users}), "
                   f"{pool.capacity} available ({pool.gpus_per_node} per node × {pool.node_count} node{nodes}); ")
        # With --allow-overcommit given, the warning must not advise passing it: the pods beyond capacity stay
        # Pending, and only nodes or fewer replicas change that.
        message += ("the pods beyond capacity stay Pending until nodes are added or replicas lowered (allowed by "
                    "--allow-overcommit)" if allow else
                    "add nodes, lower replicas or maxReplicas, or pass --allow-overcommit")
        message += " (`aimc plan` shows the demand)"
        index = pool.index
        diagnostic = Diagnostic(pool.origin.file, pool.origin.line_of("spec", "nodePools", index),
                                f"spec.nodePools[{index}]", message)
        out.append(diagnostic.as_warning() if allow else diagnostic)
    return out


# -- reports ------------------------------------------------------------------------------------------------

def as_json(plans: tuple[PoolPlan, ...]) -> str:
    pools, endpoints = [], []
    for entry in plans:
        pool = entry.pool
        pools.append({
            "name": pool.name, "hardware": pool.hardware, "gpusPerNode": pool.gpus_per_node,
            "nodeCount": pool.node_count, "capacity": pool.capacity, "minGPUs": entry.min_gpus,
            "maxGPUs": entry.max_gpus, "minNodes": entry.min_nodes, "maxNodes": entry.max_nodes,
            "overcommitted": entry.overcommitted,
        })
        for d in entry.demands:
            endpoints.append({
                "endpoint": d.endpoint, "namespace": d.namespace, "engine": d.engine, "nodePool": d.pool,
                "nodePoolPinned": d.pinned,
                "gpusPerPod": d.gpus_per_pod, "podsPerReplica": d.pods_per_replica,
                "minReplicas": d.min_replicas, "maxReplicas": d.max_replicas,
                "surgePods": d.surge_pods, "minGPUs": d.min_gpus, "maxGPUs": d.max_gpus,
                "share": _share(d.max_gpus, pool.capacity),
            })
    return json.dumps({"nodePools": pools, "endpoints": endpoints}, indent=2, sort_keys=False) + "\n"


def as_text(plans: tuple[PoolPlan, ...]) -> str:
    pool_rows = [("NODE POOL", "HARDWARE", "NODES", "GPUS", "MIN", "MAX", "MAX NODES", "STATUS")]
    for entry in plans:
        pool = entry.pool
        status = f"OVERCOMMITTED by {entry.max_gpus - pool.capacity}" if entry.overcommitted else "ok"
        pool_rows.append((pool.name, pool.hardware, str(pool.node_count), str(pool.capacity), str(entry.min_gpus),
                          str(entry.max_gpus), str(entry.max_nodes), status))
    endpoint_rows = [("ENDPOINT", "ENGINE", "NODE POOL", "GPUS/POD", "PODS", "REPLICAS", "SURGE", "MIN", "MAX",
                      "SHARE")]
    for entry in plans:
        for d in entry.demands:
            replicas = str(d.min_replicas) if d.min_replicas == d.max_replicas else f"{d.min_replicas}-{d.max_replicas}"
            pool_shown = f"{d.pool} (spec.nodePool)" if d.pinned else d.pool
            endpoint_rows.append((d.name, d.engine, pool_shown, str(d.gpus_per_pod), str(d.pods_per_replica), replicas,
                                  str(d.surge_pods), str(d.min_gpus), str(d.max_gpus),
                                  f"{_share(d.max_gpus, entry.pool.capacity):.1f}%"))
    text = table(pool_rows, numeric={2, 3, 4, 5, 6})
    if len(endpoint_rows) > 1:
        text += "\n" + table(endpoint_rows, numeric={3, 4, 6, 7, 8, 9})
    return text


def _share(gpus: int, capacity: int) -> float:
    return round(100.0 * gpus / capacity, 1) if capacity else 0.0


def table(rows, numeric=frozenset()) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
