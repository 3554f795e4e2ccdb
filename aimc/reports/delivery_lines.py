"""What `explain` says about how an engine gets its model and its GPUs, when that is not the default download and the
device plugin: an OCI model image (render/model_image.py), the shared cache's download Job (render/download.py), DRA
claims (render/claims.py). The same functions as the renderers decide, so the two cannot disagree; nothing here
depends on the other endpoints (explain of one endpoint says what the whole repository's says)."""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import cache, claims, download
from aimc.resolve.model_source import MOUNT_PATH, source_for


def lines(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> list[str]:
    out = []
    source = source_for(resolved.endpoint, inventory)
    if source is not None:
        where = "the inventory's spec.defaults.modelSources" if source.from_inventory else "spec.modelSource"
        folder = f" (folder {source.path})" if source.path else ""
        out.append(f"model: OCI image {source.image}{folder} mounted read-only at {MOUNT_PATH} ({where}); "
                   "no download, no token")
    elif download.applies(resolved, inventory):
        # The Job is named here by what it downloads, not by its name: which of the engines sharing it runs it (and
        # so its name's hash) depends on the whole repository, and explain of one endpoint must say the same.
        out.append(f"model: downloaded once into the shared cache {cache.claim_name(download.checkpoint(engine))} by "
                   f"its download Job for {download.checkpoint(engine)} at revision {download.revision(engine)} "
                   f"({download.NAME_PREFIX}...); the pods wait for it and run offline")
    if claims.uses_dra(engine):
        device_class = engine.pool.device_class or claims.DEFAULT_DEVICE_CLASS
        out.append(f"GPUs: DRA claim per pod of {claims.pod_gpus(engine)} device(s) of class {device_class} "
                   f"({claims.selector_expression(engine.pool)}), template {claims.template_name(resolved, engine)}")
    return out
