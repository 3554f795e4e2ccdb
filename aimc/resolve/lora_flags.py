"""The engine flags that serve an endpoint's LoRA adapters (`spec.adapters`), before the precedence merge.

aimc writes them after the recipe's flags; customArgs may still change the sizes (`--max-loras`, `--max-lora-rank`,
...) but not the adapter list, which only spec.adapters says (`OWNED`). Every flag is then checked against the flag
set of the image's engine version like any other (`engine_args`), and the start-up rules of `lora_checks` run on the
final command line.

- vLLM (vllm/config/lora.py `LoRAConfig`, vllm/entrypoints/openai/cli_args.py `LoRAParserAction`): `--enable-lora`;
  `--lora-modules NAME=PATH ...` (the parser splits on `=` and takes JSON when the item holds a `,`: the schema keeps
  both out of names and paths); `--max-loras` adapters on the GPU at once (default 1: requests for two adapters
  would wait for each other); `--max-cpu-loras` adapters kept in host memory (default `--max-loras`: the others
  would be read from disk again); `--max-lora-rank`, one of the version's choices (default 16).
- SGLang (sglang/srt/server_args.py `check_lora_server_args`, 0.5.23 srt/arg_groups/lora_hook.py): `--enable-lora`;
  `--lora-paths NAME=PATH ...` (split on the first `=`); `--max-loras-per-batch` (default 8, "include base-only
  request": the base model takes a slot too); `--max-lora-rank` (default: inferred from the adapters' configs at
  start, so aimc writes it only when every rank is given). `--lora-backend` keeps the version's default (csgmv in
  the shipped flag sets) unless customArgs names another of its choices.
"""

from __future__ import annotations

from aimc.catalog.flag_sets import flag_set
from aimc.model.adapters import Adapter
from aimc.model.inputs import ArgPairs

# Where the engine images keep the Hugging Face cache (HF_HOME): the model cache is mounted there, adapters included.
# The engine images run as root, whose default cache is this path (render/cache.py mounts it).
HF_HOME = "/root/.cache/huggingface"
# At most this many adapters share the GPU at once: SGLang's default --max-loras-per-batch (server_args.py, the
# flag sets' default 8). vLLM's default of 1 would serialise requests for different adapters.
SLOT_CAP = 8
SGLANG_DEFAULT_SLOTS = 8
VLLM_DEFAULT_RANK = 16  # LoRAConfig.max_lora_rank's default (vllm/config/lora.py)
# The flags only spec.adapters may set once an endpoint has adapters.
OWNED = {"vllm": ("--enable-lora", "--lora-modules"), "sglang": ("--enable-lora", "--lora-paths")}
LIST_FLAG = {"vllm": "--lora-modules", "sglang": "--lora-paths"}
SLOTS_FLAG = {"vllm": "--max-loras", "sglang": "--max-loras-per-batch"}


def adapter_path(adapter: Adapter) -> str:
    """The adapter's folder inside the engine container (the model cache is mounted at HF_HOME)."""
    return f"{HF_HOME}/{adapter.cache_path}"


def slots(engine: str, count: int) -> int:
    """GPU slots for `count` adapters: one each, at most SLOT_CAP; SGLang counts the base model's requests too."""
    return min(count + (1 if engine == "sglang" else 0), SLOT_CAP)


def rank_choices(version: str | None) -> tuple[int, ...]:
    """vLLM's allowed --max-lora-rank values at `version` (the flag's choices, LoRAConfig's MaxLoRARanks)."""
    found = flag_set("vllm", version).lookup("--max-lora-rank")
    if found is None or not found[0].choices:
        return ()
    return tuple(sorted(int(c) for c in found[0].choices))


def vllm_rank(adapters: tuple[Adapter, ...], version: str | None) -> int | None:
    """The --max-lora-rank aimc writes: the smallest choice that holds every given rank (at least vLLM's default,
    which adapters without a rank are assumed to fit); None when no rank is given (vLLM's default applies) or when
    one is above every choice (lora_checks reports it)."""
    given = [a.rank for a in adapters if a.rank is not None]
    if not given:
        return None
    wanted = max(given)
    fitting = [c for c in rank_choices(version) if c >= wanted]
    if not fitting:
        return None
    return max(fitting[0], VLLM_DEFAULT_RANK) if len(given) < len(adapters) else fitting[0]


def adapter_args(engine: str, adapters: tuple[Adapter, ...], version: str | None) -> ArgPairs:
    """The flags serving `adapters` on `engine` at flag-set `version`, in command-line order; () without adapters."""
    if not adapters:
        return ()
    listed = tuple(f"{a.name}={adapter_path(a)}" for a in adapters)
    count = len(adapters)
    out: list = [("--enable-lora", None), (LIST_FLAG[engine], listed)]
    if engine == "vllm":
        out.append(("--max-loras", str(slots(engine, count))))
        if count > slots(engine, count):
            out.append(("--max-cpu-loras", str(count)))
        rank = vllm_rank(adapters, version)
        if rank is not None:
            out.append(("--max-lora-rank", str(rank)))
    else:
        out.append(("--max-loras-per-batch", str(slots(engine, count))))
        if all(a.rank is not None for a in adapters):
            out.append(("--max-lora-rank", str(max(a.rank or 0 for a in adapters))))
    return tuple(out)
