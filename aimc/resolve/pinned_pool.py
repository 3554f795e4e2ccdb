"""`spec.nodePool`: the endpoint names the inventory's node pool it runs on, so that reordering pools of one GPU model
(`mi300x` and `mi300x-cpx`) never moves it. Checked before selection: a name the inventory lacks, or a pool whose GPU
contradicts `spec.hardware`, is an error at the field; a pool that fits no configuration is explained by the
selection error (resolve/selection_errors.py), which then points at `spec.nodePool`."""

from __future__ import annotations

from aimc.errors import Diagnostic, did_you_mean
from aimc.model.inputs import Endpoint, Inventory
from aimc.model.plan import Selection
from aimc.records import replace
from aimc.resolve.candidates import same_hardware


def problem(endpoint: Endpoint, inventory: Inventory | None) -> Diagnostic | None:
    name = endpoint.node_pool
    if name is None or inventory is None:
        return None
    origin = endpoint.origin
    line = origin.line_of("spec", "nodePool")
    pools = {p.name: p for p in inventory.pools}
    listing = ", ".join(f"{p.name} ({p.hardware})" for p in inventory.pools)
    where = f"{inventory.origin.file}:{inventory.origin.line}"
    if name not in pools:
        return Diagnostic(origin.file, line, "spec.nodePool",
                          f"no node pool '{name}' in the inventory ({where}){did_you_mean(name, pools)}; its node "
                          f"pools: {listing}")
    pool = pools[name]
    if endpoint.hardware and not same_hardware(endpoint.hardware, pool.hardware):
        return Diagnostic(origin.file, line, "spec.nodePool",
                          f"node pool '{name}' has {pool.hardware} GPUs, but spec.hardware asks for "
                          f"{endpoint.hardware}: remove spec.hardware (the pool decides it) or name a pool of "
                          f"{endpoint.hardware}; node pools: {listing}")
    return None


def unserved(diagnostic: Diagnostic, endpoint: Endpoint, inventory: Inventory, unpinned: Selection) -> Diagnostic:
    """The selection error of an endpoint pinned to a pool, with why the pool is at stake: what the pool is, and the
    configuration the endpoint would get without the pin (`unpinned`: the same selection on every pool)."""
    from aimc.resolve.selection_errors import EXPLAIN_HINT  # an error path: not loaded by a build that has none

    pool = next(p for p in inventory.pools if p.name == endpoint.node_pool)
    mode = f", {pool.partition.compute}/{pool.partition.memory}" if pool.partition else ""
    hint = EXPLAIN_HINT if diagnostic.message.endswith(EXPLAIN_HINT) else ""
    message = (f"{diagnostic.message.removesuffix(hint)}; node pool '{pool.name}' ({pool.hardware}{mode}, "
               f"{pool.gpus_per_node} GPUs per node) cannot serve it")
    chosen = unpinned.chosen
    if chosen is not None and chosen.pool is not None:
        message += (f"; node pool '{chosen.pool.name}' could ({chosen.recipe.id} {chosen.config.engine} "
                    f"{chosen.config.key}): name it in spec.nodePool, or remove spec.nodePool")
    return replace(diagnostic, message=message + hint)
