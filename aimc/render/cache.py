"""The model download cache: a PersistentVolumeClaim per model and namespace, or an emptyDir.

With `spec.modelCache` in the inventory, every endpoint (that does not opt out with `spec.modelCache.enabled: false`)
mounts a PVC named after the checkpoint it loads, at the engines' Hugging Face cache (`HF_HOME`). Endpoints of one
namespace that load the same checkpoint share one PVC, so the weights are downloaded once. Without a cache, the same
path is an emptyDir: the weights live as long as the pod.
"""

from __future__ import annotations

import math
import re

from aimc.catalog.model_facts import builtin_catalog
from aimc.digest import sha256_hex
from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory, ModelCache
from aimc.model.origin import Origin
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import sizing
from aimc.resolve import fit_lora, lora_flags
from aimc.resolve.model_source import SHARED_ACCESS_MODE, source_for

VOLUME_NAME = "model-cache"
# Where huggingface_hub (used by both engines to download weights) keeps its cache when HF_HOME is set. The engine
# images run as root, whose default cache is the same path: reusing it keeps cached paths familiar. The adapters'
# paths on the engines' command lines start there too (resolve/lora_flags.py).
HF_HOME = {"vllm": lora_flags.HF_HOME, "sglang": lora_flags.HF_HOME}
DEFAULT_ACCESS_MODE = SHARED_ACCESS_MODE  # several pods, on several nodes, share one model's cache
CACHE_HEADROOM = 1.2  # tokenizer, config and a partial download next to the weights
CACHE_MIN_GI = 20
CACHE_UNKNOWN_MODEL_SIZE = "500Gi"
NAME_PREFIX = "model-cache-"
MAX_NAME = 63


def cache_settings(inventory: Inventory | None) -> ModelCache | None:
    return inventory.model_cache if inventory is not None else None


def uses_pvc(resolved: ResolvedEndpoint, inventory: Inventory | None) -> bool:
    """An endpoint whose model comes in an OCI image (resolve/model_source.py) downloads nothing: no cache claim."""
    return (cache_settings(inventory) is not None and resolved.endpoint.use_model_cache
            and source_for(resolved.endpoint, inventory) is None)


def claim_name(checkpoint: str) -> str:
    """A DNS-1123 label from the checkpoint id, e.g. `model-cache-qwen-qwen3-32b`; a short hash when truncated."""
    slug = re.sub(r"[^a-z0-9]+", "-", checkpoint.lower()).strip("-")
    name = NAME_PREFIX + slug
    if len(name) <= MAX_NAME:
        return name
    digest = sha256_hex(checkpoint)[:8]
    return name[:MAX_NAME - len(digest) - 1].rstrip("-") + "-" + digest


def volume(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None, models=None) -> dict:
    if uses_pvc(resolved, inventory):
        return {"name": VOLUME_NAME, "persistentVolumeClaim": {"claimName": claim_name(engine.recipe.huggingface_id
                                                                                      or engine.endpoint.model)}}
    size = scratch_size(resolved, engine, inventory, models)
    return {"name": VOLUME_NAME, "emptyDir": {"sizeLimit": size} if size else {}}


def scratch_size(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None,
                 models=None) -> str | None:
    """Without a shared cache the weights land on the node's ephemeral storage: the emptyDir's sizeLimit and the
    container's ephemeral-storage request, sized like a cache claim, so the scheduler picks a node with room for them
    (instead of evicting the pod mid-download). None when the model has no facts: a guess could make the pod
    unschedulable."""
    if uses_pvc(resolved, inventory) or source_for(resolved.endpoint, inventory) is not None or \
            sizing.weight_gb(engine, models) is None:
        return None
    return default_size(engine, models, resolved.endpoint.adapters)


def mount(engine: ResolvedEngine) -> dict:
    return {"name": VOLUME_NAME, "mountPath": HF_HOME[engine.engine]}


def env(engine: ResolvedEngine) -> list[dict]:
    return [{"name": "HF_HOME", "value": HF_HOME[engine.engine]}]


