"""What the engines refuse about LoRA adapters on a mixture of experts whose experts expert parallelism spreads over
the GPUs, read from the released wheels (their `vllm/lora/layers/fused_moe.py`, `config/parallel.py`,
`model_executor/layers/fused_moe/config.py` and model files; SGLang's `srt/server_args.py`, `srt/arg_groups/`,
`srt/lora/`). Each rule follows the engine version inside the image (not the nearest flag set: 0.11.0 has no
expert LoRA at all while its nearest flag set, 0.11.1, refuses expert parallelism with it).

vLLM wraps every FusedMoE layer in `FusedMoEWithLoRA` when LoRA is on (vllm/lora/utils.py `get_supported_lora_modules`
lists every FusedMoE module; models.py `_create_lora_modules` replaces it), from 0.11.1 on (the 0.11.0 wheel has no
vllm/lora/layers/fused_moe.py). A FusedMoE layer uses expert parallelism when `--enable-expert-parallel` is on and
tensor × data (× prefill context) parallelism is above 1 (`FusedMoEParallelConfig.make`, fused_moe/config.py):
- 0.11.1 up to 0.20.x: `FusedMoEWithLoRA.__init__` asserts "EP support for Fused MoE LoRA is not implemented yet."
  (read in the 0.11.1, 0.17.0, 0.18.0, 0.19.0, 0.20.0 and 0.20.2 wheels); 0.21.0 is the first release without it.
- from 0.21.0: expert parallelism is served, but `_ep_check` asserts the all2all backend is allgather_reducescatter
  (pplx and naive fall back to it, config/parallel.py) and that the layer is not sequence-parallel, which the
  DeepSeek-V2/V3, Qwen3-MoE, Llama 4 and (up to 0.24.0; from 0.27.1 it turns it off under LoRA) gpt-oss model
  files make it whenever tensor and data parallelism are both above 1 (`ParallelConfig.use_sequence_parallel_moe`);
  `_verify_ep_fs` refuses `--fully-sharded-loras`; from 0.34.0 `_ep_check` also refuses an expert placement other
  than linear (not in the 0.27.1 wheel; releases between were not read).

SGLang has no rule here: it sizes per-expert LoRA buffers by the experts of each rank under expert parallelism
(srt/lora/mem_pool.py, `moe_ep_size`, 0.5.16 and 0.5.23) and its LoRA server-argument checks refuse no expert
parallelism (`check_lora_server_args` in srt/server_args.py of 0.5.5.post3, 0.5.12, 0.5.14 and 0.5.16). The one
expert-parallel LoRA rule of 0.5.23 (srt/arg_groups/lora_hook.py `check_lora_moe_runner_args`: a LoRA MoE runner,
`--moe-runner-backend lora_*`, "requires Standard dispatch", `--moe-a2a-backend none`) is never reached on the AMD
GPUs aimc serves: that runner refuses ROCm first (`_check_v2_lora_modes`, "does not yet support ROCm";
resolve/lora_rocm.py reports it).
"""

from __future__ import annotations

from aimc.catalog.runtime import version_key
from aimc.model.facts import ModelFacts
from aimc.resolve.flag_values import whole_number
from aimc.resolve.startup_checks import StartupProblem

_FUSED_MOE = "vllm/lora/layers/fused_moe.py"
FIRST_MOE_LORA = "0.11.1"  # the first vLLM release with FusedMoEWithLoRA (resolve/lora_mlp.EXPERT_LORA_SINCE)
FIRST_EP_MOE_LORA = "0.21.0"  # the first vLLM release whose FusedMoEWithLoRA accepts expert parallelism
# Read release -> line of the rule in vllm/lora/layers/fused_moe.py.
_REFUSAL_LINE = {"0.11.1": 38, "0.17.0": 49, "0.18.0": 49, "0.19.0": 49, "0.20.0": 34, "0.20.2": 34}
_ALL2ALL_LINE = {"0.21.0": 150, "0.22.0": 176, "0.24.0": 222, "0.27.1": 237, "0.34.0": 251}
_SEQUENCE_PARALLEL_LINE = {"0.21.0": 154, "0.22.0": 180, "0.24.0": 226, "0.27.1": 241, "0.34.0": 255}
_FULLY_SHARDED_LINE = {"0.21.0": 161, "0.22.0": 187, "0.24.0": 233, "0.27.1": 248, "0.34.0": 262}
_PLACEMENT_LINE = {"0.34.0": 241}
_ALL2ALL_SERVED = ("allgather_reducescatter", "pplx", "naive")  # the last two fall back to the first
# Architectures whose model file makes the MoE layer sequence-parallel (use_sequence_parallel_moe), and the release
# from which one no longer does so when LoRA is on.
_SEQUENCE_PARALLEL = {"DeepseekV3ForCausalLM": None, "Qwen3MoeForCausalLM": None,
                      "Llama4ForConditionalGeneration": None, "GptOssForCausalLM": "0.27.1"}


