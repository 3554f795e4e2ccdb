"""The precedence merge (aimc/resolve/arg_merge.py): memoised within one compile only, on typed values, and no merge
changes what the next one of its configuration starts from."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

from aimc.memo import one_compile
from aimc.resolve.arg_merge import merge_args

RECIPE = (("--dtype", "bfloat16"), ("--max-model-len", "32768"), ("--enable-prefix-caching", None),
          ("--tensor-parallel-size", "3"), ("--port", "9000"), ("--gpu-memory-utilization", "0.917"))
LISTED = (("--allowed-origins", ["a", "b"]),)
# Removes, replaces and negates recipe flags, adds others, and reports problems and notes.
DESTRUCTIVE = (("--dtype", None), ("--enable-prefix-caching", False), ("--max-model-len", "1024"), ("--seed", 7),
               ("--port", 1), ("max_model_len", "2048"))


@pytest.mark.parametrize("scope", [one_compile, None], ids=["one-compile", "no-compile"])
def test_a_merge_leaves_its_configuration_as_it_found_it(scope):
    with scope() if scope else nullcontext():
        for engine in ("vllm", "sglang"):
            first = merge_args(engine, RECIPE, 2, (), LISTED)
            assert first.problems  # the recipe's TP size and --port
            merge_args(engine, RECIPE, 2, (("gpuMemoryUtilization", "0.5"), ("enablePrefixCaching", False)), DESTRUCTIVE)
            merge_args(engine, RECIPE, 2, (), DESTRUCTIVE, (("--dtype", "half"),))
            assert merge_args(engine, RECIPE, 2, (), LISTED) == first


def test_the_gpu_count_is_part_of_the_merge():
    with one_compile():
        two, three = merge_args("vllm", RECIPE, 2, (), LISTED), merge_args("vllm", RECIPE, 3, (), LISTED)
    assert any("differs from the configuration's GPU count 2" in p.message for p in two.problems)
    assert not any("GPU count" in p.message for p in three.problems)


VALUES = [True, 1, 1.0, "1", "true", False, 0, 0.0, -0.0, "0", None]


def _flag_value(merged, flag):
    return [(a.flag, a.value) for a in merged.args if a.flag.endswith(flag[2:])]


@pytest.mark.parametrize("engine, flag", [("sglang", "--hybrid-kvcache-ratio"), ("vllm", "--swap-space")])
def test_equal_values_of_other_types_are_merged_each_on_its_own(engine, flag):
    """In one compile, in any order, each value merges as it would alone (`True == 1 == 1.0` in Python)."""
    alone = {repr(v): _flag_value(merge_args(engine, (), 1, (), ((flag, v),)), flag) for v in VALUES}
    for order in (VALUES, VALUES[::-1]):
        with one_compile():
            assert {repr(v): _flag_value(merge_args(engine, (), 1, (), ((flag, v),)), flag) for v in order} == alone
    assert alone["True"] == [(flag, None)] and alone["1"] == alone["1.0"] == alone["'1'"] == [(flag, "1")]

