"""SGLang's memory accounting, per GPU (the README's "Memory fit"), by release:

    fraction f  = --mem-fraction-static, or the release's own default (below); × 0.85 with the aiter attention
                  backend (the ROCm default) and a context above 8192 tokens
                  (`ServerArgs._handle_attention_backend_compatibility`; 0.5.23: arg_groups/attention_hook.py:268)
    KV pool     memory × f − 1.02 × weights − non-torch memory
    outside     memory × (1 − f) must hold the CUDA/HIP graphs

SGLang refuses to start only when the pool is ≤ 0 ("Not enough memory. Please try to increase --mem-fraction-static",
`ModelRunner.profile_max_num_token`); a pool smaller than one maximum-length sequence starts and caps request length.

The default fraction is `_handle_gpu_memory_settings` (0.5.23: arg_groups/memory_hook.py): by GPU memory it picks a
chunked-prefill size and a largest decode graph batch, reserves (in MiB) 512 + 1.5 × max(chunked prefill, 2048) +
2 × graph batch + 1024 × TP × PP / 8, at least 10 GiB on GPUs above 60 GiB (then, up to 0.5.12, a speculative
decoding term), and sets f = round((memory − reserved) / memory, 3): 0.867 on one MI300X, 0.795 on one MI250 GCD.
What changed between releases (the tiers, the speculative term, the graph batch capped by --max-running-requests)
is in `fit_defaults`, each row citing its release. The prefill (piecewise) graph reserve of 0.5.12 on does not apply:
every release turns those graphs off on HIP (server_args.py:1321 of 0.5.12, "non-CUDA hardware" of 0.5.16). Not
modelled: DP attention, DeepEP buffers and the multimodal adjustment.

SGLANG_ENABLE_POST_CAPTURE_KV_SIZING (0.5.16 on) is not modelled either: SGLang plans it only when `device` is
"cuda", which it is under ROCm's torch, but resizes the pool only when `current_platform.is_cuda()`, which is false
on ROCm (model_executor/model_runner_components/kv_pool_runtime.py:22 of 0.5.16, :34 of 0.5.23); `env_checks` warns.
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelFacts
from aimc.catalog.weight_bytes import weight_bytes
from aimc.model.plan import Fit
from aimc.records import replace
from aimc.resolve import fit_defaults
from aimc.resolve.fit_kv import GIB, sequence_kv
from aimc.resolve.fit_settings import Settings

WEIGHT_FACTOR = 1.02
NON_TORCH_GIB = 0.6  # HIP context, RCCL buffers (KAITO's estimator); activations live outside the fraction
AITER_FACTOR = 0.85
AITER_CONTEXT = 8192
MAX_PREFILL_TOKENS = 16384  # --max-prefill-tokens default, sized instead when chunked prefill is off (-1)


def defaults(memory_gib: float, tp: int, settings: Settings, version: str) -> tuple[int, int]:
    """(chunked prefill size, largest decode graph batch) release `version` runs with: the command line's, else its
    defaults for a GPU of this memory (0.5.23 caps a defaulted graph batch at --max-running-requests)."""
    chunked, graph_bs = fit_defaults.sglang_tier(memory_gib, tp, version)
    if settings.graph_max_bs:
        graph_bs = settings.graph_max_bs
    elif settings.max_num_seqs and fit_defaults.by_release(fit_defaults.SGLANG_GRAPH_BS_CAPPED, version):
        graph_bs = min(graph_bs, settings.max_num_seqs)
    return settings.batched_tokens or chunked, graph_bs


def default_fraction(memory_gib: float, tp: int, pp: int, settings: Settings, version: str | None = None) -> float:
    version = fit_defaults.release("sglang", version)
    chunked, graph_bs = defaults(memory_gib, tp, settings, version)
    memory_mib = memory_gib * 1024
    prefill = chunked if chunked > 0 else MAX_PREFILL_TOKENS
    graphs_off = settings.no_graphs and fit_defaults.by_release(fit_defaults.SGLANG_GRAPH_RESERVE_FOLLOWS, version)
    reserved = 512 + max(prefill, 2048) * 1.5 + (0 if graphs_off else graph_bs * 2) + tp * pp / 8 * 1024
    if memory_mib > 60 * 1024:
        reserved = max(reserved, 10 * 1024)
    reserved += fit_defaults.sglang_speculative_mib(settings.speculative, version)
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
            version: str | None = None) -> Fit:
    """The fit by the accounting of SGLang `version` (a shipped flag-set version; default: the default image's)."""
    version = fit_defaults.release("sglang", version)
    gpus = tp * pp
    stored = weight_bytes(model, precision)  # per tensor group: a quantized checkpoint keeps some at 16 bits
    weights = stored.gb * 1e9 / gpus / GIB
    max_len = settings.max_len or model.max_context
    chunked, graph_bs = defaults(memory_gib, tp, settings, version)
    kv = sequence_kv(model, max_len, settings.kv_dtype, tp, pp, chunked)
    default = default_fraction(memory_gib, tp, pp, settings, version) if settings.utilisation is None else None
    fraction, notes = settings.utilisation or default, []
    assert fraction is not None  # the command line's, else the default
    if default is not None:
        notes.append(f"SGLang {version}'s default {default:.3f}")
    if attention_backend(model, tp, settings) == "aiter" and max_len > AITER_CONTEXT:
        if default is None and settings.aiter_keeps_fraction and fit_defaults.by_release(
                fit_defaults.SGLANG_AITER_KEEPS_EXPLICIT, version):
            notes.append(f"kept with aiter above {AITER_CONTEXT} tokens: SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION")
        else:
            notes.append(f"{fraction:g} × {AITER_FACTOR} with aiter above {AITER_CONTEXT} tokens")
            fraction *= AITER_FACTOR
    graphs = 0.0 if settings.no_graphs else graph_bs * 2 / 1024
    result = Fit(model.id, "sglang", gpus, memory_gib, fraction, "; ".join(notes), weights, WEIGHT_FACTOR,
                 NON_TORCH_GIB, kv.gib, max_len, kv.split, graphs, kv.windowed, stored.describe())
    return replace(result, defaults=_defaults(version, result, settings, (chunked, graph_bs, default)))


def _defaults(version: str, fit: Fit, settings: Settings, used_values: tuple[int, int, float | None]) -> str:
    """The release's defaults this fit used (the command line's own values are not defaults), for `explain`."""
    chunked, graph_bs, fraction = used_values
    used = []
    if not settings.batched_tokens:
        used.append(f"--chunked-prefill-size {chunked}")
    if not settings.graph_max_bs and not settings.no_graphs:
        used.append(f"--cuda-graph-max-bs {graph_bs}")
    if fraction is not None:
        used.append(f"--mem-fraction-static {fraction:.3f}")
    if not settings.max_num_seqs and fit.pool_tokens:
        running = fit_defaults.sglang_running_requests(fit.pool_tokens, fit.max_len, version)
        used.append(f"--max-running-requests {running} (from the KV pool's {fit.pool_tokens} tokens)")
    if not used:
        used.append("none (the command line sets them all)")
    return f"SGLang {version} on a {fit.memory_gib:g} GiB GPU: {', '.join(used)}"
