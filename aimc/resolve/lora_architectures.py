"""Model architectures an engine version cannot serve LoRA adapters on, with the upstream source of each rule.

vLLM serves LoRA only on a model class that implements the `SupportsLoRA` interface: with `--enable-lora` its
worker refuses any other at start ("<class> does not support LoRA yet", vllm/v1/worker/lora_model_runner_mixin.py
`load_lora_model`, line 40 in vLLM 0.10.2, 47 in 0.34.0). The table lists the classes of aimc's model catalog
(aimc/catalog/models.yaml, architectures.yaml) that lack it at a version of aimc's vLLM flag sets, read from the
released wheels' vllm/model_executor/models/*.py (class bases followed through their parents). At every other
flag-set version (0.10.2 .. 0.34.0) every catalog architecture implements it: LlamaForCausalLM (MistralForCausalLM
maps to it in 0.10.2 and 0.11.1, registry.py), Qwen2/Qwen3/Qwen3Moe/MixtralForCausalLM, DeepseekV3ForCausalLM
(through DeepseekV2ForCausalLM), Mistral3ForConditionalGeneration; GptOssForCausalLM and
Llama4ForConditionalGeneration from 0.11.1 on.

SGLang has no such per-class interface: its LoRA manager wraps the linear layers it finds by module name. One gap
is recorded, as a warning because it depends on the adapters' target modules, which aimc does not read: on a model
with FusedMoE layers an adapter targeting the MLP (gate_up_proj / down_proj) makes the LoRA memory pool size a
per-expert buffer through the model's `get_hidden_dim` (sglang/srt/lora/mem_pool.py `init_buffers`, module name
`gate_up_proj_moe`), and Llama 4's (srt/models/mllama4.py `Llama4ForConditionalGeneration.get_hidden_dim`) raises
NotImplementedError for it, in the 0.5.16 and 0.5.23 wheels read.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.facts import ModelFacts
from aimc.model.inputs import Endpoint

_VLLM_REFUSAL = "vllm/v1/worker/lora_model_runner_mixin.py, load_lora_model: \"does not support LoRA yet\""

# (vLLM flag-set version, architecture) -> where the class is declared without SupportsLoRA in that release.
VLLM_WITHOUT_LORA = {
    ("0.10.2", "GptOssForCausalLM"): "vllm/model_executor/models/gpt_oss.py:616, class GptOssForCausalLM(nn.Module, "
                                     "SupportsPP)",
    ("0.10.2", "Llama4ForConditionalGeneration"): "vllm/model_executor/models/mllama4.py:713, class "
                                                  "Llama4ForConditionalGeneration(nn.Module, SupportsMultiModal, "
                                                  "SupportsPP)",
}
# The first of aimc's vLLM flag-set versions whose class implements SupportsLoRA.
VLLM_FIRST_WITH_LORA = {"GptOssForCausalLM": "0.11.1", "Llama4ForConditionalGeneration": "0.11.1"}


# (SGLang version, architecture) -> the method that cannot size the MLP's LoRA buffers of its experts.
SGLANG_WITHOUT_MLP_LORA = {
    (version, "Llama4ForConditionalGeneration"): "sglang/srt/models/mllama4.py, "
                                                 "Llama4ForConditionalGeneration.get_hidden_dim"
    for version in ("0.5.16", "0.5.23")
}


def problems(endpoint: Endpoint, engine: str, version: str | None, model: ModelFacts | None) -> list[Diagnostic]:
    """An error at spec.adapters when the engine version cannot serve LoRA on the model's architecture, a warning
    when it cannot serve adapters of the MLP."""
    if not endpoint.adapters or model is None or model.architecture is None:
        return []
    if engine == "sglang":
        return _sglang_warnings(endpoint, version, model)
    if engine != "vllm":
        return []
    declared = VLLM_WITHOUT_LORA.get((version or "", model.architecture))
    if declared is None:
        return []
    origin = endpoint.origin
    first = VLLM_FIRST_WITH_LORA[model.architecture]
    return [Diagnostic(origin.file, origin.line_of("spec", "adapters"), "spec.adapters", (
        f"vLLM {version} cannot serve LoRA adapters on {model.architecture} (the architecture of {model.id}): its "
        f"model class does not implement SupportsLoRA ({declared}, vLLM {version}) and the engine refuses to start "
        f"({_VLLM_REFUSAL}); use an image of vLLM {first} or later, or serve the model without spec.adapters"))]


def _sglang_warnings(endpoint: Endpoint, version: str | None, model: ModelFacts) -> list[Diagnostic]:
    where = SGLANG_WITHOUT_MLP_LORA.get((version or "", model.architecture or ""))
    if where is None:
        return []
    origin = endpoint.origin
    return [Diagnostic(origin.file, origin.line_of("spec", "adapters"), "spec.adapters", (
        f"SGLang {version} cannot give LoRA slots to the MLP experts of {model.architecture} (the architecture of "
        f"{model.id}): an adapter that targets gate_proj, up_proj or down_proj makes it fail at start ({where} "
        "raises NotImplementedError for gate_up_proj_moe, sglang/srt/lora/mem_pool.py init_buffers); serve "
        "adapters of the attention projections only on SGLang, or serve the endpoint with vLLM"), "warning")]
