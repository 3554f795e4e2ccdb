"""vLLM's memory accounting, per GPU (the README's "Memory fit"), by release:

    budget   B = memory × u                                 u = --gpu-memory-utilization, default by release (below)
    inside   1.02 × weights + activation peak + non-torch    (KAITO's estimator: × 1.02, 1.7 GiB + 0.6 GiB)
    KV       B − inside: vLLM refuses to start unless it holds one sequence of the maximum length
    outside  memory × (1 − u) must hold the HIP graphs, captured after the KV cache is allocated

vLLM profiles the activation peak with one batch of --max-num-batched-tokens and sizes the KV cache from what is
left of the budget; graphs are captured afterwards, outside the budget (runtime.md, "Memory"). So utilisation 0.95
can start a configuration that 0.90 cannot (Llama-3.3-70B bf16 at 131072 tokens on one MI300X), as long as 5 % of
the GPU still holds the graphs.

The defaults by release (--gpu-memory-utilization, --max-num-batched-tokens, --max-num-seqs) live in `fit_defaults`,
each citing the file of its release. vLLM 0.34 leaves the utilisation unset and, with the extensible KV cache (the
default on ROCm), sizes the cache from measured memory, graphs included: the whole GPU is the budget and the graphs
count inside it.
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelFacts
from aimc.catalog.weight_bytes import weight_bytes
from aimc.model.plan import Fit
from aimc.resolve import fit_defaults
from aimc.resolve.fit_kv import GIB, sequence_kv
from aimc.resolve.fit_settings import Settings

WEIGHT_FACTOR = 1.02
ACTIVATION_GIB = 1.7  # profiled activation peak (KAITO's estimator)
NON_TORCH_GIB = 0.6  # HIP context, RCCL buffers (KAITO's estimator)
# HIP graphs: vLLM logs "Graph capturing finished ..., took 0.3-1.5 GiB" for the default capture sizes; 1 GiB.
GRAPHS_GIB = 1.0


def batched_tokens(memory_gib: float, settings: Settings, version: str | None = None) -> int:
    """--max-num-batched-tokens: the command line's, else release `version`'s default for this GPU and length."""
    return _batch(memory_gib, settings, fit_defaults.release("vllm", version), settings.max_len or 0).batched_tokens


def _batch(memory_gib: float, settings: Settings, version: str, max_len: int) -> fit_defaults.VllmBatch:
    return fit_defaults.vllm_batch(memory_gib, version, max_len or 1 << 62, settings.batched_tokens,
                                   settings.max_num_seqs)


def compute(model: ModelFacts, precision: str, tp: int, pp: int, memory_gib: float, settings: Settings,
            version: str | None = None) -> Fit:
    """The fit by the accounting of vLLM `version` (a shipped flag-set version; default: the default image's)."""
    version = fit_defaults.release("vllm", version)
    gpus = tp * pp
    stored = weight_bytes(model, precision)  # per tensor group: a quantized checkpoint keeps some at 16 bits
    weights = stored.gb * 1e9 / gpus / GIB
    max_len = settings.max_len or model.max_context
    batch = _batch(memory_gib, settings, version, max_len)
    kv = sequence_kv(model, max_len, settings.kv_dtype, tp, pp, batch.batched_tokens)
    graphs = 0.0 if settings.no_graphs else GRAPHS_GIB
    runtime = ACTIVATION_GIB + NON_TORCH_GIB
    utilisation, note = settings.utilisation, ""
    if utilisation is None:
        utilisation = fit_defaults.by_release(fit_defaults.VLLM_UTILISATION, version)
        note = f"vLLM {version}'s default"
        if utilisation is None:  # 0.34: the whole GPU, graphs measured inside it
            utilisation, runtime, graphs = 1.0, runtime + graphs, 0.0
            note += ": sized from measured memory"
    return Fit(model.id, "vllm", gpus, memory_gib, utilisation, note, weights, WEIGHT_FACTOR, runtime, kv.gib,
               max_len, kv.split, graphs, kv.windowed, stored.describe(),
               _defaults(version, memory_gib, settings, batch, note))


def _defaults(version: str, memory_gib: float, settings: Settings, batch: fit_defaults.VllmBatch,
              utilisation_note: str) -> str:
    """The release's defaults this fit used (the command line's own values are not defaults), for `explain`."""
    used = []
    if not settings.batched_tokens:
        used.append(f"--max-num-batched-tokens {batch.batched_tokens}")
    if not settings.max_num_seqs:
        used.append(f"--max-num-seqs {batch.max_num_seqs}")
    if utilisation_note:
        value = fit_defaults.by_release(fit_defaults.VLLM_UTILISATION, version)
        used.append(f"--gpu-memory-utilization {value:g}" if value is not None
                    else "--gpu-memory-utilization unset (KV cache sized from measured memory, graphs inside)")
    if not used:
        used.append("none (the command line sets them all)")
    return f"vLLM {version} on a {memory_gib:g} GiB GPU: {', '.join(used)}"
