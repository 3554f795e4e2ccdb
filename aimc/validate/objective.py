"""spec.objective (schema-checked already) -> `Objective`, with what the schema cannot say: exactly one of
concurrency and requestsPerSecond, at least one target, and no replica count or second engine beside an objective
that chooses the configuration; `serving` (aggregated, disaggregated, auto) consistent with the rest of the spec."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.model.origin import Origin
from aimc.model.performance import Objective


def parse_objective(spec: dict, origin: Origin, collector: Collector) -> Objective | None:
    raw = spec.get("objective")
    if raw is None:
        return None
    workload = raw["workload"]
    ok = True

    def error(path: tuple, message: str) -> None:
        nonlocal ok
        ok = False
        collector.error(origin.file, origin.line_of("spec", "objective", *path),
                        ".".join(("spec", "objective", *path)), message)

    if ("concurrency" in workload) == ("requestsPerSecond" in workload):
        error(("workload",), "give either concurrency (requests in flight) or requestsPerSecond, exactly one")
    if "maxTtftSeconds" not in raw and "maxTpotSeconds" not in raw:
        error((), "give a target: maxTtftSeconds and/or maxTpotSeconds (median seconds)")
    engines = spec.get("servingEngines") or ()
    if len(engines) > 1:
        error((), f"an objective sizes one engine; this endpoint lists {len(engines)} in servingEngines: "
                  "give one engine, or one endpoint per engine")
    fixed = spec.get("gpuCount") or any(isinstance(e, dict) and e.get("gpuCount") for e in engines)
    if not fixed and ("replicas" in spec or any(isinstance(e, dict) and "replicas" in e for e in engines)):
        error((), "without gpuCount the objective chooses the replica count: remove spec.replicas, or give "
                  "spec.gpuCount to keep both and have the objective checked instead")
    for path, message in serving_problems(spec, raw.get("serving")):
        error(path, message)
    if not ok:
        return None
    return Objective(int(workload["inputTokens"]), int(workload["outputTokens"]), workload.get("concurrency"),
                     float(workload["requestsPerSecond"]) if "requestsPerSecond" in workload else None,
                     float(raw["maxTtftSeconds"]) if "maxTtftSeconds" in raw else None,
                     float(raw["maxTpotSeconds"]) if "maxTpotSeconds" in raw else None, raw.get("serving"))


def serving_problems(spec: dict, serving: str | None) -> list[tuple[tuple, str]]:
    """What `serving` cannot go with: with spec.disaggregation the layout is written, so only `disaggregated` agrees;
    `disaggregated` needs what a disaggregated endpoint needs (resolve/disaggregation.py, validate/disaggregation.py):
    one engine, no LoRA adapters, no endpoint-wide replicas or autoscaling (roles scale apart). `auto` with those
    stays aggregated (explain says why)."""
    if serving is None:
        return []
    if "disaggregation" in spec:
        if serving == "disaggregated":
            return []
        return [(("serving",), (f"serving: {serving} contradicts spec.disaggregation, which fixes a disaggregated "
                               "layout: remove spec.objective.serving (or set it to disaggregated), or remove "
                               "spec.disaggregation to let the objective choose"))]
    if serving != "disaggregated":
        return []
    problems = []
    why = "serving: disaggregated runs prefill and decode as separate roles"
    if "servingEngines" in spec:
        problems.append((("serving",), f"{why} of one engine: give spec.servingEngine instead of servingEngines"))
    if spec.get("adapters"):
        problems.append((("serving",), (f"{why}, which do not serve LoRA adapters: remove spec.adapters, or use "
                                       "serving: aggregated or auto")))
    for field in ("replicas", "autoScaling"):
        if field in spec:
            problems.append((("serving",), (f"{why}, each with its own replicas: spec.{field} does not apply; "
                                           f"remove it, or use serving: aggregated or auto")))
    return problems
