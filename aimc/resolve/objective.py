"""spec.objective: choose the configuration that meets a latency target for a workload with the fewest GPUs.

Without a GPU count, every candidate that passed the other filters (memory fit included) is predicted by the
performance model (aimc/perf) at the load each of its replicas would carry. For a concurrency workload of C requests,
a configuration whose replica meets both targets at up to c* requests needs ceil(C / c*) replicas; for a request rate
λ, ceil(λ / X(c*)) replicas, X(c*) being the requests/s one replica serves at c*. The candidate with the fewest GPUs
in total (replicas × GPUs per replica) wins; ties keep the static ranking (resolve/candidates.py). None meets the
objective: an error listing the best predictions. With a GPU count, the selected configuration is only checked: a
predicted miss is a warning (an error under --strict).
"""

from __future__ import annotations

import math

from aimc.errors import Diagnostic
from aimc.model.inputs import Endpoint, EngineRequest
from aimc.model.performance import Assessment, Objective, Prediction
from aimc.model.plan import Selection, TraceEntry, Verdict
from aimc.perf.calibration import Calibration, shipped
from aimc.perf.physics import Configuration
from aimc.perf.serving import Workload
from aimc.records import Record, replace
from aimc.resolve import evidence, fit, groups
from aimc.resolve.candidates import wanted_gpu_count
from aimc.resolve.performance import Unpredictable, configuration

MAX_PER_REPLICA = 1 << 20  # the search for a replica's capacity stops here (a million requests in flight)


class Outcome(Record):
    selection: Selection  # re-ranked (no GPU count) or annotated (GPU count fixed)
    diagnostics: tuple[Diagnostic, ...] = ()
    failed: bool = False  # no candidate meets the objective: the error is in `diagnostics`


def candidate_configuration(entry: TraceEntry, endpoint: Endpoint, request: EngineRequest,
                            models) -> Configuration | Unpredictable:
    candidate = entry.candidate
    pool = candidate.pool
    assert pool is not None  # kept candidates are placed
    model = fit.model_facts(models, endpoint, candidate.recipe)
    if model is None:
        return Unpredictable(f"no facts for model '{endpoint.model}'")
    gpus = candidate.config.gpu_count
    if groups.is_group(pool, gpus):
        plan = groups.plan_for(candidate.recipe, candidate.config, pool, model.attention_heads, model.layers)
        if isinstance(plan, groups.GroupProblem):
            return Unpredictable(plan.message)
        tp, pp = plan.tp, plan.pp
    else:
        node_tp = groups.node_tp(candidate.recipe, candidate.config)
        if isinstance(node_tp, groups.GroupProblem):
            return Unpredictable(node_tp.message)
        tp, pp = node_tp, gpus // node_tp
    settings = fit.config_settings(candidate.config, endpoint.overrides, endpoint.custom_args, request.custom_args)
    return configuration(model, pool.hardware, candidate.recipe.precision, candidate.config.engine, tp, pp, None,
                         settings, entry.fit)


def predict_entry(entry: TraceEntry, endpoint: Endpoint, request: EngineRequest, models, workload: Workload,
                  scenarios: tuple = ()) -> Prediction | Unpredictable:
    """One candidate's prediction at a workload (measured evidence included): what `explain` shows of the
    candidates of an endpoint without an objective."""
    config = candidate_configuration(entry, endpoint, request, models)
    if isinstance(config, Unpredictable):
        return config
    return evidence.predict_with(config, workload, shipped(), _measured(entry, scenarios))


def _meets(objective: Objective, prediction: Prediction) -> bool:
    return ((objective.max_ttft_s is None or prediction.ttft_s <= objective.max_ttft_s)
            and (objective.max_tpot_s is None or prediction.tpot_s <= objective.max_tpot_s))


def _largest(test, high: int) -> int:
    """The largest c in [1, high] with test(c) true, for a test true up to some point and false after; 0 if none."""
    if not test(1):
        return 0
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        if test(middle):
            low = middle
        else:
            high = middle - 1
    return low


def assess(config: Configuration, objective: Objective, calibration: Calibration,
           replicas: int | None = None, measured: tuple[evidence.Measurement, ...] = ()) -> Assessment:
    """The candidate against the objective: with `replicas` given, at that many replicas; else at the fewest
    replicas that meet it (or at one request per replica when even that misses)."""

    def at(concurrency: int) -> Prediction:
        workload = Workload(objective.input_tokens, objective.output_tokens, concurrency)
        return evidence.predict_with(config, workload, calibration, measured)

    if replicas is None:
        most = objective.concurrency or MAX_PER_REPLICA
        best = _largest(lambda c: _meets(objective, at(c)), most)
        if best == 0:
            return _assessment(objective, at(1), 1, 1, False)
        if objective.concurrency is not None:
            replicas = math.ceil(objective.concurrency / best)
        else:
            assert objective.requests_per_second is not None  # the schema asks for one of the two
            replicas = math.ceil(objective.requests_per_second / at(best).requests_per_s)
    share = _share(objective, replicas, at)
    prediction = at(share)
    meets = _meets(objective, prediction) and (objective.requests_per_second is None
                                               or prediction.requests_per_s * replicas >= objective.requests_per_second)
    return _assessment(objective, prediction, replicas, share, meets)


