"""spec.disaggregation (schema-checked already) -> `Disaggregation`, with what the schema cannot say: one engine,
replicas and autoscaling per role rather than for the endpoint, and no LoRA adapters (aimc does not split them
across roles)."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.model.disaggregation import DECODE, PREFILL, Disaggregation, Role
from aimc.model.origin import Origin
from aimc.validate.convert import pairs
from aimc.validate.router_resources import parse_router_resources
from aimc.validate.scaling import autoscaling

PATH = ("spec", "disaggregation")


def parse_disaggregation(spec: dict, origin: Origin, collector: Collector) -> Disaggregation | None:
    raw = spec.get("disaggregation")
    if raw is None:
        return None
    ok = True

    def error(path: tuple, field: str, message: str) -> None:
        nonlocal ok
        ok = False
        collector.error(origin.file, origin.line_of(*path), field, message)

    engines = spec.get("servingEngines")
    if engines is not None:
        error(("spec", "servingEngines"), "spec.servingEngines",
              "a disaggregated endpoint runs one engine: give spec.servingEngine (vllm or sglang) instead of "
              f"servingEngines ({len(engines)} listed), or one endpoint per engine")
    for field, instead in (("replicas", "spec.disaggregation.prefill.replicas and .decode.replicas"),
                           ("autoScaling", "spec.disaggregation.prefill.autoScaling and .decode.autoScaling")):
        if field in spec:
            error(("spec", field), f"spec.{field}", f"spec.{field} does not apply to a disaggregated endpoint, whose "
                                                    f"roles scale apart: set {instead}")
    if spec.get("adapters"):
        error(("spec", "adapters"), "spec.adapters", "LoRA adapters are not served by a disaggregated endpoint "
                                                     "(aimc does not split them across prefill and decode): remove "
                                                     "spec.adapters or spec.disaggregation")
    roles = [_role(name, raw[name], origin, collector) for name in (PREFILL, DECODE)]
    router = raw.get("router") or {}
    resources = parse_router_resources(router.get("resources"), origin, collector)
    if not ok or (resources is None and router.get("resources") is not None):
        return None
    return Disaggregation(roles[0], roles[1], raw.get("transfer"), raw.get("bootstrapPort"), resources)


def _role(name: str, raw: dict, origin: Origin, collector: Collector) -> Role:
    where = (*PATH, name)
    replicas = raw.get("replicas")
    scaling = autoscaling(raw.get("autoScaling"), replicas, origin, collector, where) if "autoScaling" in raw else None
    return Role(name, replicas if replicas is not None else 1, raw.get("gpuCount"), raw.get("recipe"),
                pairs(raw.get("customArgs")), scaling)
