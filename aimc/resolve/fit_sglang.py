"""SGLang 0.5.5.post3's memory accounting, per GPU (the README's "Memory fit"):

    fraction f  = --mem-fraction-static, or SGLang's own default (below); × 0.85 with the aiter attention backend
                  (the ROCm default) and a context above 8192 tokens
                  (`ServerArgs._handle_attention_backend_compatibility`)
    KV pool     memory × f − 1.02 × weights − non-torch memory
    outside     memory × (1 − f) must hold the CUDA/HIP graphs

SGLang refuses to start only when the pool is ≤ 0 ("Not enough memory. Please try to increase --mem-fraction-static",
`ModelRunner.profile_max_num_token`); a pool smaller than one maximum-length sequence starts and caps request length.

The default fraction is `ServerArgs._handle_gpu_memory_settings`: by GPU memory it picks a chunked-prefill size and a
largest graph batch, reserves (in MiB) 512 + 1.5 × max(chunked prefill, 2048) + 2 × graph batch + 1024 × TP × PP / 8,
at least 10 GiB on GPUs above 60 GiB (+ 2 GiB for EAGLE-style speculative decoding, + 6 GiB for STANDALONE), and sets
f = round((memory − reserved) / memory, 3): 0.867 on one MI300X, 0.795 on one MI250 GCD. Not modelled: DP attention
and the multimodal adjustment.
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelFacts
from aimc.catalog.weight_bytes import weight_bytes
from aimc.model.plan import Fit
from aimc.resolve.fit_kv import GIB, sequence_kv
from aimc.resolve.fit_settings import Settings

WEIGHT_FACTOR = 1.02
NON_TORCH_GIB = 0.6  # HIP context, RCCL buffers (KAITO's estimator); activations live outside the fraction
AITER_FACTOR = 0.85
AITER_CONTEXT = 8192
# (GPU memory below, in GiB) -> (chunked prefill size, largest graph batch below TP 4, at TP 4 or more); ROCm rows of
# `_handle_gpu_memory_settings` (the NPU rows do not apply).
MEMORY_TIERS = ((20, 2048, 8, 8), (35, 2048, 24, 80), (60, 4096, 32, 160), (90, 8192, 256, 512),
                (160, 8192, 256, 512), (float("inf"), 16384, 512, 512))
MAX_PREFILL_TOKENS = 16384  # --max-prefill-tokens default, sized instead when chunked prefill is off (-1)


def defaults(memory_gib: float, tp: int) -> tuple[int, int]:
    """(chunked prefill size, largest graph batch) SGLang picks for a GPU of this memory."""
    for below, chunked, small_tp, large_tp in MEMORY_TIERS:
        if memory_gib < below:
            return chunked, small_tp if tp < 4 else large_tp
    raise AssertionError("the last tier has no bound")


def default_fraction(memory_gib: float, tp: int, pp: int, settings: Settings) -> float:
    chunked, graph_bs = defaults(memory_gib, tp)
    chunked = settings.batched_tokens or chunked
    graph_bs = settings.graph_max_bs or graph_bs
    memory_mib = memory_gib * 1024
    prefill = chunked if chunked > 0 else MAX_PREFILL_TOKENS
    reserved = 512 + max(prefill, 2048) * 1.5 + graph_bs * 2 + tp * pp / 8 * 1024
    if memory_mib > 60 * 1024:
        reserved = max(reserved, 10 * 1024)
    if settings.speculative:
        reserved += 6 * 1024 if settings.speculative.upper() == "STANDALONE" else (
            0 if settings.speculative.upper() == "NGRAM" else 2 * 1024)
    return round((memory_mib - reserved) / memory_mib, 3)


def attention_backend(model: ModelFacts, tp: int, settings: Settings) -> str:
    """SGLang's default attention backend on ROCm: aiter, except triton for gpt-oss (a model-specific rule) and for
    MLA models whose KV heads per GPU are neither 16 nor 128."""
    if settings.attention_backend:
        return settings.attention_backend
    if model.id.lower().startswith("openai/gpt-oss"):
        return "triton"
    if model.kv_latent_dim:
        return "aiter" if max(1, model.attention_heads // tp) in (16, 128) else "triton"
    return "aiter"


def compute(model: ModelFacts, precision: str, tp: int, pp: int, memory_gib: float, settings: Settings,
            version: str | None = None) -> Fit:  # one accounting for every shipped release (see the docstring)
    gpus = tp * pp
    stored = weight_bytes(model, precision)  # per tensor group: a quantized checkpoint keeps some at 16 bits
    weights = stored.gb * 1e9 / gpus / GIB
    max_len = settings.max_len or model.max_context
    chunked, graph_bs = defaults(memory_gib, tp)
    kv = sequence_kv(model, max_len, settings.kv_dtype, tp, pp, settings.batched_tokens or chunked)
    fraction, notes = settings.utilisation, []
    if fraction is None:
        fraction = default_fraction(memory_gib, tp, pp, settings)
        notes.append(f"SGLang's default {fraction:.3f}")
    if attention_backend(model, tp, settings) == "aiter" and max_len > AITER_CONTEXT:
        notes.append(f"{fraction:g} × {AITER_FACTOR} with aiter above {AITER_CONTEXT} tokens")
        fraction *= AITER_FACTOR
    graphs = 0.0 if settings.no_graphs else (settings.graph_max_bs or graph_bs) * 2 / 1024
    return Fit(model.id, "sglang", gpus, memory_gib, fraction, "; ".join(notes), weights, WEIGHT_FACTOR,
               NON_TORCH_GIB, kv.gib, max_len, kv.split, graphs, kv.windowed, stored.describe())
