"""The MLP facts of a Hugging Face `config.json` (`aimc models import`): the gated MLP's width, and for a mixture of
experts the width of one expert, its shared experts and how many layers keep a dense MLP, which size the GPU slots
of LoRA adapters (resolve/lora_mlp.py). Each fact is (AIMModel field, value, the config key or rule it came from).

Which layers are MoE follows each architecture's modeling file in transformers:
- DeepSeek-V2/V3 (modeling_deepseek_v3.py): layer i is MoE when i >= first_k_dense_replace and i % moe_layer_freq
  == 0 (V3: moe_layer_freq 1).
- Llama 4 (configuration_llama4.py): moe_layers, by default range(interleave_moe_layer_step - 1, layers, step);
  every MoE layer has one shared_expert of intermediate_size beside the routed ones (modeling_llama4.py
  Llama4TextMoe) and the dense layers' MLP is intermediate_size_mlp.
- Qwen MoE (modeling_qwen3_moe.py): layer i is MoE unless it is in mlp_only_layers or (i + 1) % decoder_sparse_step
  != 0.
A value that is not a count (config.json may hold anything) writes no fact.
"""

from __future__ import annotations

from aimc.catalog.hf_parameters import EXPERT_KEYS, first

_LLAMA4 = "llama4_text"


def mlp_facts(view: dict, prefix: str, layers: int | None) -> list[tuple]:
    experts, _ = first(view, *EXPERT_KEYS)
    if not _count(experts):
        width = view.get("intermediate_size")
        return [("intermediateSize", width, prefix + "intermediate_size")] if _count(width) else []
    out: list[tuple] = []
    width, key = first(view, "moe_intermediate_size", "intermediate_size")
    if _count(width):
        out.append(("moeIntermediateSize", width, prefix + str(key)))
    if _count(view.get("n_shared_experts")):
        out.append(("sharedExperts", view["n_shared_experts"], prefix + "n_shared_experts"))
    elif view.get("model_type") == _LLAMA4:
        out.append(("sharedExperts", 1, "Llama4TextMoe's one shared_expert (transformers modeling_llama4.py)"))
    dense, how = _dense_layers(view, layers) if layers is not None and _count(layers) else (0, "")
    if dense:
        out.append(("denseLayers", dense, how))
        dense_key = "intermediate_size_mlp" if view.get("model_type") == _LLAMA4 else "intermediate_size"
        if _count(view.get(dense_key)) and key != dense_key:
            out.append(("intermediateSize", view[dense_key], prefix + dense_key))
    return out


def _dense_layers(view: dict, layers: int) -> tuple[int, str]:
    """(layers without experts, the rule that says so); (0, "") when every layer is MoE or the keys contradict."""
    moe = _moe_layers(view, layers)
    if moe is None:
        return 0, ""
    count, how = moe
    dense = layers - count
    return (dense, how) if 0 < dense < layers else (0, "")


def _moe_layers(view: dict, layers: int) -> tuple[int, str] | None:
    """(MoE layers, the rule), counted in closed form: num_hidden_layers may be any number a config holds."""
    first_k, freq = view.get("first_k_dense_replace"), view.get("moe_layer_freq", 1)
    if first_k is not None:
        if not (isinstance(first_k, int) and not isinstance(first_k, bool) and first_k >= 0 and _count(freq)):
            return None
        multiples = (layers - 1) // freq - (first_k - 1) // freq if layers > first_k else 0
        return multiples, f"first_k_dense_replace {first_k}, moe_layer_freq {freq}"
    step = view.get("interleave_moe_layer_step")
    if step is not None:
        listed = view.get("moe_layers")
        if isinstance(listed, list) and all(_index(i, layers) for i in listed):
            return len(set(listed)), "moe_layers"
        return (len(range(step - 1, layers, step)), f"interleave_moe_layer_step {step}") if _count(step) else None
    only, sparse = view.get("mlp_only_layers") or [], view.get("decoder_sparse_step", 1)
    if not isinstance(only, list) or not _count(sparse):
        return None
    excluded = {i for i in only if _index(i, layers) and (i + 1) % sparse == 0}
    return layers // sparse - len(excluded), f"mlp_only_layers, decoder_sparse_step {sparse}"


def _index(value, layers: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < layers


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
