"""Layer and tensor layouts of a Hugging Face `config.json` that its keys say only in part (`aimc models import`):
which layers keep a window in the KV cache, and which tensors a quantized checkpoint keeps at 16 bits. Each fact is
(AIMModel field, value, the config key or rule it came from); hf_config turns them into its Facts.
"""

from __future__ import annotations

from aimc.catalog import hf_parameters
from aimc.errors import Diagnostic

# Per-layer attention layouts whose config keys say less than the layer list: transformers' defaults by model_type.
# Gemma 3 (models/gemma3/configuration_gemma3.py): sliding_window_pattern 6, layer i slides unless (i + 1) % 6 == 0;
# Gemma 2 (configuration_gemma2.py): every other layer slides (layer_types, even layers sliding).
SLIDING_WINDOW_PATTERN_DEFAULTS = {"gemma3_text": 6, "gemma3": 6, "gemma2": 2}
# Llama 4 (models/llama4/configuration_llama4.py): no_rope_layers[i] is 1 on the layers that use RoPE and chunked local
# attention; by default every no_rope_layer_interval-th layer (4) is a global NoPE layer.
DEFAULT_NO_ROPE_LAYER_INTERVAL = 4


def sliding_window(view: dict, prefix: str, layers: int, missing: list, shown: str) -> list[tuple]:
    window = view.get("sliding_window")
    if not window or view.get("use_sliding_window", True) is False:
        return []
    kinds = view.get("layer_types")
    pattern, pattern_source = view.get("sliding_window_pattern"), f"{prefix}sliding_window_pattern"
    if pattern is None and view.get("model_type") in SLIDING_WINDOW_PATTERN_DEFAULTS:
        pattern = SLIDING_WINDOW_PATTERN_DEFAULTS[view["model_type"]]
        pattern_source = f"transformers' default sliding_window_pattern {pattern} of model_type {view['model_type']}"
    if isinstance(kinds, list) and kinds:
        on, how = sum(1 for kind in kinds if kind == "sliding_attention"), f"{prefix}layer_types: sliding_attention"
        if on > layers:
            missing.append(Diagnostic(shown, 1, prefix + "layer_types", f"{on} layers of sliding_attention, more "
                                      f"than the {layers} layers of num_hidden_layers"))
    elif isinstance(pattern, int) and pattern > 0:
        on = layers - layers // pattern
        how = f"{pattern_source}: every {pattern}th of {layers} layers is full attention"
    else:  # Mistral-7B-v0.1: one window for every layer
        on, how = layers, f"{prefix}sliding_window on every layer (no layer_types)"
    if not on:
        return []
    return [("slidingWindow", window, prefix + "sliding_window"), ("slidingWindowLayers", on, how)]


def chunked_attention(view: dict, prefix: str, layers: int) -> list[tuple]:
    chunk = view.get("attention_chunk_size")
    if not chunk:
        return []
    no_rope = view.get("no_rope_layers")
    if isinstance(no_rope, list) and no_rope:
        on, how = sum(1 for flag in no_rope if flag), f"{prefix}no_rope_layers: the RoPE layers use chunked attention"
    else:
        interval = view.get("no_rope_layer_interval") or DEFAULT_NO_ROPE_LAYER_INTERVAL
        on = layers - layers // interval
        how = f"every {interval}th of {layers} layers is global (no_rope_layer_interval), the others chunked"
    if not on:
        return []
    return [("attentionChunkSize", chunk, prefix + "attention_chunk_size"), ("chunkedAttentionLayers", on, how)]


# Module names of modules_to_not_convert -> the tensor group they keep at 16 bits (hf_parameters.tensor_groups).
_KEPT_MODULES = (("embed_tokens", "embed_tokens"), ("lm_head", "lm_head"), ("self_attn", "self_attn"),
                 ("mlp.router", "router"), ("mlp.gate", "router"))
# Bytes of scale per quantized weight: MX formats (mxfp4) one 8-bit scale per 32 weights (OCP MX spec); block FP8
# (weight_block_size [128, 128], DeepSeek-V3 README_WEIGHTS.md) one float32 per block.
MX_SCALE_BYTES = 1 / 32


def quantized_layout(view: dict, quant: dict, precision: str, layers: int, hidden: int, heads: int,
                      kv_heads: int, head_dim: int) -> list[tuple]:
    """The 16-bit tensor groups of a quantized checkpoint: `modules_to_not_convert` where the config lists them
    (gpt-oss), else the layout of block-FP8 checkpoints (DeepSeek-V3: embedding, head and MoE routers in bf16,
    inference/model.py), else none known."""
    groups = hf_parameters.tensor_groups(view, hidden, layers, heads, kv_heads, head_dim)
    listed = [str(m) for m in quant.get("modules_to_not_convert") or ()]
    block = quant.get("weight_block_size")
    if listed:
        kept = {group for pattern, group in _KEPT_MODULES if any(m.endswith(pattern) for m in listed)}
        source = "quantization_config.modules_to_not_convert: " + ", ".join(sorted(kept))
    elif block and len(block) == 2:
        kept = {"embed_tokens", "lm_head", "router"}
        source = "block FP8 layout (embedding, head and routers stay bf16)"
    else:
        return []
    parameters = sum(groups[group] for group in kept)
    if not parameters:
        return []
    scale = 4 / (block[0] * block[1]) if block and len(block) == 2 else (
        MX_SCALE_BYTES if str(quant.get("quant_method", "")).lower().startswith("mx") else 0.0)
    layout = {"precision": precision, "keptParametersB": round(parameters / 1e9, 3)}
    if scale:
        layout["scaleBytesPerWeight"] = scale
    return [("quantizedLayout", layout, source)]
