"""Resolving an endpoint whose objective may choose disaggregated serving (resolve/serving_choice.py says how the
choice is made): the aggregated resolution and, when a layout wins, a trial resolution of the endpoint as if its
spec.disaggregation named the layout, through the same path as a written one (selection per role, fit, flag checks,
transfer backend, RDMA and node checks). Each runs into its own collector; only the outcome kept reports.

- `aggregated` (the default): the aggregated resolution; a warning at spec.objective with the YAML to add when a
  layout wins and its trial resolves.
- `auto`: the layout when it wins and its trial resolves, else aggregated, with the reason in explain.
- `disaggregated`: the best layout within the budget; an error at spec.objective.serving when none meets the targets
  or its trial does not resolve (its errors, moved there).
"""

from __future__ import annotations

from collections.abc import Callable

from aimc.errors import Collector, Diagnostic
from aimc.model.inputs import Endpoint, EngineRequest, Inventory
from aimc.model.plan import ResolvedEngine, Selection
from aimc.records import Record, replace
from aimc.resolve import disaggregation, serving_choice
from aimc.resolve.serving_choice import AGGREGATED, AUTO, DISAGGREGATED

EngineResolver = Callable[[Collector, list], Callable[..., ResolvedEngine | None]]
Ranked = Callable[[Endpoint, EngineRequest], Selection]


class Decision(Record):
    endpoint: Endpoint  # with spec.disaggregation when the layout was chosen
    engines: tuple[ResolvedEngine, ...]  # the aggregated engine; empty when disaggregated or failed
    disaggregated: disaggregation.Outcome | None
    lines: tuple[str, ...]  # explain's comparison


class _Trial(Record):
    outcome: disaggregation.Outcome | None
    collector: Collector
    selections: list

    @property
    def ok(self) -> bool:
        return self.outcome is not None and not self.collector.errors


def decide(endpoint: Endpoint, inventory: Inventory, models, scenarios: tuple, engines: EngineResolver,
           ranked: Ranked, collector: Collector, selections: list) -> Decision | None:
    """None: the endpoint failed (the errors are collected)."""
    request = endpoint.engines[0]
    serving = serving_choice.serving_of(endpoint)
    # Written: explain shows the best layout of the whole budget; the default only looks for one that saves GPUs.
    written = endpoint.objective is not None and endpoint.objective.serving is not None
    scratch, picked = Collector(), list[Selection]()
    engine = engines(scratch, picked)(endpoint, request)
    judged = picked[-1] if picked else None
    comparison = serving_choice.compare(endpoint, request, ranked(endpoint, request), judged, inventory, models,
                                        scenarios, whole_budget=written)
    blocked = serving_choice.hard_blocker(endpoint) or (
        f"{', '.join(serving_choice.removable(endpoint))}: a disaggregated endpoint scales each role apart (one "
        "engine; replicas and autoscaling per role)" if serving == AUTO and serving_choice.removable(endpoint)
        else "")
    trial = _trial(endpoint, comparison, inventory, models, engines) if not blocked and (
        comparison.layout_wins or (serving == DISAGGREGATED and comparison.found is not None)) else None
    if serving == DISAGGREGATED:
        return _disaggregated(endpoint, comparison, trial, collector, selections)
    if serving == AUTO and trial is not None and trial.ok:
        _commit(trial.collector, trial.selections, collector, selections, endpoint, comparison)
        outcome = trial.outcome
        assert outcome is not None
        why = f"disaggregated: {serving_choice.winner_reason(comparison)}"
        return Decision(serving_choice.with_layout(endpoint, comparison), (), outcome,
                        serving_choice.lines(comparison, serving, why))
    _commit(scratch, picked, collector, selections)
    if trial is not None and trial.ok:  # aggregated serving: the layout would win
        collector.add(_advice(endpoint, comparison))
    if blocked and comparison.layout_wins:
        why = f"aggregated: the layout that would win cannot be served with {blocked}"
    elif trial is not None and not trial.ok:
        why = f"aggregated: the layout that would win cannot be served here: {_first_problem(trial)}"
    elif comparison.layout_wins:
        why = f"aggregated, as written; disaggregated would win: {serving_choice.winner_reason(comparison)}"
    else:
        why = f"aggregated: {serving_choice.loser_reason(comparison)}"
    if engine is None:
        if serving == AUTO:  # the aggregated error is collected: say what became of the layout too
            collector.add(_auto_neither(endpoint, comparison, blocked, trial))
        return None
    shown = written or (trial is not None and trial.ok)  # the default shows the comparison when it warns
    return Decision(endpoint, (engine,), None, serving_choice.lines(comparison, serving, why) if shown else ())


