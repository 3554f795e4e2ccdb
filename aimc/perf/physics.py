"""The time of one prefill and of one decode step of a configuration, from first principles and four fitted factors.

    prefill  = max(FLOPs / (tp × peak FLOP/s × e_prefill), weights per GPU / (HBM × e_decode)) + all-reduces
               FLOPs = 2 × active parameters × tokens + 2 × layers × tokens × prompt × attention width (causal)
    decode   = max(weights read / tp / (HBM × e_decode) + KV read / (HBM × e_attention),
                   FLOPs / (tp × peak × e_prefill))
               + all-reduces
               + step overhead + batch × per-sequence overhead (the engine's CPU work per running sequence)
               KV read = batch × context × KV bytes per token and GPU (split as the cache is)

Pipeline parallelism splits the layers, not the time: one token still passes every stage in turn, so a step takes
the time of all layers on `tp` GPUs. MoE: a token runs through its active parameters; a decode step of B tokens reads
the stored weights × (1 − (1 − active/total)^B), the expected share of experts B independently routed tokens touch
(1 token: the active parameters; many: all of them); prefill reads all. MLA: the latent is cached whole on every rank
(not split by tensor parallelism). Sliding-window and chunked-attention layers read at most their window.
"""

from __future__ import annotations

import math

from aimc.catalog.weight_bytes import weight_bytes
from aimc.model.facts import ModelFacts
from aimc.perf.calibration import Calibration
from aimc.perf.hardware import Peaks
from aimc.records import Record

ONE_BYTE_KV = ("fp8", "fp8_e4m3", "fp8_e5m2", "int8", "fp8_inc")  # as resolve/fit_kv.py counts them
ACTIVATION_BYTES = 2  # all-reduced activations are 16-bit
DEFAULT_CHUNK = 8192  # tokens per prefill forward pass (vLLM's --max-num-batched-tokens on GPUs of 70 GiB or more)


class Configuration(Record):
    """One replica: a model in one precision on `tp` × `pp` GPUs of one kind, run by one engine."""

    model: ModelFacts
    peaks: Peaks
    precision: str
    engine: str  # vllm | sglang
    tp: int
    pp: int = 1
    max_num_seqs: int | None = None  # --max-num-seqs / --max-running-requests; None: the engine's default
    kv_dtype: str | None = None  # --kv-cache-dtype; None: the model's 16 bits
    batched_tokens: int | None = None  # --max-num-batched-tokens / --chunked-prefill-size
    kv_capacity_tokens: int | None = None  # tokens the KV cache holds (from the memory fit), when known

    @property
    def gpus(self) -> int:
        return self.tp * self.pp


def _weights(config: Configuration) -> float:
    return weight_bytes(config.model, config.precision).gb * 1e9


def _kv_bytes_per_token(config: Configuration, context: float) -> float:
    """KV bytes one token's step reads on one GPU over all layers, at `context` tokens of history."""
    model = config.model
    per_layer = model.kv_bytes_per_token_and_layer(1 if (config.kv_dtype or "").lower() in ONE_BYTE_KV else 2)
    tokens = model.full_attention_layers * context
    if model.sliding_window_layers and model.sliding_window:
        tokens += model.sliding_window_layers * min(context, model.sliding_window)
    if model.chunked_attention_layers and model.attention_chunk_size:
        tokens += model.chunked_attention_layers * min(context, model.attention_chunk_size)
    return tokens * per_layer / model.kv_split(config.tp)


def prompt_kv_bytes(config: Configuration, tokens: float) -> float:
    """The KV cache one GPU holds for a prompt of `tokens` (what a prefill rank hands to decode)."""
    return _kv_bytes_per_token(config, tokens)


def _width(model: ModelFacts) -> int:
    """The hidden width: all-reduced per token, and the attention's query width (heads × head dim) where given."""
    if model.hidden_size:
        return model.hidden_size
    return model.attention_heads * (model.head_dim or 128)


def _allreduces(config: Configuration, tokens: float, passes: int, calibration: Calibration) -> float:
    """Two all-reduces per layer and forward pass (after attention and after the MLP), each of `tokens` × width
    activations over the ring: latency plus 2 (tp − 1) / tp of the bytes at the Infinity Fabric bandwidth."""
    if config.tp == 1:
        return 0.0
    ring = 2 * (config.tp - 1) / config.tp * tokens * _width(config.model) * ACTIVATION_BYTES
    per_layer = 2 * (passes * calibration.allreduce_latency_s + ring / (config.peaks.scale_up_gb_s * 1e9))
    return config.model.layers * per_layer


def _matmul_flops(config: Configuration, tokens: float) -> float:
    return 2 * config.model.active_b * 1e9 * tokens


def _attention_flops(config: Configuration, tokens: float, context: float) -> float:
    """QK^T and PV over `context` tokens of history for each of `tokens` queries: 2 × 2 × width FLOPs per pair."""
    return 4 * config.model.layers * tokens * context * _width(config.model)


def prefill_seconds(config: Configuration, prompts: int, prompt_tokens: float, calibration: Calibration) -> float:
    """Time to prefill `prompts` prompts of `prompt_tokens` each, in forward passes of the engine's chunk size."""
    tokens = prompts * prompt_tokens
    flops = _matmul_flops(config, tokens) + _attention_flops(config, tokens, prompt_tokens / 2)  # causal: half
    compute = flops / (config.tp * config.peaks.flops(config.precision) * calibration.prefill_efficiency)
    passes = max(1, math.ceil(tokens / (config.batched_tokens or DEFAULT_CHUNK)))
    bandwidth = config.peaks.hbm_bytes_s * calibration.decode_bandwidth_efficiency
    memory = passes * _weights(config) / config.tp / bandwidth
    return max(compute, memory) + _allreduces(config, tokens, passes, calibration)


def decode_step_seconds(config: Configuration, batch: float, context: float, calibration: Calibration) -> float:
    """One decode step of `batch` sequences with `context` tokens of history each."""
    model = config.model
    active_share = min(1.0, model.active_b / model.parameters_b)
    touched = 1 - (1 - active_share) ** batch
    hbm = config.peaks.hbm_bytes_s
    weights = _weights(config) * touched / config.tp / (hbm * calibration.decode_bandwidth_efficiency)
    kv = batch * _kv_bytes_per_token(config, context) / (hbm * calibration.attention_bandwidth_efficiency)
    memory = weights + kv
    flops = _matmul_flops(config, batch) + _attention_flops(config, batch, context)
    compute = flops / (config.tp * config.peaks.flops(config.precision) * calibration.prefill_efficiency)
    overhead = calibration.step_overhead_s + batch * calibration.sequence_overhead_s
    return max(memory, compute) + _allreduces(config, batch, 1, calibration) + overhead
