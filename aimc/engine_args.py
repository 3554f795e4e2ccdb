"""Engine command lines: normalise flags, merge overrides, and set the flags the compiler owns.

Precedence, lowest first: recipe args < aimFrameworkOverrides < customArgs (documented in the README).
Arguments are held as an ordered mapping flag -> value, where a value is a string, `None` for a bare flag,
or a tuple of strings for a flag that takes several values.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Diagnostic

PORTS = {"vllm": 8000, "sglang": 30000}
LAUNCH_COMMANDS = {
    "vllm": ("python3", "-m", "vllm.entrypoints.openai.api_server"),
    "sglang": ("python3", "-m", "sglang.launch_server"),
}
MODEL_FLAG = {"vllm": "--model", "sglang": "--model-path"}
TP_FLAG = {"vllm": "--tensor-parallel-size", "sglang": "--tp-size"}

# Flags whose value aimc decides; in a recipe they are replaced (the published recipes set --port), in
# customArgs they are an error because the endpoint has a field for each.
OWNED_FLAGS = {
    "vllm": {"--model": "spec.model", "--port": None, "--host": None, "--served-model-name": "spec.model",
             "--tensor-parallel-size": "spec.gpuCount", "-tp": "spec.gpuCount"},
    "sglang": {"--model-path": "spec.model", "--model": "spec.model", "--port": None, "--host": None,
               "--served-model-name": "spec.model", "--tensor-parallel-size": "spec.gpuCount",
               "--tp-size": "spec.gpuCount"},
}
TP_FLAGS = {"--tensor-parallel-size", "-tp", "--tp-size"}

# aimFrameworkOverrides: engine-neutral name -> each engine's own flag.
OVERRIDE_FLAGS = {
    "gpuMemoryUtilization": {"vllm": "--gpu-memory-utilization", "sglang": "--mem-fraction-static"},
    "trustRemoteCode": {"vllm": "--trust-remote-code", "sglang": "--trust-remote-code"},
    "maxModelLen": {"vllm": "--max-model-len", "sglang": "--context-length"},
    "maxNumSeqs": {"vllm": "--max-num-seqs", "sglang": "--max-running-requests"},
    "maxNumBatchedTokens": {"vllm": "--max-num-batched-tokens", "sglang": "--chunked-prefill-size"},
    "kvCacheDtype": {"vllm": "--kv-cache-dtype", "sglang": "--kv-cache-dtype"},
    "enablePrefixCaching": {"vllm": "--enable-prefix-caching", "sglang": "--disable-radix-cache"},
    "enforceEager": {"vllm": "--enforce-eager", "sglang": "--disable-cuda-graph"},
}
# Overrides whose boolean meaning is inverted by the engine's flag name.
INVERTED_OVERRIDES = {("enablePrefixCaching", "sglang")}
# Names used by the seed design's examples that no engine has. Accepted as documented aliases, with a warning;
# passing them through would fail (or, with argparse prefix matching, silently mean another flag).
FLAG_ALIASES = {
    "vllm": {"--max-batch-size": "--max-num-seqs", "--max-context-len": "--max-model-len"},
    "sglang": {"--max-batch-size": "--max-running-requests", "--max-context-len": "--context-length"},
}

# vLLM's fp8 KV cache is SGLang's fp8_e4m3 (SGLang has no plain fp8).
SGLANG_KV_DTYPE = {"fp8": "fp8_e4m3"}


@dataclass(frozen=True)
class EngineCommand:
    args: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]  # trace lines: what was replaced, removed, overridden


def normalise_flag(flag: str, engine: str) -> str:
    """`max_model_len` -> `--max-model-len` for vLLM (which turns underscores into dashes); SGLang does not."""
    flag = str(flag)
    if not flag.startswith("-"):
        flag = "--" + flag
    if engine == "vllm" and flag.startswith("--"):
        name, dot, rest = flag[2:].partition(".")
        flag = "--" + name.replace("_", "-") + dot + rest
    return flag


def value_text(value):
    """customArgs values: true -> bare flag, false -> flag removed, numbers and strings -> text."""
    if value is True:
        return None
    if isinstance(value, str) and value.lower() == "true":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return tuple(value_text(v) for v in value)
    return str(value)


def _set(args: dict, flag: str, value) -> None:
    """Set a flag, removing its `--no-` twin (a later `--x` cancels an earlier `--no-x`)."""
    twin = "--" + flag[5:] if flag.startswith("--no-") else "--no-" + flag[2:]
    args.pop(twin, None)
    args.pop(flag, None)  # re-inserting keeps the newest setting last, as on a command line
    args[flag] = value


def build_command(engine: str, recipe_args, gpu_count: int, huggingface_id: str, served_name: str,
                  overrides, custom_args, where) -> EngineCommand:
    """The final argument list. `where(kind, flag)` returns (file, line, field) for diagnostics."""
    diagnostics: list[Diagnostic] = []
    notes: list[str] = []
    owned = OWNED_FLAGS[engine]
    args: dict = {}
    for raw_flag, value in recipe_args.items():
        flag = normalise_flag(raw_flag, engine)
        if value is False:
            continue
        if flag in TP_FLAGS:
            if value is not None and str(value) != str(gpu_count):
                file, line, field = where("recipe", raw_flag)
                diagnostics.append(Diagnostic(file, line, field,
                                              f"tensor-parallel size {value} differs from the configuration's GPU "
                                              f"count {gpu_count}; they must be equal"))
            continue
        if flag in owned:
            if flag in ("--port", "--host"):
                notes.append(f"recipe's {flag} {value} replaced: aimc sets the port and host")
            continue
        args[flag] = value
    for name, raw in overrides:
        flag = OVERRIDE_FLAGS[name][engine]
        if isinstance(raw, bool):
            on = raw != ((name, engine) in INVERTED_OVERRIDES)
            if on:
                _set(args, flag, None)
            else:
                args.pop(flag, None)
                if engine == "vllm" and name in ("trustRemoteCode", "enablePrefixCaching", "enforceEager"):
                    _set(args, "--no-" + flag[2:], None)
            notes.append(f"aimFrameworkOverrides.{name}: {str(raw).lower()} -> {flag if on else 'off'}")
            continue
        value = value_text(raw)
        if engine == "sglang" and name == "kvCacheDtype":
            value = SGLANG_KV_DTYPE.get(value, value)
        _set(args, flag, value)
        notes.append(f"aimFrameworkOverrides.{name}: {flag} {value}")
    for raw_flag, raw in custom_args:
        flag = normalise_flag(raw_flag, engine)
        if flag in FLAG_ALIASES[engine]:
            real = FLAG_ALIASES[engine][flag]
            file, line, field = where("customArgs", raw_flag)
            diagnostics.append(Diagnostic(file, line, field,
                                          f"{flag} is not a {engine} flag; using {real}, its documented alias "
                                          f"(write {real} to silence this warning)", "warning"))
            flag = real
        if flag in owned:
            file, line, field = where("customArgs", raw_flag)
            instead = owned[flag]
            hint = f"set {instead} instead" if instead else "aimc sets it (port 8000 for vLLM, 30000 for SGLang)"
            diagnostics.append(Diagnostic(file, line, field, f"{flag} cannot be set in customArgs: {hint}"))
            continue
        if raw is None or raw is False or (isinstance(raw, str) and raw.lower() == "false"):
            if args.pop(flag, "absent") != "absent":
                notes.append(f"customArgs: {flag} removed")
            continue
        _set(args, flag, value_text(raw))
        notes.append(f"customArgs: {flag} {'' if value_text(raw) is None else value_text(raw)}".rstrip())
    final = [MODEL_FLAG[engine], huggingface_id, "--served-model-name", served_name]
    if engine == "sglang":
        final += ["--host", "0.0.0.0"]
    final += ["--port", str(PORTS[engine]), TP_FLAG[engine], str(gpu_count)]
    for flag, value in args.items():
        final.append(flag)
        if isinstance(value, tuple):
            final.extend(value)
        elif value is not None:
            final.append(value)
    return EngineCommand(tuple(final), tuple(diagnostics), tuple(notes))
