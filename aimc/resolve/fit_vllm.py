"""vLLM's memory accounting, per GPU (the README's "Memory fit"), by release:

    budget   B = memory × u                                 u = --gpu-memory-utilization, default by release (below)
    inside   1.02 × weights + activation peak + non-torch    (KAITO's estimator: × 1.02, 1.7 GiB + 0.6 GiB)
    KV       B − inside: vLLM refuses to start unless it holds one sequence of the maximum length
    outside  memory × (1 − u) must hold the HIP graphs, captured after the KV cache is allocated

vLLM profiles the activation peak with one batch of --max-num-batched-tokens and sizes the KV cache from what is
left of the budget; graphs are captured afterwards, outside the budget (runtime.md, "Memory"). So utilisation 0.95
can start a configuration that 0.90 cannot (Llama-3.3-70B bf16 at 131072 tokens on one MI300X), as long as 5 % of
the GPU still holds the graphs.

Defaults by release (read from each wheel): --gpu-memory-utilization 0.9 up to 0.17 (vllm/config/cache.py:49 of
0.17.0), 0.92 from 0.21 (cache.py:66 of 0.21.0, :68 of 0.27.1); 0.34 leaves it unset, and with the extensible KV cache
(the default on ROCm) sizes the cache from measured memory, graphs included (`resolved_gpu_memory_utilization`,
cache.py:495 of 0.34.0): the whole GPU is the budget and the graphs count inside it. --max-num-batched-tokens for the
OpenAI server: 8192 on GPUs of 70 GiB or more, else 2048; from 0.34, 16384 on GPUs of 160 GiB or more
(`_set_default_max_num_seqs_and_batched_tokens_args` inputs, engine/arg_utils.py:3010 of 0.34.0, :2544 of 0.27.1).
"""

from __future__ import annotations

from aimc.catalog.flag_sets import PINNED
from aimc.catalog.model_facts import ModelFacts
from aimc.catalog.runtime import version_key
from aimc.catalog.weight_bytes import weight_bytes
from aimc.model.plan import Fit
from aimc.resolve.fit_kv import GIB, sequence_kv
from aimc.resolve.fit_settings import Settings

WEIGHT_FACTOR = 1.02
ACTIVATION_GIB = 1.7  # profiled activation peak (KAITO's estimator)
NON_TORCH_GIB = 0.6  # HIP context, RCCL buffers (KAITO's estimator)
# HIP graphs: vLLM logs "Graph capturing finished ..., took 0.3-1.5 GiB" for the default capture sizes; 1 GiB.
GRAPHS_GIB = 1.0
# (first release, default --gpu-memory-utilization; None: unset, the KV cache sized from measured memory)
UTILISATION_BY_RELEASE = (("0", 0.9), ("0.21.0", 0.92), ("0.34.0", None))
# (first release, ((GPU memory at least, GiB), default --max-num-batched-tokens of the OpenAI server), ...): the
# sliding-window layers keep one such batch besides their window.
BATCHED_TOKENS_BY_RELEASE = (("0", ((70, 8192), (0, 2048))), ("0.34.0", ((160, 16384), (70, 8192), (0, 2048))))


def _by_release(table, version: str | None):
    key = version_key(version or PINNED["vllm"])
    return [value for first, value in table if version_key(first) <= key][-1]


def batched_tokens(memory_gib: float, settings: Settings, version: str | None = None) -> int:
    if settings.batched_tokens:
        return settings.batched_tokens
    return next(tokens for least, tokens in _by_release(BATCHED_TOKENS_BY_RELEASE, version) if memory_gib >= least)


def compute(model: ModelFacts, precision: str, tp: int, pp: int, memory_gib: float, settings: Settings,
            version: str | None = None) -> Fit:
    """The fit by the accounting of vLLM `version` (a shipped flag-set version; default: the default image's)."""
    gpus = tp * pp
    stored = weight_bytes(model, precision)  # per tensor group: a quantized checkpoint keeps some at 16 bits
    weights = stored.gb * 1e9 / gpus / GIB
    max_len = settings.max_len or model.max_context
    kv = sequence_kv(model, max_len, settings.kv_dtype, tp, pp, batched_tokens(memory_gib, settings, version))
    graphs = 0.0 if settings.no_graphs else GRAPHS_GIB
    runtime = ACTIVATION_GIB + NON_TORCH_GIB
    utilisation, note = settings.utilisation, ""
    if utilisation is None:
        utilisation = _by_release(UTILISATION_BY_RELEASE, version)
        if utilisation is None:  # 0.34: the whole GPU, graphs measured inside it
            utilisation, runtime, graphs = 1.0, runtime + graphs, 0.0
            note = f"vLLM {version}'s default: sized from measured memory"
    return Fit(model.id, "vllm", gpus, memory_gib, utilisation, note, weights, WEIGHT_FACTOR, runtime, kv.gib,
               max_len, kv.split, graphs, kv.windowed, stored.describe())
