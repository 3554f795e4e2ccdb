"""The init container that puts an endpoint's LoRA adapters (spec.adapters) on the model cache before the engine
starts: the engines then load them from a local folder (resolve/lora_flags.py writes the paths).

With the inventory's shared model cache, an adapter is downloaded by the first pod that starts and found by every
later one (a marker file is written once the download is complete; a pod that finds it downloads nothing), like
the base model's weights. Without it the cache is the pod's emptyDir, so each pod downloads its adapters. The
container runs the engine's own image, whose huggingface_hub downloads the base model too, with the same token
(HF_TOKEN) and HF_HOME; an adapter already on the cache (cache://) is only checked to be there, so a missing one
fails the pod with its name instead of the engine failing later. Sources and paths are separate process
arguments, never shell text.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import cache, secrets
from aimc.resolve import lora_flags

CONTAINER_NAME = "fetch-adapters"
MARKER = ".aimc-fetched"
# argv after `-c`: groups of four (kind, source, revision, folder); kind "hf" downloads, "cache" checks.
SCRIPT = "\n".join((
    "import os, sys",
    "args = sys.argv[1:]",
    "for kind, source, revision, folder in zip(args[0::4], args[1::4], args[2::4], args[3::4]):",
    "    if kind == 'cache':",
    "        if not os.path.isfile(os.path.join(folder, 'adapter_config.json')):",
    "            sys.exit(f'adapter {source}: no adapter_config.json in {folder} on the model cache')",
    "        continue",
    f"    marker = os.path.join(folder, '{MARKER}')",
    "    if os.path.exists(marker):",
    "        continue",
    "    from huggingface_hub import snapshot_download",
    "    snapshot_download(repo_id=source, revision=revision or None, local_dir=folder)",
    "    open(marker, 'w').close()",
))
# A download needs a core and huggingface_hub's buffers, not the engine's resources.
RESOURCES = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}


def arguments(engine: ResolvedEngine) -> list[str]:
    out: list[str] = []
    for adapter in engine.endpoint.adapters:
        kind = "hf" if adapter.from_hub else "cache"
        out += [kind, adapter.repository or adapter.source, adapter.revision or "", lora_flags.adapter_path(adapter)]
    return out


def init_containers(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> list[dict]:
    if not resolved.endpoint.adapters:
        return []
    env = cache.env(engine) + secrets.token_env(resolved, inventory)
    return [{
        "name": CONTAINER_NAME,
        "image": engine.image,
        "command": ["python3", "-c", SCRIPT],
        "args": arguments(engine),
        "env": env,
        "resources": {k: dict(v) for k, v in RESOURCES.items()},
        "volumeMounts": [cache.mount(engine)],
        "securityContext": {"allowPrivilegeEscalation": False, "privileged": False,
                            "capabilities": {"drop": ["ALL"]}},
    }]


def problems(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """An adapter on the model cache (cache://) needs the shared cache: without it the pod's cache is an empty
    emptyDir and the adapter cannot be there."""
    out = []
    for resolved in endpoints:
        if cache.uses_pvc(resolved, inventory):
            continue
        origin = resolved.endpoint.origin
        why = ("the inventory declares no spec.modelCache" if cache.cache_settings(inventory) is None
               else "the endpoint sets spec.modelCache.enabled: false" if not resolved.endpoint.use_model_cache
               else "the model comes from an OCI image (spec.modelSource), so the endpoint mounts no model cache")
        out += [Diagnostic(origin.file, origin.line_of(*adapter.path, "source"),
                           f"spec.adapters[{adapter.index}].source",
                           f"adapter '{adapter.name}' is read from the model cache ({adapter.source}), but {why}: "
                           "its pods get an empty cache; use the shared model cache, or an hf:// source")
                for adapter in resolved.endpoint.adapters if not adapter.from_hub]
    return out
