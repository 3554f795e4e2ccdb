"""vLLM 0.11's memory accounting, per GPU (the README's "Memory fit"):

    budget   B = memory × u                                 u = --gpu-memory-utilization (default 0.9)
    inside   1.02 × weights + activation peak + non-torch    (KAITO's estimator: × 1.02, 1.7 GiB + 0.6 GiB)
    KV       B − inside: vLLM refuses to start unless it holds one sequence of the maximum length
    outside  memory × (1 − u) must hold the HIP graphs, captured after the KV cache is allocated

vLLM profiles the activation peak with one batch of --max-num-batched-tokens and sizes the KV cache from what is
left of the budget; graphs are captured afterwards, outside the budget (runtime.md, "Memory"). So utilisation 0.95
can start a configuration that 0.90 cannot (Llama-3.3-70B bf16 at 131072 tokens on one MI300X), as long as 5 % of
the GPU still holds the graphs.
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelFacts, bytes_per_parameter
from aimc.model.plan import Fit
from aimc.resolve.fit_kv import GIB, sequence_kv
from aimc.resolve.fit_settings import Settings

WEIGHT_FACTOR = 1.02
ACTIVATION_GIB = 1.7  # profiled activation peak (KAITO's estimator)
NON_TORCH_GIB = 0.6  # HIP context, RCCL buffers (KAITO's estimator)
# HIP graphs: vLLM logs "Graph capturing finished ..., took 0.3-1.5 GiB" for the default capture sizes; 1 GiB.
GRAPHS_GIB = 1.0
DEFAULT_UTILISATION = 0.9
# vLLM's default --max-num-batched-tokens for the OpenAI server: 8192 on GPUs of 70 GiB or more, else 2048
# (EngineArgs batch defaults); the sliding-window layers keep one such batch besides their window.
LARGE_GPU_GIB = 70
BATCHED_TOKENS = (2048, 8192)


def batched_tokens(memory_gib: float, settings: Settings) -> int:
    if settings.batched_tokens:
        return settings.batched_tokens
    return BATCHED_TOKENS[memory_gib >= LARGE_GPU_GIB]


def compute(model: ModelFacts, precision: str, tp: int, pp: int, memory_gib: float, settings: Settings) -> Fit:
    gpus = tp * pp
    weights = model.parameters_b * 1e9 * bytes_per_parameter(precision) / gpus / GIB
    max_len = settings.max_len or model.max_context
    kv = sequence_kv(model, max_len, settings.kv_dtype, tp, pp, batched_tokens(memory_gib, settings))
    utilisation = settings.utilisation if settings.utilisation is not None else DEFAULT_UTILISATION
    return Fit(model.id, "vllm", gpus, memory_gib, utilisation, "", weights, WEIGHT_FACTOR,
               ACTIVATION_GIB + NON_TORCH_GIB, kv.gib, max_len, kv.split, 0.0 if settings.no_graphs else GRAPHS_GIB,
               kv.windowed)
