"""The GPU memory LoRA adapters take (spec.adapters): the slots the engine reserves when it starts, one per adapter it
may run in a batch (vLLM --max-loras, SGLang --max-loras-per-batch), each sized for the largest rank it accepts
(--max-lora-rank), whatever the adapters loaded later. An adapter's own weights fill a slot when it runs; the
others wait in host memory (vLLM --max-cpu-loras) and on the model cache.

A slot holds, per layer and LoRA-capable projection, an A matrix (rank × input) and a B matrix (output × rank) in
the model's 16-bit dtype (`--lora-dtype auto`). Tensor parallelism splits them as it splits the projection
(vllm/lora/layers: column-parallel layers keep A whole and split B, row-parallel ones split A and keep B whole;
SGLang's LoRA memory pool is laid out the same way): q, k, v (three A of hidden, B of the heads' widths) and o
(A of the heads' width, B of hidden) for attention; gate and up (two A of hidden, B of intermediate) and down (A of
intermediate, B of hidden) for each gated MLP the engine gives slots: the dense MLPs, and a mixture of experts' shared
and routed experts as resolve/lora_mlp.py reads the engine release's allocation. An MLP whose facts are missing
(no intermediateSize) is not counted, and the note says so.
"""

from __future__ import annotations

from aimc.model.facts import ModelFacts
from aimc.model.inputs import Endpoint
from aimc.model.plan import Fit
from aimc.records import replace
from aimc.resolve import lora_flags
from aimc.resolve.arg_merge import merge_args
from aimc.resolve.flag_values import whole_number
from aimc.resolve.lora_mlp import MlpGroup, mlp_slots

GIB = 2**30
LORA_BYTES = 2  # --lora-dtype auto: the model's dtype, 16-bit for every served checkpoint's activations


def attention_values(model: ModelFacts, tp: int) -> float:
    """A and B values per layer and rank of one slot's q, k, v and o projections on one GPU."""
    hidden = model.hidden_size or model.attention_heads * (model.head_dim or 0)
    head_dim = model.head_dim or hidden // model.attention_heads
    query = model.attention_heads * head_dim
    kv = (model.kv_heads or model.attention_heads) * head_dim
    kv_per_gpu = kv / model.kv_split(tp) if model.kv_heads else kv / tp
    return 3 * hidden + query / tp + 2 * kv_per_gpu + query / tp + hidden


def mlp_values(model: ModelFacts, groups: tuple[MlpGroup, ...], tp: int) -> float:
    """A and B values per rank of one slot's gated MLPs on one GPU, over all layers: gate and up (A of hidden, B of
    the width split by tensor parallelism) and down (A of the split width, B of hidden) for each MLP."""
    hidden = model.hidden_size or model.attention_heads * (model.head_dim or 0)
    return sum(group.layers * group.count * (2 * hidden + 3 * group.width / tp + hidden) for group in groups)


def slot_bytes(model: ModelFacts, rank: int, tp: int, engine: str, version: str | None) -> tuple[float, str]:
    """Bytes of one slot on one GPU at `rank`, and what they hold (for the fit's note)."""
    mlp = mlp_slots(model, engine, version)
    values = model.layers * attention_values(model, tp) + mlp_values(model, mlp.groups, tp)
    if not mlp.groups and mlp.left_out:
        held = f"attention projections only, MLP not counted: {mlp.left_out}"
    else:
        held = "attention and MLP projections" if mlp.groups else "attention projections"
        held += f" ({mlp.counted})" if mlp.counted else ""
        held += f"; not counted: {mlp.left_out}" if mlp.left_out else ""
    return rank * values * LORA_BYTES, held


def adapter_bytes(model: ModelFacts, rank: int) -> tuple[float, bool]:
    """An adapter's own A and B matrices at `rank` in 16 bits, and whether its MLP was counted: the attention and,
    on a dense model with intermediateSize, the MLP projections (which experts an adapter of a mixture-of-experts
    model holds is its own choice: they are not counted)."""
    dense = () if model.routed_experts or not model.intermediate_size else (
        MlpGroup(model.layers, model.intermediate_size),)
    values = model.layers * attention_values(model, 1) + mlp_values(model, dense, 1)
    return rank * values * LORA_BYTES, bool(dense)


def download_bytes(model: ModelFacts, adapters) -> float:
    """What the Hugging Face adapters put on the model cache: each one's weights (adapter_bytes) at its rank, at
    vLLM's default rank 16 (the largest it loads unasked) when no rank is given."""
    return sum(adapter_bytes(model, adapter.rank or lora_flags.VLLM_DEFAULT_RANK)[0]
               for adapter in adapters if adapter.from_hub)


def flag_values(endpoint: Endpoint, engine: str, config_args, gpu_count: int, custom_args, engine_custom_args,
                version: str | None) -> tuple[int, int | None]:
    """(GPU slots, rank) the command line reserves: aimc's flags for the adapters, as customArgs may change them."""
    adapter_args = lora_flags.adapter_args(engine, endpoint.adapters, version)
    merged = merge_args(engine, config_args, gpu_count, endpoint.overrides, custom_args, engine_custom_args, version,
                        adapter_args)
    values = {arg.flag: arg.value for arg in merged.args}
    default_slots = 1 if engine == "vllm" else lora_flags.SGLANG_DEFAULT_SLOTS
    slots = whole_number(values.get(lora_flags.SLOTS_FLAG[engine])) or default_slots
    rank = whole_number(values.get("--max-lora-rank"))
    if rank is None and engine == "vllm":
        rank = lora_flags.VLLM_DEFAULT_RANK
    return slots, rank


def with_adapters(fit: Fit, model: ModelFacts, endpoint: Endpoint, engine: str, tp: int, config_args,
                  gpu_count: int, custom_args=(), engine_custom_args=(), version: str | None = None) -> Fit:
    """`fit` with the adapters' slots counted; unchanged without adapters."""
    if not endpoint.adapters:
        return fit
    slots, rank = flag_values(endpoint, engine, config_args, gpu_count, custom_args, engine_custom_args, version)
    if rank is None:  # SGLang without every rank given reads them at start: the slots cannot be sized here
        return replace(fit, lora_note=f"{slots} slots, not counted: the adapters' ranks are not all given")
    per_slot, held = slot_bytes(model, rank, tp, engine, version)
    return replace(fit, lora_gib=slots * per_slot / GIB, lora_note=f"{slots} slots × rank {rank}, {held}")
