"""spec.objective (schema-checked already) -> `Objective`, with what the schema cannot say: exactly one of
concurrency and requestsPerSecond, at least one target, and no replica count or second engine beside an objective
that chooses the configuration."""

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
    if not ok:
        return None
    return Objective(int(workload["inputTokens"]), int(workload["outputTokens"]), workload.get("concurrency"),
                     float(workload["requestsPerSecond"]) if "requestsPerSecond" in workload else None,
                     float(raw["maxTtftSeconds"]) if "maxTtftSeconds" in raw else None,
                     float(raw["maxTpotSeconds"]) if "maxTpotSeconds" in raw else None)
