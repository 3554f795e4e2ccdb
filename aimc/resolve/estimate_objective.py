"""`aimc estimate` with targets (--max-ttft-seconds, --max-tpot-seconds): the best aggregated configuration and the
best disaggregated layout that meet them, and which one to deploy.

Candidates: replicas of --gpus GPUs, or of 1, 2, 4 and 8 GPUs (one node of the GPUs with peaks in the catalog)
without it; a size that does not fit or that the model's heads cannot split is left out. Aggregated: the size whose
replicas meet the targets with the fewest GPUs in total (resolve/objective.assess, the search spec.objective runs;
ties: the smaller replica). Disaggregated: resolve/disaggregation_search over the same sizes as role sizes. Both
within --max-gpus. The choice: the one that meets the targets on fewer GPUs; aggregated on a tie, as the simpler
deployment (no router, no KV transfer, one workload to scale).
"""

from __future__ import annotations

from aimc.errors import Diagnostic, UserError
from aimc.model.performance import Assessment, Objective
from aimc.perf.calibration import shipped
from aimc.records import Record, replace
from aimc.resolve import disaggregation_search, estimate_inputs
from aimc.resolve import objective as objective_mod

SIZES = (1, 2, 4, 8)
DEFAULT_MAX_GPUS = 64  # eight nodes of eight GPUs: the search's default budget (--max-gpus)


class Aggregated(Record):
    gpus_per_replica: int
    assessment: Assessment

    @property
    def gpus(self) -> int:
        return self.assessment.total_gpus()


class Chosen(Record):
    objective: Objective
    max_gpus: int
    sizes: tuple[int, ...]  # the replica sizes that could be predicted
    aggregated: Aggregated | None
    disaggregated: disaggregation_search.Found | None
    choice: str | None  # "aggregated", "disaggregated", or None: neither meets the targets
    why: str


def choose(request: estimate_inputs.Request, objective: Objective, max_gpus: int,
           transfer_gb_s: float) -> tuple[Chosen, str]:
    """The comparison, and the header line that says what was searched."""
    sizes = (request.gpus,) if request.gpus else SIZES
    setups, skipped = [], []
    for size in sizes:
        try:
            setups.append((size, estimate_inputs.setup(replace(request, gpus=size))))
        except UserError as error:
            if request.gpus or error.diagnostics[0].file != "--gpus":
                raise  # a model without facts, an unknown GPU or precision: wrong for every size
            skipped.append(f"{size}: {error.diagnostics[0].message}")
    if not setups:
        raise UserError([Diagnostic("--gpus", 0, "", "no replica size can be predicted: " + "; ".join(skipped))])
    calibration = shipped()
    aggregated = None
    for size, setup in setups:
        measured = estimate_inputs.measured(replace(request, gpus=size), setup)
        judged = objective_mod.assess(setup.config, objective, calibration, measured=measured)
        option = Aggregated(size, judged)
        if judged.meets and option.gpus <= max_gpus and (aggregated is None or option.gpus < aggregated.gpus):
            aggregated = option
    candidates = tuple(disaggregation_search.RoleCandidate(f"{size} GPUs", setup.config,
                                                           setup.config.kv_capacity_tokens)
                       for size, setup in setups)
    layout = disaggregation_search.search(objective, candidates, max_gpus, calibration, transfer_gb_s).found
    choice, why = decide(aggregated.gpus if aggregated else None, layout.gpus if layout else None, max_gpus)
    first = setups[0][1]
    header = (f"{first.facts.id} in {first.precision} on {first.gpu.name}, {request.engine}; replicas of "
              f"{', '.join(str(s) for s, _ in setups)} GPUs; objective: {objective.describe()}; at most "
              f"{max_gpus} GPUs" + (f" (not predicted: {'; '.join(skipped)})" if skipped else ""))
    return Chosen(objective, max_gpus, tuple(s for s, _ in setups), aggregated, layout, choice, why), header


def decide(aggregated_gpus: int | None, disaggregated_gpus: int | None, max_gpus: int) -> tuple[str | None, str]:
    """Fewer GPUs wins; aggregated on a tie (the simpler deployment)."""
    if aggregated_gpus is None and disaggregated_gpus is None:
        return None, (f"neither aggregated nor disaggregated serving is predicted to meet the targets within "
                      f"{max_gpus} GPUs")
    if disaggregated_gpus is None:
        return "aggregated", "no disaggregated layout meets the targets"
    if aggregated_gpus is None:
        return "disaggregated", "no aggregated configuration meets the targets"
    if disaggregated_gpus < aggregated_gpus:
        return "disaggregated", (f"it meets the targets on {disaggregated_gpus} GPUs, aggregated serving needs "
                                 f"{aggregated_gpus}")
    if disaggregated_gpus == aggregated_gpus:
        return "aggregated", (f"both meet the targets on {aggregated_gpus} GPUs: aggregated is the simpler "
                              "deployment")
    return "aggregated", (f"it meets the targets on {aggregated_gpus} GPUs, disaggregated serving needs "
                          f"{disaggregated_gpus}")
