"""The Deployment that runs one engine of one endpoint: probes, resources, volumes and a hardened pod."""

from __future__ import annotations

from typing import Any

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import thawed
from aimc.render import adapter_fetch, cache, claims, download, model_image, probes, secrets, sizing
from aimc.render import labels as L
from aimc.resolve import engine_args
from aimc.resolve.model_source import source_for

SHM_VOLUME = "dshm"


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None = None,
           models=None) -> dict:
    """`models`: the build's facts.ModelCatalog (for the model-sized startup budget); default the built-in facts."""
    name = L.engine_object_name(resolved, engine.engine)
    annotations = L.recipe_annotations(engine)
    main = container(resolved, engine, inventory, models)
    pod_annotations = {**annotations, f"{L.GROUP}/config-checksum": L.checksum(_configuration(engine, main))}
    spec: dict = {}
    if not resolved.endpoint.autoscaling.enabled:
        # When an autoscaler owns the replica count, a rendered spec.replicas fights it on every sync.
        spec["replicas"] = engine.replicas
    spec["progressDeadlineSeconds"] = sizing.progress_deadline_seconds(engine, models)
    spec["strategy"] = strategy(engine)
    spec["selector"] = {"matchLabels": L.selector(resolved, engine.engine)}
    spec["template"] = {
        "metadata": {"labels": L.pod_labels(resolved, engine), "annotations": pod_annotations},
        "spec": pod_spec(resolved, engine, inventory, main, models),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": L.metadata(name, resolved, engine, annotations),
        "spec": spec,
    }


def strategy(engine: ResolvedEngine) -> dict:
    """The rollout the plan decided (resolve/rollout.py), whose surge pods the capacity plan counted."""
    return {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": engine.rollout.max_surge, "maxUnavailable": engine.rollout.max_unavailable}}


def _configuration(engine: ResolvedEngine, main: dict) -> dict:
    """What the pods run: a change here (e.g. a recipe update) changes the pod template's checksum and rolls them."""
    return {"recipe": engine.recipe.id, "configuration": engine.config.key, "image": main["image"],
            "command": main["command"], "args": main["args"], "env": main.get("env", [])}


def pod_spec(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None, main: dict,
             models=None) -> dict:
    pool = engine.pool
    spec: dict = {
        # The engines never call the Kubernetes API: no token in the pod.
        "automountServiceAccountToken": False,
        # No `<SERVICE>_PORT` variables: a Service named `vllm` would set VLLM_PORT, which vLLM reads as its own.
        "enableServiceLinks": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        **({"initContainers": fetch} if (fetch := adapter_fetch.init_containers(resolved, engine, inventory)) else {}),
        "containers": [main],
        "volumes": [
            {"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": sizing.shm_size(engine)}},
            cache.volume(resolved, engine, inventory, models),
        ],
    }
    source = source_for(resolved.endpoint, inventory)
    if source is not None:
        spec["volumes"].append(model_image.volume(source))
    if download.applies(resolved, inventory):  # a Job downloads into the shared cache: wait for it, first
        spec["initContainers"] = [download.init_container(engine), *spec.get("initContainers", [])]
    if claims.uses_dra(engine):
        spec["resourceClaims"] = claims.pod_claims(resolved, engine)
    if pool.node_selector:
        spec["nodeSelector"] = {k: str(v) for k, v in pool.node_selector}
    if pool.tolerations:
        spec["tolerations"] = [thawed(t) for t in pool.tolerations]
    return spec


def container(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None = None,
              models=None) -> dict:
    out: dict[str, Any] = {
        "name": engine.engine,
        "image": engine.image,
        "command": list(engine.launch or engine_args.LAUNCH_COMMANDS[engine.engine]),
        "args": list(engine.args),
        "ports": [{"name": "http", "containerPort": engine.port, "protocol": "TCP"}],
    }
    env = environment(resolved, engine, inventory)
    if env:
        out["env"] = env
    out["resources"] = resources(engine, inventory)
    scratch = cache.scratch_size(resolved, engine, inventory, models)
    if scratch:
        out["resources"]["requests"]["ephemeral-storage"] = scratch
    out.update(probes.probes(engine, models))
    out["volumeMounts"] = [{"name": SHM_VOLUME, "mountPath": "/dev/shm"}, cache.mount(engine)]
    source = source_for(resolved.endpoint, inventory)
    if source is not None:
        out["volumeMounts"].append(model_image.mount(source))
    out["securityContext"] = {
        # Not runAsNonRoot: the ROCm vLLM and SGLang images run as root, and root (as owner) is what opens the GPU
        # device nodes once every capability is dropped. Devices come from the device plugin, never hostPath.
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    return out


def resources(engine: ResolvedEngine, inventory: Inventory | None) -> dict:
    """GPUs (requests = limits), CPU and memory per GPU; no CPU limit (throttling an engine's scheduler stalls it)."""
    per_gpu = sizing.resources_per_gpu(engine, inventory.resources if inventory else None)
    count, gpu = engine.gpu_count, engine.pool.gpu_resource
    requests = {"cpu": sizing.multiply(per_gpu.cpu, count), "memory": sizing.multiply(per_gpu.memory, count)}
    limits = {"memory": sizing.multiply(per_gpu.memory_limit, count)}
    if claims.uses_dra(engine):  # the GPUs come from the pod's claim (render/claims.py), not an extended resource
        return {"requests": requests, "limits": limits, "claims": claims.container_claims()}
    return {"requests": {**requests, gpu: str(count)}, "limits": {**limits, gpu: str(count)}}


def environment(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None = None) -> list[dict]:
    """aimc's own variables, then the recipe's, then the endpoint's `env` (later ones win on a name clash)."""
    merged: dict[str, dict] = {}
    if source_for(resolved.endpoint, inventory) is not None:  # the model is mounted: no download, so no token
        own = cache.env(engine) + model_image.env()
    elif download.applies(resolved, inventory):  # the Job downloads (with the token); the pod reads the cache only
        own = cache.env(engine) + [dict(download.OFFLINE_ENV)]
    else:
        own = cache.env(engine) + secrets.token_env(resolved, inventory)
    for entry in own:
        merged[entry["name"]] = entry
    for name, value in engine.env:
        merged.pop(name, None)
        merged[name] = {"name": name, "value": str(value)}
    for entry in resolved.endpoint.env:
        merged.pop(entry["name"], None)
        merged[entry["name"]] = thawed(entry)
    return list(merged.values())