def _auto_neither(endpoint: Endpoint, comparison: serving_choice.Comparison, blocked: str,
                  trial: _Trial | None) -> Diagnostic:
    origin = endpoint.origin
    if blocked:
        layout = f"it cannot be served with {blocked}"
    elif trial is not None:
        layout = f"{comparison.yaml()} cannot be served here: {_first_problem(trial)}"
    elif comparison.candidates == 0:
        layout = "no kept configuration can be predicted"
    else:
        layout = f"no layout within {comparison.budget} GPUs is predicted to meet the targets"
    return Diagnostic(origin.file, origin.line_of("spec", "objective", "serving"), "spec.objective.serving",
                      f"auto: aggregated serving fails (the errors of this endpoint), and disaggregated serving too: "
                      f"{layout}; loosen the targets, or add capacity or recipes")


def _trial(endpoint: Endpoint, comparison: serving_choice.Comparison, inventory: Inventory, models,
           engines: EngineResolver) -> _Trial:
    scratch: Collector = Collector()
    picked: list = []
    view = serving_choice.with_layout(endpoint, comparison)
    outcome = disaggregation.resolve(view, inventory, engines(scratch, picked), scratch, models)
    return _Trial(outcome, scratch, picked)


def _first_problem(trial: _Trial) -> str:
    problems = trial.collector.errors
    return problems[0].message if problems else "its resolution failed"


def _disaggregated(endpoint: Endpoint, comparison: serving_choice.Comparison, trial: _Trial | None,
                   collector: Collector, selections: list) -> Decision | None:
    objective = endpoint.objective
    assert objective is not None
    origin = endpoint.origin
    place = (origin.file, origin.line_of("spec", "objective", "serving"), "spec.objective.serving")
    if trial is None and comparison.candidates == 0:
        collector.add(Diagnostic(*place, "no configuration the endpoint's selection kept can be predicted by the "
                                         "performance model (a GPU without performance peaks in the hardware "
                                         "catalog, or a model without facts), so no disaggregated layout can be "
                                         "chosen: write spec.disaggregation, or use serving: aggregated"))
        return None
    if trial is None:
        collector.add(Diagnostic(*place, f"no disaggregated layout within {comparison.budget} GPUs (the node pools' "
                                         f"capacity; at most {serving_choice.disaggregation_search.MAX_REPLICAS} "
                                         f"replicas per role) is predicted to meet {objective.describe()}: loosen "
                                         "the targets, or use serving: auto or aggregated"))
        return None
    _commit(trial.collector, trial.selections, collector, selections, endpoint, comparison)
    if not trial.ok:
        return None
    outcome = trial.outcome
    assert outcome is not None
    why = "disaggregated, as written: the best layout that meets the targets"
    return Decision(serving_choice.with_layout(endpoint, comparison), (), outcome,
                    serving_choice.lines(comparison, DISAGGREGATED, why))


def _commit(scratch: Collector, picked: list, collector: Collector, selections: list,
            endpoint: Endpoint | None = None, comparison: serving_choice.Comparison | None = None) -> None:
    """The kept resolution's diagnostics and selections; a chosen layout's diagnostics about spec.disaggregation
    (which the file does not have) move to spec.objective.serving, naming the layout."""
    selections.extend(picked)
    for diagnostic in (*scratch.errors, *scratch.warnings):
        if endpoint is not None and comparison is not None and diagnostic.field.startswith("spec.disaggregation"):
            origin = endpoint.origin
            diagnostic = replace(diagnostic, line=origin.line_of("spec", "objective", "serving"),
                                 field="spec.objective.serving",
                                 message=f"the layout the objective chose ({comparison.yaml()}): {diagnostic.message}")
        collector.add(diagnostic)


def _advice(endpoint: Endpoint, comparison: serving_choice.Comparison) -> Diagnostic:
    """serving: aggregated and a layout that would win: the warning that names it."""
    objective = endpoint.objective
    assert objective is not None and comparison.found is not None
    origin = endpoint.origin
    aggregated = comparison.aggregated
    against = ("aggregated serving is predicted to miss it" if aggregated is None or not aggregated.meets
               else f"aggregated serving needs {aggregated.total_gpus()} GPUs")
    remove = serving_choice.removable(endpoint)
    how = (f"add {comparison.yaml()} and remove {' and '.join(remove)} (a disaggregated endpoint sets replicas and "
           "autoscaling per role)" if remove else f"add {comparison.yaml()}, or set spec.objective.serving: auto")
    return Diagnostic(origin.file, origin.line_of("spec", "objective"), "spec.objective",
                      f"{against} ({objective.describe()}); a disaggregated layout, {comparison.found.describe()}, is "
                      f"predicted to meet it: {how} ({serving_choice.NOT_CALIBRATED})", "warning")


__all__ = ["AGGREGATED", "AUTO", "DISAGGREGATED", "Decision", "decide"]