def problems(engine: str, version: str, model: ModelFacts | None, args: dict, tp: int) -> list[StartupProblem]:
    """The refusals for an endpoint with adapters whose final command line (flag -> value) is `args` and whose
    model is `model` on `tp` GPUs of tensor parallelism; each at the flag whose field must change."""
    if model is None or not model.routed_experts or "--enable-lora" not in args:
        return []
    if engine != "vllm" or "--enable-expert-parallel" not in args:
        return []
    dp = whole_number(args.get("--data-parallel-size")) or 1
    if tp * dp * (whole_number(args.get("--prefill-context-parallel-size")) or 1) <= 1:
        return []  # FusedMoEParallelConfig.make: use_ep needs more than one GPU
    key = version_key(version)
    if key < version_key(FIRST_MOE_LORA):
        return []  # no FusedMoEWithLoRA: the experts get no LoRA layer
    if key < version_key(FIRST_EP_MOE_LORA):
        return [StartupProblem("--enable-expert-parallel", _refused(version, model))]
    return _served_with_conditions(version, model, args, tp, dp)


def _refused(version: str, model: ModelFacts) -> str:
    return (f"--enable-expert-parallel cannot be combined with LoRA adapters on {model.id}, a mixture of experts: "
            f"vLLM {version} wraps its FusedMoE layers in FusedMoEWithLoRA, which refuses expert parallelism at "
            f"start (\"EP support for Fused MoE LoRA is not implemented yet.\", {_cite(_REFUSAL_LINE, version)}, "
            f"vLLM {FIRST_MOE_LORA} to 0.20); remove --enable-expert-parallel (the experts are then split by tensor "
            f"parallelism), serve the model without spec.adapters, or use an image of vLLM {FIRST_EP_MOE_LORA} or "
            "later")


def _served_with_conditions(version: str, model: ModelFacts, args: dict, tp: int, dp: int) -> list[StartupProblem]:
    out = []
    served = f"vLLM {version} serves LoRA adapters on {model.id}'s experts under expert parallelism only"
    backend = str(args.get("--all2all-backend", "allgather_reducescatter"))
    if backend not in _ALL2ALL_SERVED:
        out.append(StartupProblem("--all2all-backend", (
            f"--all2all-backend {backend} cannot be combined with LoRA adapters and --enable-expert-parallel: "
            f"{served} with the allgather_reducescatter backend ({_cite(_ALL2ALL_LINE, version)}, "
            "FusedMoEWithLoRA._ep_check); remove --all2all-backend or remove --enable-expert-parallel")))
    if "--fully-sharded-loras" in args:
        out.append(StartupProblem("--fully-sharded-loras", (
            f"--fully-sharded-loras cannot be combined with --enable-expert-parallel on {model.id}, a mixture of "
            f"experts: vLLM {version} refuses both at start (\"Disable one of them.\", "
            f"{_cite(_FULLY_SHARDED_LINE, version)}, FusedMoEWithLoRA._verify_ep_fs); remove one of them")))
    placement = args.get("--expert-placement-strategy")
    if placement not in (None, "linear") and version_key(version) >= version_key(min(_PLACEMENT_LINE)):
        out.append(StartupProblem("--expert-placement-strategy", (
            f"--expert-placement-strategy {placement} cannot be combined with LoRA adapters and "
            f"--enable-expert-parallel: {served} with linear expert placement ({_cite(_PLACEMENT_LINE, version)}, "
            "FusedMoEWithLoRA._ep_check); use linear (the default) or remove --enable-expert-parallel")))
    if tp > 1 and dp > 1 and backend in _ALL2ALL_SERVED and _sequence_parallel(model, version):
        out.append(StartupProblem("--enable-expert-parallel", (
            f"--enable-expert-parallel with tensor parallelism {tp} and data parallelism {dp} makes {model.id}'s "
            f"({model.architecture}) MoE layers sequence-parallel (ParallelConfig.use_sequence_parallel_moe), and "
            f"vLLM {version}'s FusedMoEWithLoRA refuses them with LoRA adapters at start "
            f"({_cite(_SEQUENCE_PARALLEL_LINE, version)}, _ep_check); remove --enable-expert-parallel or "
            "--data-parallel-size")))
    return out


def _sequence_parallel(model: ModelFacts, version: str) -> bool:
    if model.architecture not in _SEQUENCE_PARALLEL:
        return False
    until = _SEQUENCE_PARALLEL[model.architecture]
    return until is None or version_key(version) < version_key(until)


def _cite(lines: dict[str, int], version: str) -> str:
    """file:line of the read release `version`, else the line in the newest read release before it."""
    if version in lines:
        return f"{_FUSED_MOE}:{lines[version]}"
    older = [read for read in lines if version_key(read) <= version_key(version)]
    read = max(older, key=version_key) if older else min(lines, key=version_key)
    return f"{_FUSED_MOE}, line {lines[read]} in {read}"
