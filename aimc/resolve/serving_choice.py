"""spec.objective.serving: the objective chooses between aggregated and disaggregated serving (issue 27).

For an endpoint with an objective and no spec.disaggregation, the aggregated objective search (resolve/objective.py)
and the layout search (resolve/disaggregation_search.py) are compared:

- the layout's candidates are the configurations the endpoint's selection kept, in the static ranking's order (what
  a role's own selection tries for its gpuCount), each predicted by the performance model;
- the GPU budget is the capacity of the node pools those candidates are placed on (GPUs per node × nodes), and
  fewer than the aggregated choice's GPUs when that one meets the targets (a layout must then save GPUs to matter);
  `serving: disaggregated` searches the whole budget;
- the layout wins when it meets the targets on fewer GPUs than aggregated serving, or when it is the only one that
  meets them; aggregated on a tie, as the simpler deployment.

What follows from a win: `auto` and `disaggregated` render the endpoint as if its spec.disaggregation had been written
(`with_layout`: each role's gpuCount and replicas from the layout, the transfer backend the image's default), through
the same resolve path; `aggregated` (the default) warns at spec.objective with the YAML to add. The P/D model is not
calibrated against measured disaggregated runs: every line and message that shows the choice says so.
"""

from __future__ import annotations

from aimc.model.disaggregation import DECODE, PREFILL, Disaggregation, Role
from aimc.model.inputs import Endpoint, EngineRequest, Inventory
from aimc.model.performance import Assessment, Objective
from aimc.model.plan import Selection, Verdict
from aimc.perf.calibration import shipped
from aimc.records import Record, replace
from aimc.resolve import disaggregation_search
from aimc.resolve import objective as objective_mod
from aimc.resolve.candidates import wanted_gpu_count
from aimc.resolve.performance import Unpredictable

AGGREGATED, DISAGGREGATED, AUTO = "aggregated", "disaggregated", "auto"
NOT_CALIBRATED = f"{disaggregation_search.UNCALIBRATED} (docs/concepts/disaggregation.md)"


def serving_of(endpoint: Endpoint) -> str:
    objective = endpoint.objective
    return (objective.serving or AGGREGATED) if objective is not None else AGGREGATED


def removable(endpoint: Endpoint) -> tuple[str, ...]:
    """Fields written on the endpoint that a disaggregated endpoint does not take (validate/disaggregation.py): with
    them `auto` stays aggregated, and the advice to add spec.disaggregation says to remove them."""
    spec = endpoint.origin.data.get("spec") if isinstance(endpoint.origin.data, dict) else None
    written = spec if isinstance(spec, dict) else {}
    return tuple(f"spec.{field}" for field in ("servingEngines", "replicas", "autoScaling") if field in written)


def hard_blocker(endpoint: Endpoint) -> str:
    """Why the endpoint cannot be served disaggregated at all, or ""."""
    if endpoint.adapters:
        return "spec.adapters: a disaggregated endpoint serves no LoRA adapters"
    return ""


class Comparison(Record):
    objective: Objective
    aggregated: Assessment | None  # the aggregated choice against the objective; None: no configuration meets it
    aggregated_label: str
    found: disaggregation_search.Found | None
    budget: int
    candidates: int = 0  # role candidates the performance model could predict

    @property
    def layout_wins(self) -> bool:
        if self.found is None:
            return False
        return (self.aggregated is None or not self.aggregated.meets
                or self.found.gpus < self.aggregated.total_gpus())

    def yaml(self) -> str:
        """The spec.disaggregation that renders the layout."""
        assert self.found is not None
        layout = self.found.layout
        return (f"spec.disaggregation: {{prefill: {{replicas: {layout.prefill_replicas}, gpuCount: "
                f"{self.found.prefill.gpus}}}, decode: {{replicas: {layout.decode_replicas}, gpuCount: "
                f"{self.found.decode.gpus}}}}}")


def compare(endpoint: Endpoint, request: EngineRequest, ranked: Selection, judged: Selection | None,
            inventory: Inventory, models, scenarios: tuple = (), whole_budget: bool = False) -> Comparison:
    """`ranked`: the endpoint's selection in the static ranking's order; `judged`: the same after the aggregated
    objective search (None when no configuration meets the objective)."""
    objective = endpoint.objective
    assert objective is not None
    aggregated, label = None, ""
    if judged is not None and judged.chosen is not None and judged.trace[0].objective is not None:
        first = judged.trace[0]
        aggregated, label = first.objective, first.candidate.label()
        if wanted_gpu_count(endpoint, request):  # checked at the replicas written: compare the fewest that meet
            config = objective_mod.candidate_configuration(first, endpoint, request, models)
            if not isinstance(config, Unpredictable):
                measured = objective_mod.measured_for(first, scenarios)
                aggregated = objective_mod.assess(config, objective, shipped(), measured=measured)
    candidates = role_candidates(endpoint, request, ranked, models)
    budget = capacity(ranked, inventory)
    if aggregated is not None and aggregated.meets and not whole_budget:
        budget = min(budget, aggregated.total_gpus() - 1)
    found = disaggregation_search.search(objective, candidates, budget, shipped()).found if candidates else None
    return Comparison(objective, aggregated, label, found, budget, len(candidates))


