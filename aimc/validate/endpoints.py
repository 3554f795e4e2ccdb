"""AIMEndpoint documents -> `Endpoint`: engines, autoscaling and the fields the renderers read."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.inputs import Endpoint, EngineRequest
from aimc.model.origin import Origin
from aimc.validate import routing
from aimc.validate.adapters import parse_adapters
from aimc.validate.convert import (
    canonical,
    image_ref,
    model_source,
    origin_of,
    pairs,
    resources_per_gpu,
    secret_key_ref,
    str_pairs,
)
from aimc.validate.disaggregation import parse_disaggregation
from aimc.validate.objective import parse_objective
from aimc.validate.scaling import autoscaling


def parse_endpoint(doc: Document, collector: Collector) -> Endpoint | None:
    data, origin = doc.data, origin_of(doc)
    metadata, spec = data["metadata"], data["spec"]
    ok = True
    if "servingEngine" in spec and "servingEngines" in spec:
        collector.error(doc.file, origin.line_of("spec", "servingEngines"), "spec.servingEngines",
                        "give either servingEngine (one engine) or servingEngines (several), not both")
        ok = False
    engines = _engine_requests(spec, origin, collector)
    if engines is None:
        ok = False
    # Wrong bounds are reported and kept as written: what the endpoint selects and runs does not depend on them.
    scaling = autoscaling(spec.get("autoScaling"), spec.get("replicas"), origin, collector)
    adapters = parse_adapters(spec, origin, collector)
    objective = parse_objective(spec, origin, collector)
    disaggregation = parse_disaggregation(spec, origin, collector)
    if "disaggregation" in spec and disaggregation is None:
        ok = False
    if not ok or engines is None:
        return None
    return Endpoint(
        name=metadata["name"],
        namespace=metadata.get("namespace"),
        labels=str_pairs(metadata.get("labels")),
        annotations=str_pairs(metadata.get("annotations")),
        model=spec["model"],
        hardware=spec["hardware"].upper() if spec.get("hardware") else None,
        precision=spec.get("precision"),
        gpu_count=spec.get("gpuCount"),
        engines=engines,
        multi_engine="servingEngines" in spec,
        recipe=spec.get("recipe"),
        metric=spec.get("metric"),
        replicas=spec.get("replicas", 1),
        autoscaling=scaling,
        custom_args=pairs(spec.get("customArgs")),
        overrides=pairs(spec.get("aimFrameworkOverrides")),
        image=image_ref(spec.get("image"), ("spec", "image")),
        env=tuple(canonical(entry) for entry in spec.get("env") or ()),
        origin=origin,
        startup_budget_seconds=(spec.get("startupProbe") or {}).get("budgetSeconds"),
        use_model_cache=(spec.get("modelCache") or {}).get("enabled", True) is not False,
        hf_token_secret=secret_key_ref(spec.get("hfTokenSecret")),
        resources=resources_per_gpu(spec.get("resources")),
        shm_size=str(spec["shmSize"]) if spec.get("shmSize") else None,
        traffic=routing.parse_traffic(spec, origin, collector),
        node_pool=spec.get("nodePool"),
        adapters=adapters,
        objective=objective,
        model_source=model_source(spec.get("modelSource"), ("spec", "modelSource"), origin, collector),
        disaggregation=disaggregation,
    )


def _engine_requests(spec: dict, origin: Origin, collector: Collector) -> tuple[EngineRequest, ...] | None:
    if "servingEngines" not in spec:
        return (EngineRequest(spec.get("servingEngine", "vllm"), path=("spec", "servingEngine")),)
    requests, seen = [], set()
    for index, entry in enumerate(spec["servingEngines"]):
        path = ("spec", "servingEngines", index)
        if isinstance(entry, str):
            request = EngineRequest(entry, path=path)
        else:
            request = EngineRequest(entry["engine"], entry.get("gpuCount"), entry.get("replicas"),
                                    pairs(entry.get("customArgs")), entry.get("recipe"), path)
        if request.engine in seen:
            collector.error(origin.file, origin.line_of(*path), f"spec.servingEngines[{index}]",
                            f"engine '{request.engine}' is listed twice; each engine may appear once")
            return None
        seen.add(request.engine)
        requests.append(request)
    return tuple(requests)


def check_unique_endpoints(endpoints: list[Endpoint], collector: Collector) -> None:
    seen: dict = {}
    for endpoint in endpoints:
        key = (endpoint.namespace, endpoint.name)
        if key in seen:
            first = seen[key]
            collector.error(endpoint.origin.file, endpoint.origin.line_of("metadata", "name"), "metadata.name",
                            f"duplicate endpoint '{endpoint.name}'"
                            + (f" in namespace '{endpoint.namespace}'" if endpoint.namespace else "")
                            + f": first defined at {first.origin.file}:{first.origin.line_of('metadata', 'name')}")
        else:
            seen[key] = endpoint
