"""spec.objective on a disaggregated endpoint: the performance model's prediction of the chosen layout
(aimc/perf/disaggregated.py) against the targets, beside aggregated serving of the decode role's configuration on as
many GPUs, so that the objective says whether splitting prefill from decode pays for this workload.

A predicted miss is a warning at spec.objective (an error under --strict), naming the aggregated alternative when
that one is predicted to meet the targets. The roles keep the configurations their own selection chose: aimc does not
search layouts for an objective here (`aimc estimate --prefill-gpus --decode-gpus` compares others offline).
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.disaggregation import Role
from aimc.model.inputs import Endpoint, EngineRequest
from aimc.model.performance import Objective, Prediction
from aimc.model.plan import ResolvedEngine, Verdict
from aimc.perf import disaggregated as D
from aimc.perf.calibration import Calibration, shipped
from aimc.perf.physics import Configuration
from aimc.perf.serving import Workload
from aimc.resolve import objective as objective_mod
from aimc.resolve.performance import Unpredictable

MAX_CONCURRENCY = 1 << 20


def replicas_of(role: Role) -> int:
    """The replicas the prediction assumes: the most the role's autoscaler may run, else its replicas."""
    scaling = role.autoscaling
    return scaling.max_replicas if scaling is not None and scaling.enabled else role.replicas


def _configuration(engine: ResolvedEngine, role: Role, models) -> Configuration | Unpredictable:
    entry = next(e for e in engine.trace if e.verdict is Verdict.SELECTED)
    request = EngineRequest(engine.engine, role.gpu_count, role.replicas, role.custom_args, role.recipe, role.path)
    return objective_mod.candidate_configuration(entry, engine.endpoint, request, models)


def at_load(layout: D.Layout, objective: Objective, calibration: Calibration | None = None) -> Prediction:
    """At the objective's concurrency, or at the fewest requests in flight that reach its request rate."""
    calibration = calibration or shipped()

    def at(clients: int) -> Prediction:
        return D.predict(layout, Workload(objective.input_tokens, objective.output_tokens, clients), calibration)

    if objective.concurrency is not None:
        return at(objective.concurrency)
    assert objective.requests_per_second is not None  # the schema asks for one of the two
    rate, low, high = objective.requests_per_second, 1, MAX_CONCURRENCY
    while low < high:  # the fewest clients whose throughput reaches the rate (throughput grows with the clients)
        middle = (low + high) // 2
        low, high = (middle + 1, high) if at(middle).requests_per_s < rate else (low, middle)
    return at(low)


def meets(objective: Objective, prediction: Prediction) -> bool:
    return ((objective.max_ttft_s is None or prediction.ttft_s <= objective.max_ttft_s)
            and (objective.max_tpot_s is None or prediction.tpot_s <= objective.max_tpot_s)
            and (objective.requests_per_second is None or prediction.requests_per_s >= objective.requests_per_second))


def _figures(prediction: Prediction) -> str:
    return (f"TTFT {prediction.ttft_s:.3g} s, TPOT {prediction.tpot_s * 1000:.3g} ms, "
            f"{prediction.requests_per_s:.3g} req/s")


def assess(endpoint: Endpoint, roles: tuple[Role, Role], engines: tuple[ResolvedEngine, ResolvedEngine],
           models) -> tuple[tuple[str, ...], tuple[Diagnostic, ...]]:
    """Lines for explain, and the warning of a predicted miss."""
    objective = endpoint.objective
    if objective is None:
        return (), ()
    configs = [_configuration(engine, role, models) for engine, role in zip(engines, roles, strict=True)]
    unpredictable = [c.reason for c in configs if isinstance(c, Unpredictable)]
    if unpredictable:
        return (f"objective: not predicted ({unpredictable[0]})",), ()
    prefill, decode = configs
    assert isinstance(prefill, Configuration) and isinstance(decode, Configuration)
    layout = D.Layout(prefill, decode, replicas_of(roles[0]), replicas_of(roles[1]))
    apart = at_load(layout, objective)
    replicas = max(1, round(layout.gpus / decode.gpus))
    together = objective_mod.assess(decode, objective, shipped(), replicas)
    verdict = "meets" if meets(objective, apart) else "misses"
    mine = (f"objective ({objective.describe()}): disaggregated, {layout.prefill_replicas} prefill x {prefill.gpus} "
            f"+ {layout.decode_replicas} decode x {decode.gpus} GPUs: {_figures(apart)}: {verdict} "
            "(the performance model's disaggregated extension, not calibrated on measured disaggregated runs)")
    other = (f"objective, for comparison: aggregated on as many GPUs, {replicas} x {decode.gpus} GPUs of the decode "
             f"configuration: {_figures(together.prediction)} per replica: {'meets' if together.meets else 'misses'}")
    lines = (mine, other)
    if verdict == "meets":
        return lines, ()
    origin = endpoint.origin
    instead = (f"; aggregated serving on as many GPUs is predicted to meet it ({replicas} x {decode.gpus} GPUs): "
               "remove spec.disaggregation" if together.meets else "; give the roles more replicas or GPUs")
    return lines, (Diagnostic(origin.file, origin.line_of("spec", "objective"), "spec.objective",
                              f"the disaggregated layout is predicted to miss the objective ({objective.describe()}):"
                              f" {_figures(apart)}{instead}", "warning"),)
