"""The precedence merge (aimc/resolve/arg_merge.py): the defaults-and-recipe start of a merge is shared by every
merge of that configuration, and no merge changes it for the next."""

from __future__ import annotations

from aimc.resolve.arg_merge import merge_args

# Only this test uses these configurations, so the first merge of each starts from scratch.
RECIPE = (("--dtype", "bfloat16"), ("--max-model-len", "32768"), ("--enable-prefix-caching", None),
          ("--tensor-parallel-size", "3"), ("--port", "9000"), ("--gpu-memory-utilization", "0.917"))
# A list value cannot be a cache key: merges with it are computed again on every call (from the shared start).
LISTED = (("--allowed-origins", ["a", "b"]),)
# Removes, replaces and negates recipe flags, adds others, and reports problems and notes.
DESTRUCTIVE = (("--dtype", None), ("--enable-prefix-caching", False), ("--max-model-len", "1024"), ("--seed", 7),
               ("--port", 1), ("max_model_len", "2048"))


def test_a_merge_leaves_the_shared_start_of_its_configuration_as_it_found_it():
    for engine in ("vllm", "sglang"):
        first = merge_args(engine, RECIPE, 2, (), LISTED)
        assert first.problems  # the recipe's TP size and --port: problems and notes the start holds
        merge_args(engine, RECIPE, 2, (("gpuMemoryUtilization", "0.5"), ("enablePrefixCaching", False)), DESTRUCTIVE)
        merge_args(engine, RECIPE, 2, (), DESTRUCTIVE, (("--dtype", "half"),))
        assert merge_args(engine, RECIPE, 2, (), LISTED) == first


def test_the_gpu_count_is_part_of_the_shared_start():
    two, three = merge_args("vllm", RECIPE, 2, (), LISTED), merge_args("vllm", RECIPE, 3, (), LISTED)
    assert any("differs from the configuration's GPU count 2" in p.message for p in two.problems)
    assert not any("GPU count" in p.message for p in three.problems)
