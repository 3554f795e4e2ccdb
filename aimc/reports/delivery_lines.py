"""What `explain` says about how an engine gets its model and its GPUs, when that is not the default download and the
device plugin: an OCI model image (render/model_image.py), the shared cache's download Job (render/download.py), DRA
claims (render/claims.py). The same functions as the renderers decide, so the two cannot disagree."""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import cache, claims, download
from aimc.resolve.model_source import MOUNT_PATH, source_for


def job_names(endpoints, inventory: Inventory | None) -> dict[tuple[str, str, str], str]:
    """(namespace, checkpoint, revision) -> the name of the download Job rendered for it (one engine of those that
    share it runs it: render/download.py)."""
    out = {}
    for job, _ in download.render_jobs(endpoints, inventory):
        meta = job["metadata"]
        out[(meta.get("namespace", ""), meta["annotations"][download.MODEL_ANNOTATION],
             meta["annotations"][download.REVISION_ANNOTATION])] = meta["name"]
    return out


def lines(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None,
          jobs: dict[tuple[str, str, str], str]) -> list[str]:
    out = []
    source = source_for(resolved.endpoint, inventory)
    if source is not None:
        where = "the inventory's spec.defaults.modelSources" if source.from_inventory else "spec.modelSource"
        folder = f" (folder {source.path})" if source.path else ""
        out.append(f"model: OCI image {source.image}{folder} mounted read-only at {MOUNT_PATH} ({where}); "
                   "no download, no token")
    elif download.applies(resolved, inventory):
        key = (resolved.namespace or "", download.checkpoint(engine), download.revision(engine))
        out.append(f"model: downloaded once by Job {jobs[key]} into the shared cache "
                   f"{cache.claim_name(download.checkpoint(engine))} (revision {download.revision(engine)}); "
                   "the pods wait for it and run offline")
    if claims.uses_dra(engine):
        device_class = engine.pool.device_class or claims.DEFAULT_DEVICE_CLASS
        out.append(f"GPUs: DRA claim per pod of {claims.pod_gpus(engine)} device(s) of class {device_class} "
                   f"({claims.selector_expression(engine.pool)}), template {claims.template_name(resolved, engine)}")
    return out
