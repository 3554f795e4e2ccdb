"""Model-aware routing on the inventory's gateway (`spec.gateway`): routes, inference pools with their endpoint
pickers, and the body-based router. Without a gateway nothing is rendered and the output is as before."""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.origin import Origin
from aimc.resolve import adapter_routes, traffic


def render(endpoints, inventory: Inventory | None) -> list[tuple[dict, Origin]]:
    """(object, origin) pairs: an engine's pool and picker come from its endpoint, a route from the first endpoint
    serving its model, the body-based router from the inventory."""
    gateway = inventory.gateway if inventory is not None else None
    if gateway is None:
        return []
    # Imported here: a build without a gateway (most) does not load the six modules of routing objects.
    from aimc.render import routes_adapters, routes_bbr, routes_http, routes_pool, routes_provider

    out = []
    if gateway.inference_extension:
        for resolved in endpoints:
            for engine in resolved.served:  # a disaggregated endpoint: its router's pods
                objects = routes_pool.render(resolved, engine, gateway)
                objects += routes_provider.pool_objects(resolved, engine, gateway)
                out += [(obj, resolved.endpoint.origin) for obj in objects]
    for route in traffic.model_routes(endpoints):
        out.append((routes_http.render(route, gateway), route.backends[0].endpoint.endpoint.origin))
        if not gateway.inference_extension:
            for backend in route.backends:
                service = routes_http.backend_ref(backend, gateway)["name"]
                out += [(obj, backend.endpoint.endpoint.origin)
                        for obj in routes_provider.service_objects(backend.endpoint, backend.engine, service, gateway)]
    for adapters in adapter_routes.adapter_routes(endpoints):
        out.append((routes_adapters.render(adapters, gateway), adapters.backends[0].endpoint.endpoint.origin))
    if gateway.body_based_routing:
        out += [(obj, gateway.origin) for obj in routes_bbr.render(gateway) + routes_provider.router_objects(gateway)]
    return out
