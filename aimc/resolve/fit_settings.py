"""What a merged command line says about memory: the values the fit arithmetic reads (`Settings`).

Read from `arg_merge.merge_args` (the one precedence merge), so the fit checks the arguments the engine will get.
Flags are read under either engine's name: the published recipes sometimes write vLLM names under `sglang_serve`.
"""

from __future__ import annotations

import math

from aimc.memo import compile_table, interned, per_compile_records, typed_key
from aimc.model.inputs import RecipeConfig
from aimc.records import Record
from aimc.resolve.arg_merge import MergedArgs, merge_args


class Settings(Record):
    """None (or False): the engine's default."""

    utilisation: float | None  # vLLM --gpu-memory-utilization, SGLang --mem-fraction-static
    max_len: int | None  # --max-model-len, --context-length
    kv_dtype: str | None  # --kv-cache-dtype
    batched_tokens: int | None = None  # vLLM --max-num-batched-tokens, SGLang --chunked-prefill-size
    no_graphs: bool = False  # vLLM --enforce-eager, SGLang --disable-cuda-graph
    graph_max_bs: int | None = None  # SGLang --cuda-graph-max-bs
    attention_backend: str | None = None  # SGLang --attention-backend
    speculative: str | None = None  # SGLang --speculative-algorithm
    max_num_seqs: int | None = None  # vLLM --max-num-seqs, SGLang --max-running-requests (fit and performance model)
    aiter_keeps_fraction: bool = False  # SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION set true (release_env)


_VALUE_FLAGS = {
    "--gpu-memory-utilization": "utilisation", "--mem-fraction-static": "utilisation",
    "--device-memory-utilization": "utilisation",  # vLLM 0.34's alias
    "--max-model-len": "max_len", "--context-length": "max_len",
    "--max-context-len": "max_len",  # the seed design's name, an alias of the maximum length in arg_merge
    "--kv-cache-dtype": "kv_dtype",
    "--max-num-batched-tokens": "batched_tokens", "--chunked-prefill-size": "batched_tokens",
    "--cuda-graph-max-bs": "graph_max_bs", "--cuda-graph-max-bs-decode": "graph_max_bs",  # SGLang 0.5.16 on
    "--attention-backend": "attention_backend",
    "--speculative-algorithm": "speculative",
    "--max-num-seqs": "max_num_seqs", "--max-running-requests": "max_num_seqs", "--max-batch-size": "max_num_seqs",
}
_BARE_FLAGS = {"--enforce-eager": "no_graphs", "--disable-cuda-graph": "no_graphs",
               "--disable-decode-cuda-graph": "no_graphs"}  # SGLang 0.5.14 on; prefill graphs are off on HIP anyway
_NUMBERS = {"utilisation": "float", "max_len": "int", "batched_tokens": "int", "graph_max_bs": "int",
            "max_num_seqs": "int"}


# Memoised for the compile on the merge itself (the merge's own memo hands out one record per distinct merge). Measured
# at 1,000 endpoints (bench/generate.py): 1,121 readings of 776 merges, ~4 ms. The record is interned: merges that say
# the same about memory share one Settings record, which the fit's memo (fit.py) finds by identity.
@per_compile_records(limit=8192)
def settings(merged: MergedArgs) -> Settings:
    """The memory settings of a merged command line."""
    values: dict = {}
    effects = compile_table(arg_effect)
    for arg in merged.args:
        flag, value = arg.flag, arg.value
        # Remembered for the compile: a configuration's flags come back in every merge of it. The key pairs each
        # part with its type (a flag or a value other than text, a boolean or None by its `typed_key`).
        key = (flag.__class__, flag if flag.__class__ is str else typed_key(flag),
               value.__class__, value if value.__class__ in _PLAIN else typed_key(value))
        effect = effects.get(key, _UNKNOWN)
        if effect is _UNKNOWN:
            effect = arg_effect(flag, value)
            if len(effects) >= 4096:
                effects.clear()
            effects[key] = effect
        if effect is None:
            continue
        key, setting = effect
        if setting is _REMOVED:
            values.pop(key, None)  # removed: the engine's default applies
        else:
            values[key] = setting
    return interned(Settings(**{"utilisation": None, "max_len": None, "kv_dtype": None, **values}))


_REMOVED = object()  # a setting back to the engine's default
_UNKNOWN = object()  # not yet in the memo (None is an answer: the flag says nothing about memory)
_PLAIN = (str, bool, type(None))


def arg_effect(flag, value):
    """(setting, value), (setting, _REMOVED), or None when the flag says nothing about memory."""
    flag = _canonical(flag)
    if flag in _BARE_FLAGS:
        return _BARE_FLAGS[flag], not (value is False or (isinstance(value, str) and value.lower() == "false"))
    key = _VALUE_FLAGS.get(flag)
    if key is None:
        return None
    if value is None or value is False or (isinstance(value, str) and value.lower() == "false"):
        return key, _REMOVED
    if key in _NUMBERS:
        return key, (_float(value) if _NUMBERS[key] == "float" else _int(value))
    return key, str(value)


def config_settings(config: RecipeConfig, overrides=(), custom_args=(), engine_custom_args=()) -> Settings:
    """`settings` of one configuration's arguments merged with an endpoint's overrides and customArgs (the engine
    entry's customArgs last: they win over the endpoint's)."""
    return settings(merge_args(config.engine, config.args, config.gpu_count, overrides, custom_args,
                               engine_custom_args))


def _canonical(flag) -> str:
    flag = str(flag)
    return "--" + flag.lstrip("-").replace("_", "-")


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None  # not a number: the engine-flag checks report it
    return number if math.isfinite(number) and number > 0 else None


def _int(value) -> int | None:
    number = _float(value)
    return int(number) if number else None
