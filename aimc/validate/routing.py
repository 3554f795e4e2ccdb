"""validate: `spec.gateway` of the inventory and an endpoint's traffic weights, schema-checked already, into the
records of model/routing.py. Only what a single document can tell is checked here; what needs every endpoint
(canaries, one model in two namespaces) is in resolve/traffic.py."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.model.routing import Gateway, Traffic
from aimc.validate.kube_values import image_problem

# Pinned upstream images: Gateway API Inference Extension v1.5.0, the last release that ships the endpoint picker
# and the body-based router (from v1.6.0 they live in llm-d). Overridable in spec.gateway.images.
ENDPOINT_PICKER_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
BODY_BASED_ROUTER_IMAGE = "registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0"


def parse_gateway(spec: dict, origin, collector: Collector) -> Gateway | None:
    raw = spec.get("gateway")
    if raw is None:
        return None
    images = raw.get("images") or {}
    for key in ("endpointPicker", "bodyBasedRouter"):
        problem = image_problem(images[key]) if key in images else None
        if problem:
            collector.error(origin.file, origin.line_of("spec", "gateway", "images", key),
                            f"spec.gateway.images.{key}", problem)
    return Gateway(
        name=raw["name"],
        namespace=raw["namespace"],
        inference_extension=bool(raw.get("inferenceExtension", False)),
        body_based_routing=bool(raw.get("bodyBasedRouting", False)),
        endpoint_picker_image=images.get("endpointPicker", ENDPOINT_PICKER_IMAGE),
        body_based_router_image=images.get("bodyBasedRouter", BODY_BASED_ROUTER_IMAGE),
        origin=origin,
        provider=raw.get("provider", "none"),
    )


def parse_traffic(spec: dict, origin, collector: Collector) -> Traffic:
    weight = (spec.get("traffic") or {}).get("weight")
    entries = [(i, e) for i, e in enumerate(spec.get("servingEngines") or ()) if isinstance(e, dict)]
    weighted = [(i, e) for i, e in entries if "weight" in e]
    if not weighted:
        return Traffic(weight)
    engines = spec["servingEngines"]
    if len(weighted) != len(engines):
        missing = next(i for i, e in enumerate(engines) if not (isinstance(e, dict) and "weight" in e))
        collector.error(origin.file, origin.line_of("spec", "servingEngines", missing),
                        f"spec.servingEngines[{missing}]",
                        f"has no weight while spec.servingEngines[{weighted[0][0]}] has one: set a weight on every "
                        "engine, or on none for equal shares")
        return Traffic(weight)
    if not any(e["weight"] for _, e in weighted):
        first = weighted[0][0]
        collector.error(origin.file, origin.line_of("spec", "servingEngines", first, "weight"),
                        f"spec.servingEngines[{first}].weight",
                        "every engine has weight 0, so the endpoint would get no traffic: give one engine a weight "
                        "above 0 (to take the whole endpoint off its route, set spec.traffic.weight: 0)")
    return Traffic(weight, tuple((e["engine"], e["weight"]) for _, e in weighted))
