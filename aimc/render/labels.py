"""Labels, selectors and annotations shared by every rendered object."""

from __future__ import annotations

from ..model import ResolvedEndpoint, ResolvedEngine

GROUP = "aim.engine.amd.com"
ENDPOINT_LABEL = f"{GROUP}/endpoint"
ENGINE_LABEL = f"{GROUP}/engine"


def selector(resolved: ResolvedEndpoint, engine: str | None = None) -> dict:
    """Pods of an endpoint (all engines) or of one of its engines. Selectors never change for a given endpoint."""
    labels = {ENDPOINT_LABEL: resolved.endpoint.name}
    if engine:
        labels[ENGINE_LABEL] = engine
    return labels


def labels(resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None, component: str | None = None) -> dict:
    """The user's metadata.labels, then ours (ours win: selectors must stay intact)."""
    out = {k: str(v) for k, v in resolved.endpoint.labels}
    out.update({
        "app.kubernetes.io/name": "aim-endpoint",
        "app.kubernetes.io/instance": resolved.endpoint.name,
        "app.kubernetes.io/component": component or (engine.engine if engine else "endpoint"),
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
    })
    out.update(selector(resolved, engine.engine if engine else None))
    return out


def metadata(name: str, resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None,
             annotations: dict | None = None, component: str | None = None) -> dict:
    meta: dict = {"name": name}
    if resolved.namespace:
        meta["namespace"] = resolved.namespace
    meta["labels"] = labels(resolved, engine, component)
    merged = {k: str(v) for k, v in resolved.endpoint.annotations}
    merged.update(annotations or {})
    if merged:
        meta["annotations"] = merged
    return meta


def recipe_annotations(engine: ResolvedEngine) -> dict:
    return {
        f"{GROUP}/model": engine.endpoint.model,
        f"{GROUP}/recipe": engine.recipe.id,
        f"{GROUP}/configuration": f"{engine.engine}/{engine.config.key}",
        f"{GROUP}/node-pool": engine.pool.name,
    }


def engine_object_name(resolved: ResolvedEndpoint, engine: str) -> str:
    return f"{resolved.endpoint.name}-{engine}"
