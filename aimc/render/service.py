"""Services: one per endpoint reaching every engine (the OpenAI-compatible address), one per engine when several."""

from __future__ import annotations

from aimc.model.plan import ResolvedEndpoint
from aimc.render import labels as L

SERVICE_PORT = 8000


def render(resolved: ResolvedEndpoint) -> list[dict]:
    objects = [_service(resolved.endpoint.name, resolved, None)]
    if resolved.endpoint.multi_engine:
        for engine in resolved.engines:
            objects.append(_service(L.engine_object_name(resolved, engine.engine), resolved, engine))
    return objects


def _service(name: str, resolved: ResolvedEndpoint, engine) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": L.metadata(name, resolved, engine),
        "spec": {
            "type": "ClusterIP",
            "selector": L.selector(resolved, engine.engine if engine else None),
            # targetPort by name: each engine's pods listen on their own port behind the same Service port.
            "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }
