"""One HTTPRoute per served model name and namespace, on the inventory's gateway.

Per model rather than per namespace: an HTTPRoute holds at most 16 rules, a model's canary shares its route, and
adding a model adds a route without touching the others. The route's one rule matches the header that the
body-based router fills from the request's `model` (so one base URL serves every model) and splits the requests
between the model's engines by weight: InferencePools with the inference extension, else the endpoints' Services.
"""

from __future__ import annotations

from aimc.model.routes import Backend, ModelRoute
from aimc.model.routing import Gateway
from aimc.render import labels as L
from aimc.render import routes_bbr, routes_pool, routes_provider
from aimc.render.service import SERVICE_PORT

API_VERSION = "gateway.networking.k8s.io/v1"  # HTTPRoute, Gateway API standard channel (v1.0 to v1.6)
# The Inference Extension's own examples use 300 s; a long generation needs no more than a streamed response does.
REQUEST_TIMEOUT = "300s"


def render(route: ModelRoute, gateway: Gateway) -> dict:
    labels = {
        "app.kubernetes.io/name": "model-route",
        "app.kubernetes.io/component": "model-route",
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
        f"{L.GROUP}/model": L.label_value(route.model),
    }
    metadata: dict = {"name": route.name}
    if route.namespace:
        metadata["namespace"] = route.namespace
    metadata["labels"] = labels
    metadata["annotations"] = {f"{L.GROUP}/model": route.model}
    return {
        "apiVersion": API_VERSION,
        "kind": "HTTPRoute",
        "metadata": metadata,
        "spec": {
            "parentRefs": parent_refs(gateway),
            "rules": [{
                "matches": [model_match(route.model)],
                "backendRefs": [backend_ref(b, gateway) for b in route.backends],
                **({"timeouts": {"request": REQUEST_TIMEOUT}} if routes_provider.route_timeouts(gateway) else {}),
            }],
        },
    }


def backend_ref(backend: Backend, gateway: Gateway) -> dict:
    resolved, engine = backend.endpoint, backend.engine
    if gateway.inference_extension:
        return {"group": "inference.networking.k8s.io", "kind": "InferencePool",
                "name": routes_pool.pool_name(resolved, engine), "weight": backend.weight}
    # Without the extension: the engine's own Service when the endpoint has several, else the endpoint's.
    name = L.engine_object_name(resolved, engine.engine) if resolved.endpoint.multi_engine else resolved.endpoint.name
    return {"kind": "Service", "name": name, "port": SERVICE_PORT, "weight": backend.weight}


def parent_refs(gateway) -> list[dict]:
    """The Gateway a route attaches to."""
    return [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name,
             "namespace": gateway.namespace}]


def model_match(model: str) -> dict:
    """Requests whose body names `model`: the body-based router copies the body's model into a header."""
    return {"path": {"type": "PathPrefix", "value": "/"},
            "headers": [{"type": "Exact", "name": routes_bbr.HEADER, "value": model}]}
