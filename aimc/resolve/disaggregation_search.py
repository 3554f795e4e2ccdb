"""The disaggregated layout that meets spec.objective with the fewest GPUs: the P/D counterpart of the aggregated
objective search (resolve/objective.py), a pure function over the configurations selection found predictable.

A layout is a prefill configuration × P prefill replicas + a decode configuration × D decode replicas, each
configuration one recipe configuration (one role size), P and D in 1..MAX_REPLICAS, P × prefill GPUs + D × decode
GPUs within the caller's GPU budget. Each is predicted by perf/disaggregated.py at the objective's load (its
concurrency, or the fewest clients that reach its request rate: disaggregation_objective.at_load).

Which configuration a role of a given size gets mirrors what a role's own selection would choose for
`gpuCount: N` (resolve/disaggregation.py): the first candidate of that size in the static ranking whose KV cache
holds the role's need (`KvNeed`: one prompt for prefill; for decode its share of the requests in flight, each prompt
plus output long). So the layout found is the one `spec.disaggregation` with those gpuCounts and replicas renders.

The winner: the fewest GPUs in total; among layouts of as many GPUs, the fewest on prefill, then the smaller prefill
replica, then the smaller decode replica (the order is total, then prefill GPUs, then GPUs per prefill replica, then
GPUs per decode replica, which names one layout). Layouts are predicted in that order and the first that meets the
targets wins, so a search that succeeds stops at its answer.

Pruning (sound for the model, never changes the answer): a prefill configuration whose one prompt alone takes longer
than the TTFT target (TTFT >= t_p(1) + the transfer's latency), and a decode configuration whose step at batch 1
exceeds the TPOT target (a step only lengthens with the batch), take part in no layout; with a request rate, a layout
whose prefill or decode capacity at its largest batch is below the rate is not predicted.

The P/D model is not calibrated against measured disaggregated runs (none are in the calibration set): every
surface that shows a layout says so.
"""

from __future__ import annotations

import math

from aimc.model.performance import Objective, Prediction
from aimc.perf import disaggregated as D
from aimc.perf import physics
from aimc.perf.calibration import Calibration
from aimc.perf.physics import Configuration
from aimc.perf.serving import Workload
from aimc.records import Record
from aimc.resolve.disaggregation_objective import MAX_CONCURRENCY, at_load, meets

MAX_REPLICAS = 8  # per role: the search's bound (layouts beyond it are the aggregated search's territory)
UNCALIBRATED = "the P/D model is not calibrated against measured disaggregated runs"


class RoleCandidate(Record):
    """One recipe configuration a role could run: what selection kept and the performance model can predict."""

    label: str  # e.g. "qwen3-32b-mi355x-bf16 sglang 2_gpu on pool mi355x"
    config: Configuration
    kv_tokens: int | None = None  # tokens one replica's KV cache holds (fit); None: not known, not checked

    @property
    def gpus(self) -> int:
        return self.config.gpus


class Found(Record):
    """The winning layout, its candidates and its prediction at the objective's load (the whole deployment)."""

    layout: D.Layout
    prefill: RoleCandidate
    decode: RoleCandidate
    prediction: Prediction
    predicted: int  # layouts predicted before the answer (the search's cost)

    @property
    def gpus(self) -> int:
        return self.layout.gpus

    def describe(self) -> str:
        """`1 prefill x 2 + 2 decode x 2 GPUs (6 GPUs)`."""
        layout = self.layout
        return (f"{layout.prefill_replicas} prefill x {self.prefill.gpus} + {layout.decode_replicas} decode x "
                f"{self.decode.gpus} GPUs ({layout.gpus} GPUs)")


class Outcome(Record):
    found: Found | None
    predicted: int  # layouts predicted in all


def kv_need(objective: Objective, role: str, replicas: int) -> int:
    """Tokens one replica of the role must hold (as resolve/disaggregation.KvNeed)."""
    length = objective.input_tokens + objective.output_tokens
    if role == "prefill":
        return objective.input_tokens
    if objective.concurrency is None:
        return length
    return math.ceil(objective.concurrency / max(replicas, 1)) * length


def _first_holding(candidates: tuple[RoleCandidate, ...], gpus: int, need: int) -> RoleCandidate | None:
    return next((c for c in candidates if c.gpus == gpus and (c.kv_tokens is None or c.kv_tokens >= need)), None)


