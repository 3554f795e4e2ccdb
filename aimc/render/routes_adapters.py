"""HTTPRoutes for LoRA adapter names (resolve/adapter_routes.py lays them out): like a model's route, each rule
matches the routing header the body-based router fills from the request's `model`, one match per adapter name, and
sends the requests to the weighted backends of the endpoints offering them (their InferencePools with the inference
extension, else their Services)."""

from __future__ import annotations

from aimc.model.routes import AdapterRoute
from aimc.model.routing import Gateway
from aimc.render import labels as L
from aimc.render import routes_http, routes_provider


def render(route: AdapterRoute, gateway: Gateway) -> dict:
    endpoints = sorted({b.endpoint.endpoint.name for b in route.backends})
    metadata: dict = {"name": route.name}
    if route.namespace:
        metadata["namespace"] = route.namespace
    metadata["labels"] = {
        "app.kubernetes.io/name": "adapter-route",
        "app.kubernetes.io/component": "adapter-route",
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
    }
    metadata["annotations"] = {f"{L.GROUP}/endpoints": ",".join(endpoints),
                               f"{L.GROUP}/adapters": str(len(route.adapters))}
    timeouts = {"timeouts": {"request": routes_http.REQUEST_TIMEOUT}} if routes_provider.route_timeouts(gateway) else {}
    backends = [routes_http.backend_ref(b, gateway) for b in route.backends]
    return {
        "apiVersion": routes_http.API_VERSION,
        "kind": "HTTPRoute",
        "metadata": metadata,
        "spec": {
            "parentRefs": routes_http.parent_refs(gateway),
            "rules": [{
                "matches": [routes_http.model_match(name) for name in names],
                "backendRefs": [dict(b) for b in backends],
                **timeouts,
            } for names in route.rules],
        },
    }
