"""Which MLPs of a model the engines give LoRA slots, per layer, at the engine version of the image: the dense MLPs,
a mixture of experts' shared experts and, where the engine applies LoRA to them, every routed expert. Each MLP is
a gated one (gate, up and down projections of one intermediate width), so a group is (layers, width, how many MLPs
of that width a layer has); resolve/fit_lora.py turns groups into bytes.

vLLM (vllm/lora/layers/fused_moe.py `FusedMoEWithLoRA._create_lora_a_weights` / `_create_lora_b_weights`, vLLM PR
#21229 "FusedMoE LoRA"), first in 0.11.1, read from the PyPI wheels: vllm-0.11.0-cp38-abi3-manylinux1_x86_64.whl
(sha256 3861c75f...) has no vllm/lora/layers/fused_moe.py, vllm-0.11.1-cp38-abi3-manylinux1_x86_64.whl (sha256
077da606...) defines FusedMoEWithLoRA there (line 33). Every MoE layer reserves, per slot, A and B matrices for the
gate, up and down projections of each of its `local_num_experts` experts (all of them without expert parallelism,
which resolve/lora_expert_parallel.py checks), the intermediate width split by tensor parallelism
(`intermediate_size_per_partition`), exactly like a dense MLP of that width. Shared experts and dense layers are
plain linear layers that the LoRA model manager wraps in every release.
Before 0.11.1 vLLM has no LoRA layer for FusedMoE: the routed experts get no slots.

SGLang (sglang/srt/lora/mem_pool.py `LoRAMemoryPool.init_buffers`, read in the 0.5.16 and 0.5.23 wheels): on a
model with FusedMoE layers the gate_up_proj / down_proj targets get a per-expert buffer (`<module>_moe`, experts x
moe_intermediate_size, or intermediate_size where a config has no moe_intermediate_size) in EVERY one of the
num_hidden_layers layers, dense ones included, and a per-layer buffer of a plain MLP only when the config has shared
experts (n_shared_experts), sized by `lora/utils.py get_hidden_dim`: intermediate_size in the first
first_k_dense_replace layers, moe_intermediate_size x n_shared_experts in the others. Llama 4's own
`get_hidden_dim` (srt/models/mllama4.py) knows no `gate_up_proj_moe`, so its MLP is not counted. Releases before
0.5.16 were not read: their MoE MLPs are not counted.
"""

from __future__ import annotations

from aimc.catalog.runtime import version_key
from aimc.model.facts import ModelFacts
from aimc.records import Record

# The first release of each engine whose expert LoRA allocation aimc reads as above.
EXPERT_LORA_SINCE = {"vllm": "0.11.1", "sglang": "0.5.16"}
_SGLANG_LLAMA4 = "Llama4ForConditionalGeneration"


class MlpGroup(Record):
    layers: int
    width: int  # intermediate width of one gated MLP
    count: int = 1  # MLPs of that width in each of the layers (experts)


class MlpSlots(Record):
    groups: tuple[MlpGroup, ...]
    counted: str = ""  # what the groups hold, for the fit's note ("" for a dense model's one MLP)
    left_out: str = ""  # the MLPs the engine reserves slots for that the figure leaves out, and why
    missing: str = ""  # the model fact whose absence left them out ("" when the engine's own rule did)


def mlp_slots(model: ModelFacts, engine: str, version: str | None) -> MlpSlots:
    """The MLP groups `engine` at `version` reserves LoRA slots for on `model`."""
    if not model.routed_experts:
        if not model.intermediate_size:
            return MlpSlots((), left_out=f"no intermediateSize in the facts of {model.id}",
                            missing="intermediateSize")
        return MlpSlots((MlpGroup(model.layers, model.intermediate_size),))
    if model.moe_intermediate_size is None:
        return MlpSlots((), left_out=f"no moeIntermediateSize in the facts of {model.id}",
                        missing="moeIntermediateSize")
    if engine == "sglang" and model.architecture == _SGLANG_LLAMA4:
        return MlpSlots((), left_out="SGLang's Llama 4 get_hidden_dim (srt/models/mllama4.py) has no expert entry")
    if engine == "sglang" and not _applies_to_experts(engine, version):
        return MlpSlots((), left_out=(f"SGLang {version}'s LoRA pool for mixture-of-experts models is not "
                                      f"modelled (read from {EXPERT_LORA_SINCE['sglang']} on)"))
    if engine == "sglang":
        return _sglang_moe(model, model.moe_intermediate_size)
    return _vllm_moe(model, model.moe_intermediate_size, _applies_to_experts(engine, version), version)


def _applies_to_experts(engine: str, version: str | None) -> bool:
    since = EXPERT_LORA_SINCE.get(engine)
    return since is not None and version is not None and version_key(version) >= version_key(since)


def _vllm_moe(model: ModelFacts, width: int, experts: bool, version: str | None) -> MlpSlots:
    groups, counted = [], []
    if experts:
        groups.append(MlpGroup(model.moe_layers, width, model.routed_experts))
        counted.append(f"{model.routed_experts} experts × {model.moe_layers} MoE layers")
    if model.shared_experts:
        groups.append(MlpGroup(model.moe_layers, width * model.shared_experts))
        counted.append("shared experts")
    if model.dense_layers and model.intermediate_size:
        groups.append(MlpGroup(model.dense_layers, model.intermediate_size))
        counted.append(f"{model.dense_layers} dense MLPs")
    if not experts:
        counted.append(f"vLLM {version} gives the routed experts none (FusedMoE LoRA from "
                       f"{EXPERT_LORA_SINCE['vllm']} on)")
    unknown = bool(model.dense_layers and not model.intermediate_size)
    left_out = (f"the {model.dense_layers} dense MLPs (no intermediateSize in the facts of {model.id})"
                if unknown else "")
    return MlpSlots(tuple(groups), ", ".join(counted), left_out, "intermediateSize" if unknown else "")


def _sglang_moe(model: ModelFacts, width: int) -> MlpSlots:
    groups = [MlpGroup(model.layers, width, model.routed_experts)]
    counted = [f"{model.routed_experts} experts × all {model.layers} layers"]
    if model.shared_experts and model.dense_layers and not model.intermediate_size:
        return MlpSlots(tuple(groups), counted[0], (f"the shared experts and dense MLPs (no intermediateSize in "
                                                    f"the facts of {model.id})"), "intermediateSize")
    if model.shared_experts:
        groups.append(MlpGroup(model.moe_layers, width * model.shared_experts))
        counted.append("shared experts")
    if model.shared_experts and model.dense_layers and model.intermediate_size:
        groups.append(MlpGroup(model.dense_layers, model.intermediate_size))
        counted.append(f"{model.dense_layers} dense MLPs")
    return MlpSlots(tuple(groups), ", ".join(counted))
