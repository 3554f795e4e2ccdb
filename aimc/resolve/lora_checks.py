"""What the engines refuse about LoRA serving once their parser accepted the command line, reported with the file
and line it came from instead of a crash-looping pod (like resolve/startup_checks.py, which has the other rules).

- vLLM: `--max-cpu-loras` below `--max-loras` (vllm/config/lora.py, `LoRAConfig` validation: "max_cpu_loras must be
  >= max_loras"); an adapter whose rank is above `--max-lora-rank` fails to load ("LoRA rank R is greater than
  max_lora_rank M", vllm/lora/worker_manager.py `_load_adapter`), and `--max-lora-rank` can be no more than the
  largest of its choices (`MaxLoRARanks`).
- SGLang: `--max-loaded-loras` below `--max-loras-per-batch`, or below the number of `--lora-paths`
  (`check_lora_server_args`, sglang/srt/server_args.py up to 0.5.16, srt/arg_groups/lora_hook.py in 0.5.23);
  an adapter of a rank above `--max-lora-rank` cannot be loaded into the memory pool sized for that rank.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.facts import ModelFacts
from aimc.model.inputs import Endpoint
from aimc.resolve import lora_flags, lora_mlp
from aimc.resolve.flag_values import whole_number
from aimc.resolve.startup_checks import StartupProblem

_VLLM_CONFIG = "vllm/config/lora.py, LoRAConfig"
_SGLANG_CHECK = {"0.5.23": "sglang/srt/arg_groups/lora_hook.py, check_lora_server_args"}
_SGLANG_DEFAULT_CHECK = "sglang/srt/server_args.py, check_lora_server_args"


def flag_problems(engine: str, version: str, args: dict) -> list[StartupProblem]:
    """Rules between the LoRA flags of the final command line (flag -> value)."""
    if "--enable-lora" not in args:
        return []
    if engine == "vllm":
        slots = whole_number(args.get("--max-loras")) or 1
        cpu = whole_number(args.get("--max-cpu-loras"))
        if cpu is not None and cpu < slots:
            return [StartupProblem("--max-cpu-loras", (
                f"--max-cpu-loras ({cpu}) must be at least --max-loras ({slots}): vLLM {version} refuses to start "
                f"({_VLLM_CONFIG}); raise it or remove it (it defaults to --max-loras)"))]
        return []
    loaded = whole_number(args.get("--max-loaded-loras"))
    per_batch = whole_number(args.get("--max-loras-per-batch")) or lora_flags.SGLANG_DEFAULT_SLOTS
    listed = args.get("--lora-paths")
    count = len(listed) if isinstance(listed, tuple) else (1 if listed else 0)
    where = _SGLANG_CHECK.get(version, _SGLANG_DEFAULT_CHECK)
    if loaded is not None and loaded < per_batch:
        return [StartupProblem("--max-loaded-loras", (
            f"--max-loaded-loras ({loaded}) must be at least --max-loras-per-batch ({per_batch}): SGLang {version} "
            f"refuses to start ({where})"))]
    if loaded is not None and loaded < count:
        return [StartupProblem("--max-loaded-loras", (
            f"--max-loaded-loras ({loaded}) is below the {count} adapters of spec.adapters: SGLang {version} "
            f"refuses to start ({where}); raise it to at least {count} or remove it"))]
    return []


def rank_problems(endpoint: Endpoint, engine: str, version: str, args: dict) -> list[Diagnostic]:
    """Adapters whose rank the engine cannot load: above the command line's --max-lora-rank, or (vLLM) above the
    largest value --max-lora-rank may take in this version. Reported at the adapter's rank."""
    origin = endpoint.origin
    out = []
    written = whole_number(args.get("--max-lora-rank"))
    choices = lora_flags.rank_choices(version) if engine == "vllm" else ()
    limit = written if written is not None else (lora_flags.VLLM_DEFAULT_RANK if engine == "vllm" else None)
    for adapter in endpoint.adapters:
        if adapter.rank is None:
            continue
        path = (*adapter.path, "rank")
        field = f"spec.adapters[{adapter.index}].rank"
        if choices and adapter.rank > choices[-1]:
            out.append(Diagnostic(origin.file, origin.line_of(*path), field, (
                f"adapter '{adapter.name}' has rank {adapter.rank}, above the largest --max-lora-rank vLLM {version} "
                f"accepts ({choices[-1]}; its choices: {', '.join(map(str, choices))}, {_VLLM_CONFIG} MaxLoRARanks): "
                f"serve it with an adapter of rank {choices[-1]} or less")))
        elif limit is not None and adapter.rank > limit:
            name = "vLLM" if engine == "vllm" else "SGLang"
            out.append(Diagnostic(origin.file, origin.line_of(*path), field, (
                f"adapter '{adapter.name}' has rank {adapter.rank}, above --max-lora-rank {limit} of the command "
                f"line: {name} {version} cannot load it; raise --max-lora-rank in customArgs to at least "
                f"{adapter.rank}, or remove it there so aimc sizes it from the ranks")))
    return out


def unknown_rank_warnings(endpoint: Endpoint, engine: str, version: str, args: dict) -> list[Diagnostic]:
    """vLLM reserves --max-lora-rank (default 16) for every adapter and refuses a larger one only when it loads it:
    an adapter without a rank may fail at run time. SGLang sizes its slots from the adapters' own configs, which
    aimc does not see: the memory fit leaves them out."""
    origin = endpoint.origin
    if engine != "vllm":
        unsized = [a for a in endpoint.adapters if a.rank is None]
        return [Diagnostic(origin.file, origin.line_of(*unsized[0].path), f"spec.adapters[{unsized[0].index}]", (
            f"adapter '{unsized[0].name}' gives no rank: SGLang {version} reads it from the adapters at start, but "
            "the memory fit cannot count the LoRA slots it reserves; set rank (r of its adapter_config.json)"),
            "warning")] if unsized else []
    limit = whole_number(args.get("--max-lora-rank")) or lora_flags.VLLM_DEFAULT_RANK
    return [Diagnostic(origin.file, origin.line_of(*adapter.path), f"spec.adapters[{adapter.index}]", (
        f"adapter '{adapter.name}' gives no rank: vLLM {version} reserves rank {limit} (--max-lora-rank) and fails "
        f"to load an adapter of a larger rank; set rank (r of its adapter_config.json)"), "warning")
        for adapter in endpoint.adapters if adapter.rank is None]


def unknown_mlp_warnings(endpoint: Endpoint, engine: str, version: str, model: ModelFacts | None) -> list[Diagnostic]:
    """The engine reserves LoRA slots for the model's MLPs, but the model's facts lack the MLP width that sizes them
    (Mistral-Small-3.2 in aimc's catalog: no verified source of its config.json was found), so the memory fit counts
    less than the engine takes. Said at spec.adapters, with the way to supply the fact; an error under --strict."""
    if model is None:
        return []
    slots = lora_mlp.mlp_slots(model, engine, version)
    if not slots.missing:
        return []
    origin = endpoint.origin
    name = "vLLM" if engine == "vllm" else "SGLang"
    return [Diagnostic(origin.file, origin.line_of("spec", "adapters"), "spec.adapters", (
        f"the memory fit cannot count the LoRA slots {name} {version} reserves for MLP projections "
        f"({slots.left_out}): it may need "
        f"more GPU memory than it says; give aimc the fact with an AIMModel document for {model.id} that sets "
        f"{slots.missing} (`aimc models import` writes it from the model's config.json)"), "warning")]