def _share(objective: Objective, replicas: int, at) -> int:
    """Requests in flight per replica: the concurrency split over the replicas, or the fewest that reach a
    replica's share of the request rate (the most a replica holds when it cannot)."""
    if objective.concurrency is not None:
        return max(1, math.ceil(objective.concurrency / max(replicas, 1)))
    assert objective.requests_per_second is not None
    rate = objective.requests_per_second / max(replicas, 1)
    below = _largest(lambda c: at(c).requests_per_s < rate, MAX_PER_REPLICA)
    return min(below + 1, MAX_PER_REPLICA)


def _assessment(objective: Objective, prediction: Prediction, replicas: int, share: int, meets: bool) -> Assessment:
    parts = []
    if objective.max_ttft_s is not None:
        parts.append(f"TTFT {prediction.ttft_s:.3g} s of {objective.max_ttft_s:g} s")
    if objective.max_tpot_s is not None:
        parts.append(f"TPOT {prediction.tpot_s * 1000:.3g} ms of {objective.max_tpot_s * 1000:g} ms")
    return Assessment(prediction, replicas, share, meets, ", ".join(parts))


def apply(selection: Selection, endpoint: Endpoint, request: EngineRequest, models, scenarios: tuple = (),
          calibration: Calibration | None = None) -> Outcome:
    """`scenarios`: the repository's AIMBenchmarkScenario documents, which say the loads of recorded measurements."""
    objective = endpoint.objective
    if objective is None or selection.chosen is None:
        return Outcome(selection)
    calibration = calibration or shipped()
    origin = endpoint.origin
    place = (origin.file, origin.line_of("spec", "objective"), "spec.objective")
    if wanted_gpu_count(endpoint, request):
        return _check_fixed(selection, endpoint, request, models, calibration, place, scenarios)
    judged, unpredictable = [], []
    for entry in selection.trace:
        if entry.verdict is Verdict.REJECTED:
            judged.append(entry)
            continue
        config = candidate_configuration(entry, endpoint, request, models)
        if isinstance(config, Unpredictable):
            unpredictable.append(f"{entry.candidate.label()}: {config.reason}")
            judged.append(entry)
            continue
        measured = _measured(entry, scenarios)
        judged.append(replace(entry, objective=assess(config, objective, calibration, measured=measured)))
    scored = [(e.objective.total_gpus(), i, e) for i, e in enumerate(judged)
              if e.objective is not None and e.objective.meets]
    if not any(e.objective is not None for e in judged):
        return Outcome(selection, (Diagnostic(*place, f"cannot be checked, the static ranking applies: "
                                                      f"{'; '.join(unpredictable)}", "warning"),))
    if not scored:
        best = sorted((e for e in judged if e.objective is not None), key=_closeness)[:3]
        listed = "; ".join(f"{e.candidate.label()}: {e.objective.prediction.figures()} at 1 request per replica"
                           for e in best if e.objective is not None)
        return Outcome(selection, (Diagnostic(*place, f"no configuration meets {objective.describe()}; the best "
                                                      f"predictions: {listed}. Loosen the targets, or add a recipe "
                                                      f"with more GPUs or a faster precision"),), failed=True)
    _, winner_index, winner = min(scored, key=lambda item: item[:2])
    kept = [replace(e, verdict=Verdict.KEPT) if e.verdict is Verdict.SELECTED else e
            for i, e in enumerate(judged) if i != winner_index]
    trace = (replace(winner, verdict=Verdict.SELECTED), *kept)
    ordered = tuple(sorted(trace, key=lambda e: e.verdict is Verdict.REJECTED))  # stable: kept first, as before
    return Outcome(replace(selection, trace=ordered, chosen=winner.candidate))


def _closeness(entry: TraceEntry) -> float:
    """How far a candidate's best prediction is from the targets (the larger ratio of predicted to allowed)."""
    assert entry.objective is not None
    return entry.objective.prediction.ttft_s + entry.objective.prediction.tpot_s


def measured_for(entry: TraceEntry, scenarios: tuple) -> tuple[evidence.Measurement, ...]:
    """What the candidate's recipe recorded for its configuration (`scenarios` say the loads)."""
    return _measured(entry, scenarios)


def _measured(entry: TraceEntry, scenarios: tuple) -> tuple[evidence.Measurement, ...]:
    candidate = entry.candidate
    return evidence.measurements(candidate.recipe, candidate.config.engine, candidate.config.key, scenarios)


def _check_fixed(selection: Selection, endpoint: Endpoint, request: EngineRequest, models, calibration: Calibration,
                 place: tuple[str, int, str], scenarios: tuple = ()) -> Outcome:
    """A GPU count given: the selected configuration is checked at its replicas, never changed."""
    objective = endpoint.objective
    assert objective is not None
    chosen = selection.trace[0]
    config = candidate_configuration(chosen, endpoint, request, models)
    if isinstance(config, Unpredictable):
        return Outcome(selection, (Diagnostic(*place, f"cannot be checked: {config.reason}", "warning"),))
    replicas = request.replicas if request.replicas is not None else endpoint.replicas
    judged = assess(config, objective, calibration, max(replicas, 1), _measured(chosen, scenarios))
    out = replace(selection, trace=(replace(chosen, objective=judged), *selection.trace[1:]))
    if judged.meets:
        return Outcome(out)
    return Outcome(out, (Diagnostic(*place, f"{chosen.candidate.label()} with {max(replicas, 1)} replica(s) is "
                                            f"predicted to miss {objective.describe()}: {judged.margin} "
                                            f"({judged.prediction.figures()}); raise spec.replicas or "
                                            f"spec.gpuCount, or remove spec.gpuCount to let aimc choose",
                                    "warning"),))
