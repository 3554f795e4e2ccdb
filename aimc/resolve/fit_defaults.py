"""What each engine release does when the command line leaves a memory setting unset: the defaults the memory fit
reads (`fit_vllm`, `fit_sglang`), per release, each row citing the file of the release it was read from.

A table is `((first release, value), ...)`, ascending; a release takes the row of the newest first release at or
before it. Releases are aimc's shipped flag-set versions (an image's version between two of them is read as the
nearest one, `catalog.runtime.nearest_version`), so "first release" is the first *shipped* release that has the value:
the change may have landed in a release aimc does not ship between the two.
"""

from __future__ import annotations

from aimc.catalog.flag_sets import PINNED
from aimc.catalog.runtime import version_key
from aimc.records import Record


def release(engine: str, version: str | None) -> str:
    """The release whose defaults apply: the given one, else the default image's (`flag_sets.PINNED`)."""
    return version or PINNED[engine]


def by_release(table, version: str):
    key = version_key(version)
    return [value for first, value in table if version_key(first) <= key][-1]


# -- vLLM -------------------------------------------------------------------------------------------------

# --gpu-memory-utilization when unset: vllm/config/cache.py `gpu_memory_utilization` default 0.9 (line 50 of 0.11.1,
# 49 of 0.17.0), 0.92 (66 of 0.21.0, 68 of 0.27.1); 0.34.0 leaves it None and `resolved_gpu_memory_utilization`
# (cache.py:495) returns 1.0 with the extensible KV cache, the default on CUDA and ROCm (cache.py:229), which sizes the
# cache from memory measured after warm-up, HIP graphs included. None here: that measured sizing.
VLLM_UTILISATION = (("0", 0.9), ("0.21.0", 0.92), ("0.34.0", None))

# --max-num-batched-tokens and --max-num-seqs of the OpenAI server when unset, by the GPU's memory:
# `EngineArgs.get_batch_defaults` (vllm/engine/arg_utils.py:1892 of 0.11.1, :2544 of 0.27.1: 8192 and 1024 from
# 70 GiB, else 2048 and 256; :3010 of 0.34.0 adds 16384 and 1024 from 160 GiB). Rows: (at least GiB, tokens, seqs).
VLLM_BATCH = (("0", ((70, 8192, 1024), (0, 2048, 256))),
              ("0.34.0", ((160, 16384, 1024), (70, 8192, 1024), (0, 2048, 256))))


class VllmBatch(Record):
    batched_tokens: int
    max_num_seqs: int


def vllm_batch(memory_gib: float, version: str, max_len: int, batched_tokens: int | None,
               max_num_seqs: int | None) -> VllmBatch:
    """The scheduler's batch limits: the command line's, else the release's defaults. A defaulted token budget never
    exceeds max-num-seqs × the maximum length (`_set_default_args`, arg_utils.py:2024 of 0.11.1, :3259 of 0.34.0)."""
    _, tokens, seqs = next(row for row in by_release(VLLM_BATCH, version) if memory_gib >= row[0])
    seqs = max_num_seqs or seqs
    return VllmBatch(batched_tokens or min(tokens, seqs * max_len), seqs)


# -- SGLang -----------------------------------------------------------------------------------------------

# (GPU memory below, GiB) -> (--chunked-prefill-size, largest decode graph batch below TP 4, at TP 4 or more): the
# ROCm rows of `_handle_gpu_memory_settings` (sglang/srt/server_args.py:679 of 0.5.5.post3, :3900 of 0.5.16; the
# NPU rows do not apply). 0.5.23 (sglang/srt/arg_groups/memory_hook.py:101) raised the 20-35 GiB row (an MI300X in
# CPX mode: 24 GiB) from 2048 tokens and 24/80 graphs to 4096 and 48/160.
_TIERS = ((20, 2048, 8, 8), (35, 2048, 24, 80), (60, 4096, 32, 160), (90, 8192, 256, 512), (160, 8192, 256, 512),
          (float("inf"), 16384, 512, 512))
SGLANG_TIERS = (("0", _TIERS), ("0.5.23", (_TIERS[0], (35, 4096, 48, 160), *_TIERS[2:])))

# MiB added to the default fraction's reserve for speculative decoding, after the 10 GiB floor: 0.5.5.post3 +2 GiB
# for EAGLE-style drafts, +6 GiB for STANDALONE, none for NGRAM (server_args.py:828-831); 0.5.12 +4 GiB for EAGLE
# (server_args.py:1579-1582); from 0.5.14 none (the reserve in server_args.py:3122 of 0.5.14 and
# memory_hook.py:281 of 0.5.23 has no speculative term).
SGLANG_SPECULATIVE_MIB = (("0", (("STANDALONE", 6144), ("NGRAM", 0), ("", 2048))),
                          ("0.5.12", (("STANDALONE", 6144), ("NGRAM", 0), ("", 4096))),
                          ("0.5.14", ()))

# With SGLANG_ENABLE_POST_CAPTURE_KV_SIZING=1 the default fraction keeps only a floor (+ TP × PP / 8 GiB): 512 MiB
# in 0.5.16 (server_args.py:4058), 1536 MiB in 0.5.23 (memory_hook.py:294); the switch does not exist before 0.5.16.
SGLANG_POST_CAPTURE_FLOOR_MIB = (("0", None), ("0.5.16", 512), ("0.5.23", 1536))

# The graph term of the reserve (2 MiB per decode graph batch) counts even with graphs off up to 0.5.14
# (server_args.py:807 of 0.5.5.post3); from 0.5.16 only while decode graphs are on (`reserve_for_graph_mb`,
# server_args.py:4164; --disable-cuda-graph turns the decode backend off, server_args.py:3608).
SGLANG_GRAPH_RESERVE_FOLLOWS = (("0", False), ("0.5.16", True))

# 0.5.23 caps a defaulted decode graph batch at --max-running-requests (memory_hook.py:183).
SGLANG_GRAPH_BS_CAPPED = (("0", False), ("0.5.23", True))

# SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION (0.5.23, off by default, sglang/srt/environ.py:1071): a
# --mem-fraction-static given on the command line is used as is, not × 0.85 with aiter above 8192 tokens
# (arg_groups/attention_hook.py:253).
SGLANG_AITER_KEEPS_EXPLICIT = (("0", False), ("0.5.23", True))

# --max-running-requests when unset: pool tokens / context length × 512, within 2048..4096
# (model_runner.py:1593 of 0.5.5.post3); 0.5.23 also keeps it at most half the pool's tokens
# (mem_cache/kv_cache_configurator.py:3123-3132).
SGLANG_RUNNING_HALF_POOL = (("0", False), ("0.5.23", True))


def sglang_tier(memory_gib: float, tp: int, version: str) -> tuple[int, int]:
    """(chunked prefill size, largest decode graph batch) the release picks for a GPU of this memory."""
    for below, chunked, small_tp, large_tp in by_release(SGLANG_TIERS, version):
        if memory_gib < below:
            return chunked, small_tp if tp < 4 else large_tp
    raise AssertionError("the last tier has no bound")


def sglang_speculative_mib(algorithm: str | None, version: str) -> int:
    if not algorithm:
        return 0
    for name, mib in by_release(SGLANG_SPECULATIVE_MIB, version):
        if name in ("", algorithm.upper()):
            return mib
    return 0


def sglang_running_requests(pool_tokens: int, context_len: int, version: str) -> int:
    estimated = max(min(int(pool_tokens / context_len * 512), 4096), 2048)
    return min(estimated, pool_tokens // 2) if by_release(SGLANG_RUNNING_HALF_POOL, version) else estimated