def role_candidates(endpoint: Endpoint, request: EngineRequest, ranked: Selection,
                    models) -> tuple[disaggregation_search.RoleCandidate, ...]:
    out = []
    for entry in ranked.trace:
        if entry.verdict is Verdict.REJECTED or entry.fit is None:
            continue
        config = objective_mod.candidate_configuration(entry, endpoint, request, models)
        if isinstance(config, Unpredictable):
            continue
        out.append(disaggregation_search.RoleCandidate(entry.candidate.label(), config, entry.fit.pool_tokens))
    return tuple(out)


def capacity(ranked: Selection, inventory: Inventory) -> int:
    """GPUs of the node pools the kept candidates are placed on."""
    names = {e.candidate.pool.name for e in ranked.trace if e.verdict is not Verdict.REJECTED and e.candidate.pool}
    return sum(p.capacity for p in inventory.pools if p.name in names)


def with_layout(endpoint: Endpoint, comparison: Comparison) -> Endpoint:
    """The endpoint as if spec.disaggregation named the layout (transfer: the image's default)."""
    found = comparison.found
    assert found is not None
    layout = found.layout
    roles = Disaggregation(Role(PREFILL, layout.prefill_replicas, found.prefill.gpus),
                           Role(DECODE, layout.decode_replicas, found.decode.gpus))
    return replace(endpoint, disaggregation=roles)


def lines(comparison: Comparison, serving: str, outcome: str) -> tuple[str, ...]:
    """explain: both bests, their figures and GPUs, and the choice with its reason."""
    aggregated, found = comparison.aggregated, comparison.found
    if aggregated is None:
        together = "no configuration is predicted to meet the targets"
    else:
        together = (f"{comparison.aggregated_label}, {aggregated.replicas} replica(s) = {aggregated.total_gpus()} "
                    f"GPUs: {'meets' if aggregated.meets else 'misses'} ({aggregated.margin}; "
                    f"{aggregated.prediction.figures()})")
    if comparison.candidates == 0:
        apart = ("none predicted: no kept configuration can be predicted (a GPU without performance peaks in the "
                 "hardware catalog, or a model without facts)")
    elif found is None:
        apart = f"no layout within {comparison.budget} GPUs meets the targets"
    else:
        figures = found.prediction
        apart = (f"{found.describe()}: meets (TTFT {figures.ttft_s:.3g} s, TPOT {figures.tpot_s * 1000:.3g} ms, "
                 f"{figures.requests_per_s:.3g} req/s in all; prefill {found.prefill.label}, decode "
                 f"{found.decode.label})")
    written = comparison.objective.serving is not None
    return (f"serving (spec.objective.serving: {serving if written else 'aggregated, the default'}): {outcome}",
            f"  best aggregated: {together}",
            f"  best disaggregated: {apart}",
            f"  {NOT_CALIBRATED}")


def winner_reason(comparison: Comparison) -> str:
    found, aggregated = comparison.found, comparison.aggregated
    assert found is not None
    if aggregated is None or not aggregated.meets:
        return f"only the disaggregated layout meets the targets ({found.gpus} GPUs)"
    return f"it meets the targets on {found.gpus} GPUs, aggregated serving needs {aggregated.total_gpus()}"


def loser_reason(comparison: Comparison) -> str:
    aggregated, found = comparison.aggregated, comparison.found
    if aggregated is not None and aggregated.meets:
        if found is None:
            return (f"it meets the targets on {aggregated.total_gpus()} GPUs and no disaggregated layout does on "
                    "fewer")
        tie = " too: aggregated is the simpler deployment" if found.gpus == aggregated.total_gpus() else ""
        return (f"it meets the targets on {aggregated.total_gpus()} GPUs, the best disaggregated layout needs "
                f"{found.gpus}{tie}")
    if comparison.candidates == 0:
        return "no disaggregated layout can be predicted"
    return f"no disaggregated layout within {comparison.budget} GPUs meets the targets either"