def render_claims(endpoints, inventory: Inventory | None, models=None) -> list[tuple[dict, Origin]]:
    """One PVC per (namespace, checkpoint), with the origin of the first endpoint that uses it."""
    settings = cache_settings(inventory)
    if settings is None:
        return []
    claims: dict = {}
    adapters: dict = {}  # the adapters each claim holds, by their folder: several endpoints may share one
    for resolved in endpoints:
        if not uses_pvc(resolved, inventory):
            continue
        for engine in resolved.engines:
            checkpoint = engine.recipe.huggingface_id or engine.endpoint.model
            key = (resolved.namespace, claim_name(checkpoint))
            claims.setdefault(key, (checkpoint, engine, resolved.endpoint.origin))
            adapters.setdefault(key, {}).update({a.cache_path: a for a in resolved.endpoint.adapters})
    out = []
    for key in sorted(claims, key=lambda k: (k[0] or "", k[1])):
        checkpoint, engine, origin = claims[key]
        held = tuple(adapters[key][path] for path in sorted(adapters[key]))
        out.append((_claim(key[1], key[0], checkpoint, engine, settings, models, held), origin))
    return out


def _claim(name: str, namespace: str | None, checkpoint: str, engine: ResolvedEngine, settings: ModelCache,
           models=None, adapters=()) -> dict:
    metadata: dict = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {
        "app.kubernetes.io/name": "aim-model-cache",
        "app.kubernetes.io/component": "model-cache",
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
    }
    metadata["annotations"] = {"aim.engine.amd.com/model": checkpoint}
    spec: dict = {"accessModes": [_access_mode(settings)]}
    if settings.storage_class_name:
        spec["storageClassName"] = settings.storage_class_name
    spec["resources"] = {"requests": {"storage": settings.size or default_size(engine, models, adapters)}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def _access_mode(settings: ModelCache) -> str:
    return settings.access_mode if settings.access_mode is not None else DEFAULT_ACCESS_MODE


def default_size(engine: ResolvedEngine, models=None, adapters=()) -> str:
    """Weights (and the LoRA adapters downloaded beside them, resolve/fit_lora.py) × 1.2 in GiB, rounded up to
    10 Gi, at least 20 Gi; 500Gi for a model missing from the catalog."""
    gb = sizing.weight_gb(engine, models)
    if gb is None:
        return CACHE_UNKNOWN_MODEL_SIZE
    model = (models if models is not None else builtin_catalog()).lookup(
        engine.endpoint.model, engine.recipe.huggingface_id, engine.recipe.model_id)
    extra = fit_lora.download_bytes(model, adapters) if adapters and model is not None else 0.0
    gib = (gb * 1e9 + extra) / 2**30 * CACHE_HEADROOM
    return f"{max(CACHE_MIN_GI, math.ceil(gib / 10) * 10)}Gi"


def sharing_warnings(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """ReadWriteOnce binds a volume to one node: pods of a shared cache on other nodes would stay Pending."""
    settings = cache_settings(inventory)
    if inventory is None or settings is None or _access_mode(settings) not in ("ReadWriteOnce", "ReadWriteOncePod"):
        return []
    users: dict = {}
    for resolved in endpoints:
        if not uses_pvc(resolved, inventory):
            continue
        for engine in resolved.engines:
            key = (resolved.namespace, claim_name(engine.recipe.huggingface_id or engine.endpoint.model))
            most = (resolved.endpoint.autoscaling.max_replicas if resolved.endpoint.autoscaling.enabled
                    else engine.replicas) * (engine.group.nodes if engine.group else 1)  # a group: all its pods
            users.setdefault(key, []).append((resolved, most))
    origin = inventory.origin
    out = []
    for (_namespace, name), entries in sorted(users.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        pods = sum(most for _, most in entries)
        if pods > 1:
            names = ", ".join(sorted({r.endpoint.name for r, _ in entries}))
            out.append(Diagnostic(origin.file, origin.line_of("spec", "modelCache", "accessMode"),
                                  "spec.modelCache.accessMode",
                                  f"{settings.access_mode} cache '{name}' may be mounted by up to {pods} pods "
                                  f"({names}); pods on another node cannot mount it: use ReadWriteMany", "warning"))
    return out


def storage_class_warnings(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """Without storageClassName the claims get the cluster's default StorageClass, often a block-storage class that
    cannot do ReadWriteMany: the claims (and every pod of the models) would stay Pending."""
    settings = cache_settings(inventory)
    if inventory is None or settings is None or settings.storage_class_name or \
            not any(uses_pvc(r, inventory) for r in endpoints):
        return []
    origin = inventory.origin
    return [Diagnostic(origin.file, origin.line_of("spec", "modelCache"), "spec.modelCache.storageClassName",
                       f"the shared model cache names no StorageClass: its {_access_mode(settings)} claims get the "
                       "cluster's default one, which often cannot provide that access mode (the claims and the pods "
                       "stay Pending); name a class that can, e.g. storageClassName: nfs-csi", "warning")]
