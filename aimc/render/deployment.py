"""The Deployment that runs one engine of one endpoint."""

from __future__ import annotations

import copy

from .. import engine_args
from ..model import ResolvedEndpoint, ResolvedEngine
from . import labels as L


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    name = L.engine_object_name(resolved, engine.engine)
    annotations = L.recipe_annotations(engine)
    spec: dict = {}
    if not resolved.endpoint.autoscaling.enabled:
        # When an autoscaler owns the replica count, a rendered spec.replicas fights it on every sync.
        spec["replicas"] = engine.replicas
    spec["selector"] = {"matchLabels": L.selector(resolved, engine.engine)}
    spec["template"] = {
        "metadata": {"labels": L.labels(resolved, engine), "annotations": annotations},
        "spec": pod_spec(resolved, engine),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": L.metadata(name, resolved, engine, annotations),
        "spec": spec,
    }


def pod_spec(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    pool = engine.pool
    spec: dict = {"containers": [container(resolved, engine)]}
    if pool.node_selector:
        spec["nodeSelector"] = {k: str(v) for k, v in pool.node_selector}
    if pool.tolerations:
        spec["tolerations"] = [copy.deepcopy(dict(t)) for t in pool.tolerations]
    return spec


def container(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    gpus = {engine.pool.gpu_resource: str(engine.gpu_count)}
    out = {
        "name": engine.engine,
        "image": engine.image,
        "command": list(engine_args.LAUNCH_COMMANDS[engine.engine]),
        "args": list(engine.args),
        "ports": [{"name": "http", "containerPort": engine.port, "protocol": "TCP"}],
    }
    env = environment(resolved, engine)
    if env:
        out["env"] = env
    out["resources"] = {"requests": dict(gpus), "limits": dict(gpus)}
    return out


def environment(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[dict]:
    """Recipe environment, then the endpoint's own `env` (which wins on a name clash)."""
    merged: dict[str, dict] = {}
    for name, value in engine.env:
        merged[name] = {"name": name, "value": str(value)}
    for entry in resolved.endpoint.env:
        merged.pop(entry["name"], None)
        merged[entry["name"]] = copy.deepcopy(dict(entry))
    return list(merged.values())
