"""What `explain` says about how an engine gets its model and its GPUs, when that is not the default download and the
device plugin: an OCI model image (render/model_image.py), the shared cache's download Job (render/download.py), DRA
claims (render/claims.py). The same functions as the renderers decide, so the two cannot disagree; nothing here
depends on the other endpoints (explain of one endpoint says what the whole repository's says). The render package
(a quarter of explain's imports) is imported only for an engine on a DRA pool."""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.resolve import model_source


def lines(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> list[str]:
    out = []
    source = model_source.source_for(resolved.endpoint, inventory)
    if source is not None:
        where = "the inventory's spec.defaults.modelSources" if source.from_inventory else "spec.modelSource"
        folder = f" (folder {source.path})" if source.path else ""
        out.append(f"model: OCI image {source.image}{folder} mounted read-only at {model_source.MOUNT_PATH} "
                   f"({where}); no download, no token")
    elif model_source.shared_download(resolved.endpoint, inventory):
        # The Job is named by what it downloads, not by its name: which of the engines sharing it runs it (and so
        # its name's hash) depends on the whole repository.
        out.append(f"model: downloaded once into the shared model cache by its download Job for "
                   f"{model_source.checkpoint(engine)} at revision {model_source.revision(engine)}; the pods wait "
                   "for it and run offline")
    if engine.pool.uses_dra:
        from aimc.render import claims

        device_class = engine.pool.device_class or claims.DEFAULT_DEVICE_CLASS
        out.append(f"GPUs: DRA claim per pod of {claims.pod_gpus(engine)} device(s) of class {device_class} "
                   f"({claims.selector_expression(engine.pool)}), template {claims.template_name(resolved, engine)}")
    return out
