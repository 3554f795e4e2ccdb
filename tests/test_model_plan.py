"""The plan is typed data: selection verdicts are enums, the memory arithmetic a `Fit`, and `explain` formats them
(it never parses text that resolve wrote)."""

from __future__ import annotations

from aimc.model.inputs import Origin, Recipe, RecipeConfig
from aimc.model.plan import Candidate, Fit, Reason, TraceEntry, Verdict
from aimc.reports.explain import explain_detail, explain_verdict

ORIGIN = Origin("t.yaml", "t.yaml", 1)
CONFIG = RecipeConfig("vllm", 1, True, (), (), ("vllm_serve", "1_gpu"))
CANDIDATE = Candidate(Recipe("r", "m/M", "m/M", "MI300X", "bf16", (CONFIG,), (), ORIGIN, True), CONFIG, None)
FIT = Fit("m/M", "vllm", 1, 64, 0.9, "", 61.09, 1.02, 2.3, 10.0, 40960, 1, 1.0)


def test_verdicts_and_reasons_are_enums_formatted_by_explain():
    assert explain_verdict(TraceEntry(CANDIDATE, Verdict.SELECTED)) == "SELECTED"
    assert explain_verdict(TraceEntry(CANDIDATE, Verdict.KEPT)) == "kept, ranked lower"
    rejected = TraceEntry(CANDIDATE, Verdict.REJECTED, Reason.GPU_COUNT, "1 GPU, endpoint asks for 4")
    assert explain_verdict(rejected) == "rejected (gpu_count)"
    assert explain_detail(rejected) == "1 GPU, endpoint asks for 4"


def test_explain_formats_the_fit_arithmetic_of_kept_and_rejected_candidates():
    kept = TraceEntry(CANDIDATE, Verdict.KEPT, fit=FIT)
    rejected = TraceEntry(CANDIDATE, Verdict.REJECTED, Reason.MEMORY, fit=FIT)
    assert explain_detail(kept) == "fits: " + FIT.describe()
    assert explain_detail(rejected) == FIT.describe()
    assert FIT.describe().startswith("needs 74.6 GiB per GPU, has 57.6 GiB (64 GiB × 0.90): weights 61.09 GiB × 1.02")
    unchecked = TraceEntry(CANDIDATE, Verdict.SELECTED, fit_unchecked="no facts for model 'm/M'")
    assert explain_detail(unchecked) == "fit not checked: no facts for model 'm/M'"


def test_only_memory_and_heads_are_defects_of_a_matching_configuration():
    assert {r for r in Reason if not r.from_request} == {Reason.MEMORY, Reason.HEADS, Reason.PARALLELISM}
