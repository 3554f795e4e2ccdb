"""Warnings about multi-node groups that resolved but may run badly (README, "Multi-node serving"):

- the pool declares no `network`: RCCL falls back to whatever interface it finds first, without RDMA, so the
  group's collectives may be slow or use the wrong network;
- no shared model cache (`spec.modelCache` absent, or the endpoint opts out): every pod of every group downloads the
  whole checkpoint into its own emptyDir.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory


def warnings(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    if inventory is None:
        return []
    out: list[Diagnostic] = []
    warned_pools: set[str] = set()
    for resolved in endpoints:
        origin = resolved.endpoint.origin
        for engine in resolved.engines:
            group = engine.group
            if group is None:
                continue
            pool = engine.pool
            if pool.network is None and pool.name not in warned_pools:
                warned_pools.add(pool.name)
                out.append(Diagnostic(
                    pool.origin.file, pool.origin.line_of("spec", "nodePools", pool.index),
                    f"spec.nodePools[{pool.index}]",
                    f"node pool '{pool.name}' runs multi-node groups ({resolved.endpoint.name}: {group.nodes} nodes) "
                    "but declares no network: set network.interfaces (and network.rdmaResource for RDMA) so RCCL "
                    "uses the nodes' fast interconnect", "warning"))
            if inventory.model_cache is None or not resolved.endpoint.use_model_cache:
                out.append(Diagnostic(
                    origin.file, origin.line_of("metadata", "name"), "metadata.name",
                    f"{resolved.endpoint.name} ({engine.role + ' ' if engine.role else ''}{engine.engine}) runs groups "
                    f"of {group.nodes} pods without a shared "
                    "model cache: every pod downloads the whole checkpoint; set spec.modelCache in the "
                    "ClusterInventory (a ReadWriteMany claim is shared by the group)", "warning"))
    return out