def _sizes(candidates: tuple[RoleCandidate, ...]) -> list[int]:
    return sorted({c.gpus for c in candidates})


def _prefill_options(objective: Objective, candidates: tuple[RoleCandidate, ...],
                     calibration: Calibration) -> list[RoleCandidate]:
    options = []
    for size in _sizes(candidates):
        chosen = _first_holding(candidates, size, kv_need(objective, "prefill", 1))
        if chosen is None:
            continue
        alone = physics.prefill_seconds(chosen.config, 1, objective.input_tokens, calibration)
        if objective.max_ttft_s is not None and alone + D.TRANSFER_LATENCY_S > objective.max_ttft_s:
            continue  # one prompt alone already misses TTFT
        options.append(chosen)
    return options


def _decode_options(objective: Objective, candidates: tuple[RoleCandidate, ...],
                    calibration: Calibration) -> list[tuple[RoleCandidate, int]]:
    """(candidate, replicas) pairs: the candidate depends on the replicas, since the KV need does."""
    context = objective.input_tokens + objective.output_tokens / 2
    options = []
    for size in _sizes(candidates):
        for replicas in range(1, MAX_REPLICAS + 1):
            chosen = _first_holding(candidates, size, kv_need(objective, "decode", replicas))
            if chosen is None:
                continue
            fastest = physics.decode_step_seconds(chosen.config, 1, context, calibration)
            if objective.max_tpot_s is not None and fastest > objective.max_tpot_s:
                continue  # even a batch of one misses TPOT
            options.append((chosen, replicas))
    return options


def _layouts(prefills: list[RoleCandidate], decodes: list[tuple[RoleCandidate, int]], budget: int,
             transfer_gb_s: float):
    """(key, layout, prefill, decode) within the budget in the key's order; each Layout is built only when reached
    (a search that stops early builds few)."""
    keyed = []
    for p_index, prefill in enumerate(prefills):
        for prefill_replicas in range(1, MAX_REPLICAS + 1):
            prefill_gpus = prefill_replicas * prefill.gpus
            for d_index, (decode, decode_replicas) in enumerate(decodes):
                total = prefill_gpus + decode_replicas * decode.gpus
                if total <= budget:
                    keyed.append(((total, prefill_gpus, prefill.gpus, decode.gpus), p_index, prefill_replicas, d_index))
    keyed.sort(key=lambda item: item[0])
    for key, p_index, prefill_replicas, d_index in keyed:
        prefill = prefills[p_index]
        decode, decode_replicas = decodes[d_index]
        yield key, D.Layout(prefill.config, decode.config, prefill_replicas, decode_replicas, transfer_gb_s), \
            prefill, decode


def _reachable(layout: D.Layout, objective: Objective, calibration: Calibration) -> bool:
    """With a request rate: the rate is within what the prefill and the decode replicas can serve at most."""
    if objective.requests_per_second is None:
        return True
    workload = Workload(objective.input_tokens, objective.output_tokens, 1)
    decoding = objective.output_tokens - 1
    if decoding > 0:
        limit = D.decode_limit(layout.decode, Workload(objective.input_tokens, objective.output_tokens,
                                                       MAX_CONCURRENCY))
        step = physics.decode_step_seconds(layout.decode, limit, objective.input_tokens + objective.output_tokens / 2,
                                           calibration)
        if layout.decode_replicas * limit / (decoding * step) < objective.requests_per_second:
            return False
    return D.prefill_rate(layout, workload, calibration) >= objective.requests_per_second


def search(objective: Objective, candidates: tuple[RoleCandidate, ...], budget: int, calibration: Calibration,
           transfer_gb_s: float = D.TRANSFER_GB_S) -> Outcome:
    """The layout that meets `objective` with the fewest GPUs (at most `budget`), or None; `candidates` in the
    static ranking's order (the order a role's selection tries them)."""
    prefills = _prefill_options(objective, candidates, calibration)
    decodes = _decode_options(objective, candidates, calibration)
    predicted = 0
    for _, layout, prefill, decode in _layouts(prefills, decodes, budget, transfer_gb_s):
        if not _reachable(layout, objective, calibration):
            continue
        prediction = at_load(layout, objective, calibration)
        predicted += 1
        if meets(objective, prediction):
            return Outcome(Found(layout, prefill, decode, prediction, predicted), predicted)
    return Outcome(None, predicted)
