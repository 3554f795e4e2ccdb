"""The layout search (aimc/resolve/disaggregation_search.py): the disaggregated layout that meets an objective with the
fewest GPUs, as a role's own selection would render it, its pruning never changing the answer."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.catalog.model_facts import builtin_catalog
from aimc.model.performance import Objective
from aimc.perf import disaggregated as D
from aimc.perf import physics
from aimc.perf.calibration import shipped
from aimc.perf.hardware import peaks
from aimc.perf.physics import Configuration
from aimc.resolve import disaggregation_search as S
from aimc.resolve.disaggregation_objective import at_load, meets

LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
CALIBRATION = shipped()


def _candidate(tp: int, kv: int | None = 2_000_000, label: str = "") -> S.RoleCandidate:
    facts = builtin_catalog().lookup(LLAMA_70B)
    known = peaks("MI300X")
    assert facts is not None and known is not None
    config = Configuration(facts, known, "fp8", "vllm", tp, kv_capacity_tokens=kv)
    return S.RoleCandidate(label or f"{tp}_gpu", config, kv)


SIZES = tuple(_candidate(tp) for tp in (1, 2, 4, 8))


def _objective(ttft=None, tpot=None, concurrency=64, rate=None, inp=8192, out=256) -> Objective:
    return Objective(inp, out, None if rate else concurrency, rate, ttft, tpot)


def _exhaustive(objective: Objective, candidates, budget: int):
    """Every layout within the bounds, no pruning: the best key among those that meet."""
    best = None
    for prefill, decode in itertools.product(candidates, candidates):
        for p, d in itertools.product(range(1, S.MAX_REPLICAS + 1), repeat=2):
            if (prefill.kv_tokens is not None and prefill.kv_tokens < S.kv_need(objective, "prefill", p)) or (
                    decode.kv_tokens is not None and decode.kv_tokens < S.kv_need(objective, "decode", d)):
                continue
            layout = D.Layout(prefill.config, decode.config, p, d)
            if layout.gpus > budget or not meets(objective, at_load(layout, objective, CALIBRATION)):
                continue
            key = (layout.gpus, p * prefill.gpus, prefill.gpus, decode.gpus)
            best = key if best is None or key < best else best
    return best


def test_a_loose_objective_takes_one_replica_of_the_smallest_size_per_role():
    """Hand-checked: a 70B fp8 model on one MI300X prefills 8,192 tokens in well under 60 s and decodes a step in well
    under a second, so the smallest layout (1 prefill x 1 + 1 decode x 1 GPU) meets it."""
    found = S.search(_objective(ttft=60, tpot=1.0, concurrency=1), SIZES, 64, CALIBRATION).found
    assert found is not None
    assert (found.layout.prefill_replicas, found.prefill.gpus, found.layout.decode_replicas, found.decode.gpus) == (
        1, 1, 1, 1)
    assert found.gpus == 2 and found.predicted == 1  # the first layout in the order met it: nothing else predicted
    assert found.describe() == "1 prefill x 1 + 1 decode x 1 GPUs (2 GPUs)"


def test_a_tight_tpot_needs_a_decode_size_whose_single_step_meets_it():
    """TPOT bounds decode from below at batch 1: sizes whose one step is slower never decode in the answer."""
    context = 8192 + 256 / 2
    steps = {c.gpus: physics.decode_step_seconds(c.config, 1, context, CALIBRATION) for c in SIZES}
    assert steps[1] > steps[4]  # tensor parallelism shortens the memory-bound step
    target = (steps[1] + steps[2]) / 2 if steps[2] < steps[1] else steps[2] * 1.01
    found = S.search(_objective(ttft=60, tpot=target, concurrency=1), SIZES, 64, CALIBRATION).found
    assert found is not None and steps[found.decode.gpus] <= target < steps[1]
    assert found.decode.gpus > 1


def test_the_budget_bounds_the_layout_and_nothing_fits_below_two_gpus():
    objective = _objective(ttft=60, tpot=1.0, concurrency=1)
    assert S.search(objective, SIZES, 1, CALIBRATION).found is None  # two roles need two GPUs at least
    assert S.search(objective, SIZES, 2, CALIBRATION).found is not None
    tight = _objective(ttft=1.0, tpot=0.04, concurrency=64)
    roomy = S.search(tight, SIZES, 64, CALIBRATION).found
    assert roomy is not None
    assert S.search(tight, SIZES, roomy.gpus - 1, CALIBRATION).found is None  # the winner is the fewest GPUs


def test_an_unmeetable_objective_finds_nothing_and_prunes_every_layout():
    """A TPOT below any decode step of one sequence: no decode option, so no layout is predicted at all."""
    outcome = S.search(_objective(ttft=60, tpot=1e-6), SIZES, 64, CALIBRATION)
    assert outcome.found is None and outcome.predicted == 0


def test_a_role_gets_the_first_candidate_of_its_size_that_holds_its_kv_need():
    """As a role's selection with gpuCount would: the first-ranked 4-GPU candidate holds too little KV for decode's
    share of 64 requests of 8,448 tokens on one replica, so the second one decodes; prefill needs one prompt only."""
    small = _candidate(4, kv=20_000, label="small-kv 4_gpu")
    large = _candidate(4, kv=2_000_000, label="large-kv 4_gpu")
    objective = _objective(ttft=60, tpot=1.0, concurrency=64)
    found = S.search(objective, (small, large), 64, CALIBRATION).found
    assert found is not None
    assert found.prefill.label == "small-kv 4_gpu"  # 20,000 >= one prompt of 8,192
    assert found.decode.label == "large-kv 4_gpu"  # 20,000 < 64 x 8,448
    assert S.kv_need(objective, "decode", 1) == 64 * (8192 + 256)
    assert S.kv_need(objective, "decode", 3) == 22 * (8192 + 256)
    assert S.kv_need(_objective(rate=2.0), "decode", 3) == 8192 + 256
    none_fit = S.search(objective, (_candidate(4, kv=100),), 64, CALIBRATION)
    assert none_fit.found is None and none_fit.predicted == 0


def test_ties_on_gpus_go_to_fewer_prefill_gpus_then_smaller_replicas():
    objective = _objective(ttft=60, tpot=1.0, concurrency=1)
    order = [key for key, *_ in S._layouts(list(SIZES), [(c, r) for c in SIZES for r in (1, 2)], 8, D.TRANSFER_GB_S)]
    assert order == sorted(order) and len(order) == len(set(order))  # one layout per key, in the key's order
    found = S.search(objective, tuple(reversed(SIZES)), 64, CALIBRATION).found  # the candidates' order is no key
    assert found is not None and (found.prefill.gpus, found.decode.gpus) == (1, 1)


@pytest.mark.parametrize("rate", [0.5, 4.0, 40.0])
def test_a_request_rate_is_reached_by_the_layout_found(rate):
    found = S.search(_objective(ttft=5.0, tpot=0.05, rate=rate, inp=2048, out=256), SIZES, 64, CALIBRATION).found
    assert found is not None
    assert found.prediction.requests_per_s >= rate


@settings(max_examples=25, deadline=None)
@given(ttft=st.sampled_from([None, 0.3, 1.0, 3.0]), tpot=st.sampled_from([None, 0.015, 0.03, 0.1]),
       concurrency=st.sampled_from([1, 16, 64, 256]), inp=st.sampled_from([512, 8192]),
       budget=st.sampled_from([4, 12, 32]))
def test_pruning_and_early_stop_give_the_exhaustive_answer(ttft, tpot, concurrency, inp, budget):
    """Differential: the search's answer is the best key an exhaustive, unpruned enumeration finds."""
    objective = _objective(ttft, tpot, concurrency, inp=inp)
    candidates = (SIZES[0], SIZES[1], SIZES[2])
    found = S.search(objective, candidates, budget, CALIBRATION).found
    expected = _exhaustive(objective, candidates, budget)
    got = None if found is None else (found.gpus, found.layout.prefill_replicas * found.prefill.gpus,
                                      found.prefill.gpus, found.decode.gpus)
    assert got == expected
