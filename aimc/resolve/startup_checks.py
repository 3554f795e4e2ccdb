"""The engines' start-up checks that depend only on the arguments: what the engine refuses after its parser accepted
the command line, so that aimc reports it with the file and line the flag came from instead of a crash-looping pod.

From vLLM: `validate_parsed_serve_args` (entrypoints/openai/cli_args.py), `CacheConfig` and
`SchedulerConfig.verify_max_model_len` (config/); from SGLang 0.5.5.post3: `ServerArgs.__post_init__` and
`check_server_args` (srt/server_args.py). Only flags set explicitly are compared; an unset flag keeps the engine's
default, which these checks use where the engine's check reads it. Each check names its source in the message.
"""

from __future__ import annotations

from aimc.catalog.flag_sets import flag_set
from aimc.catalog.runtime import version_key
from aimc.errors import did_you_mean
from aimc.records import Record

_SUFFIXES = {"k": 1000, "m": 1000 ** 2, "g": 1000 ** 3, "t": 1000 ** 4,
             "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


class StartupProblem(Record):
    flag: str  # the flag the problem is reported at (where it was written)
    message: str
    severity: str = "error"


# vLLM checks a parser name against its registry only after the plugin file of the second flag was imported:
# `validate_api_server_args` (vllm/entrypoints/openai/api_server.py, v0.11.1) raises `KeyError: invalid reasoning
# parser` for any `--reasoning-parser` not registered, and `invalid tool call parser` for a `--tool-call-parser` when
# `--enable-auto-tool-choice` is on. `setup_server` imports `--tool-parser-plugin` / `--reasoning-parser-plugin` first,
# so an unknown name starts only when such a plugin is given (and registers it, which aimc cannot see).
VLLM_REGISTERED_NAMES = (
    # (flag, the plugin flag that can register more names, the flag the engine checks it under, or None: always)
    ("--reasoning-parser", "--reasoning-parser-plugin", None),
    ("--tool-call-parser", "--tool-parser-plugin", "--enable-auto-tool-choice"),
)


def check(engine: str, version: str, args: dict, gpu_count: int) -> list[StartupProblem]:
    """Every start-up check of `engine` at `version` over the final flags (flag -> value; None for a bare flag)."""
    if engine == "vllm":
        return _vllm(version, args)
    return _sglang(version, args, gpu_count)


def _vllm(version: str, args: dict) -> list[StartupProblem]:
    out = []
    label = f"vLLM {version}"
    out += _vllm_registered_names(version, args)
    if "--enable-auto-tool-choice" in args and "--tool-call-parser" not in args:
        out.append(StartupProblem("--enable-auto-tool-choice", (
            f"--enable-auto-tool-choice requires --tool-call-parser: {label} refuses to start "
            "(validate_parsed_serve_args); add --tool-call-parser with the model's parser, or remove "
            "--enable-auto-tool-choice")))
    if (version_key(version) >= version_key("0.11.0") and "--enable-log-outputs" in args
            and "--enable-log-requests" not in args):
        out.append(StartupProblem("--enable-log-outputs", (
            f"--enable-log-outputs requires --enable-log-requests: {label} refuses to start "
            "(validate_parsed_serve_args); add --enable-log-requests or remove --enable-log-outputs")))
    utilisation = _number(args.get("--gpu-memory-utilization"))
    if utilisation is not None and not 0 < utilisation <= 1:
        out.append(StartupProblem("--gpu-memory-utilization", (
            f"--gpu-memory-utilization {args['--gpu-memory-utilization']} is outside (0, 1]: {label} refuses to "
            "start (CacheConfig); it is the fraction of GPU memory the instance may use, e.g. 0.9")))
    batched, seqs = _int(args.get("--max-num-batched-tokens")), _int(args.get("--max-num-seqs"))
    if batched is not None and seqs is not None and batched < seqs:
        out.append(StartupProblem("--max-num-batched-tokens", (
            f"--max-num-batched-tokens ({batched}) must be at least --max-num-seqs ({seqs}): {label} refuses to "
            "start (SchedulerConfig)")))
    length = _int(args.get("--max-model-len"))
    if "--no-enable-chunked-prefill" in args and batched is not None and length is not None and batched < length:
        out.append(StartupProblem("--max-num-batched-tokens", (
            f"--max-num-batched-tokens ({batched}) is smaller than --max-model-len ({length}) with chunked prefill "
            f"off: {label} refuses to start (SchedulerConfig); raise it, lower --max-model-len, or enable chunked "
            "prefill")))
    partial = _int(args.get("--max-num-partial-prefills"))
    if partial is not None and partial > 1 and "--no-enable-chunked-prefill" in args:
        out.append(StartupProblem("--max-num-partial-prefills", (
            f"--max-num-partial-prefills > 1 needs chunked prefill, which --no-enable-chunked-prefill turns off: "
            f"{label} refuses to start (SchedulerConfig)")))
    long_partial = _int(args.get("--max-long-partial-prefills"))
    if long_partial is not None and long_partial > (partial or 1):
        out.append(StartupProblem("--max-long-partial-prefills", (
            f"--max-long-partial-prefills ({long_partial}) must not exceed --max-num-partial-prefills "
            f"({partial or 1}{'' if partial else ', the default'}): {label} refuses to start (SchedulerConfig)")))
    return out


def _vllm_registered_names(version: str, args: dict) -> list[StartupProblem]:
    """Parser names that the version does not register: an error without the plugin flag that could register them
    (the engine refuses to start), a warning with it."""
    out = []
    flags = flag_set("vllm", version)
    for flag, plugin, checked_under in VLLM_REGISTERED_NAMES:
        value = args.get(flag)
        found = flags.lookup(flag)
        if value is None or isinstance(value, tuple) or found is None or not found[0].post_parse_values:
            continue
        known = found[0].post_parse_values
        if str(value) in known or str(value) == "None":
            continue
        names = f"{value!r} is not a {flag} of vLLM {version} ({', '.join(known)})"
        if plugin in args:
            out.append(StartupProblem(flag, f"{names}; it starts only if {plugin} registers it", "warning"))
        elif checked_under is None or checked_under in args:
            out.append(StartupProblem(flag, (
                f"{names}{did_you_mean(str(value), known)}: vLLM {version} refuses to start (validate_api_server_args:"
                f" KeyError); use one of these, or give {plugin} with a file that registers it")))
        else:
            out.append(StartupProblem(flag, (
                f"{names}: vLLM {version} does not check it while {checked_under} is off, and never uses it; "
                f"use one of these, or give {plugin} with a file that registers it"), "warning"))
    return out


def _sglang(version: str, args: dict, gpu_count: int) -> list[StartupProblem]:
    out = []
    label = f"SGLang {version}"
    dp = _int(args.get("--data-parallel-size")) or 1
    if dp > 1 and "--enable-dp-lm-head" in args and "--enable-dp-attention" not in args:
        out.append(StartupProblem("--enable-dp-lm-head", (
            f"--enable-dp-lm-head requires --enable-dp-attention: {label} refuses to start (ServerArgs)")))
    if dp > 1 and "--enable-dp-attention" in args and gpu_count % dp:
        out.append(StartupProblem("--data-parallel-size", (
            f"with --enable-dp-attention the tensor-parallel size ({gpu_count}) must be a multiple of "
            f"--data-parallel-size ({dp}): {label} refuses to start (ServerArgs)")))
    pp = _int(args.get("--pipeline-parallel-size")) or 1
    # `--disable-overlap-schedule` is not needed: `ServerArgs._handle_pipeline_parallelism` (srt/server_args.py,
    # 0.5.5.post3) sets disable_overlap_schedule=True itself when pp_size > 1, before check_server_args asserts it.
    clashes = [flag for flag in ("--speculative-algorithm", "--enable-mixed-chunk") if flag in args]
    if pp > 1 and clashes:
        out.append(StartupProblem("--pipeline-parallel-size", (
            f"--pipeline-parallel-size {pp} cannot be combined with {', '.join(clashes)}: {label} refuses to "
            "start (check_server_args)")))
    policy = args.get("--schedule-policy", "fcfs")
    if "--enable-priority-scheduling" in args and policy not in ("fcfs", "lof"):
        out.append(StartupProblem("--enable-priority-scheduling", (
            f"--enable-priority-scheduling needs --schedule-policy fcfs or lof, not {policy}: {label} refuses to "
            "start (check_server_args)")))
    if "--multi-item-scoring-delimiter" in args and (
            "--disable-radix-cache" not in args or str(args.get("--chunked-prefill-size")) != "-1"):
        out.append(StartupProblem("--multi-item-scoring-delimiter", (
            f"--multi-item-scoring-delimiter needs --disable-radix-cache and --chunked-prefill-size -1: {label} "
            "refuses to start (check_server_args)")))
    loras = _int(args.get("--max-loras-per-batch"))
    if loras is not None and loras <= 0:
        out.append(StartupProblem("--max-loras-per-batch", (
            f"--max-loras-per-batch must be positive, not {loras}: {label} refuses to start (check_server_args)")))
    conservativeness = _number(args.get("--schedule-conservativeness"))
    if conservativeness is not None and conservativeness < 0:
        out.append(StartupProblem("--schedule-conservativeness", (
            f"--schedule-conservativeness must not be negative: {label} refuses to start (check_server_args)")))
    return out


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value) -> int | None:
    """A whole number as the engines read it, with vLLM's `32k` / `1M` suffixes; None when absent or not one."""
    if value is None or isinstance(value, tuple):
        return None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    if text and text[-1] in _SUFFIXES:
        try:
            return int(float(text[:-1]) * _SUFFIXES[text[-1]])
        except ValueError:
            return None
    return None
