"""The engines' start-up checks that depend only on the arguments: what the engine refuses after its parser accepted
the command line, so that aimc reports it with the file and line the flag came from instead of a crash-looping pod.

Each check follows the engine version of the rendered image: it runs for a shipped flag-set version only where
that release's source has it, and its message cites that release's file and line (`SOURCES`, read from the installed
wheels: vLLM's `validate_parsed_serve_args` in entrypoints/openai/cli_args.py, entrypoints/common/cli_args.py from
0.34, `CacheConfig` and `SchedulerConfig.verify_max_model_len` in config/; SGLang's `ServerArgs.__post_init__` and
`check_server_args` in srt/server_args.py up to 0.5.16, `resolve_once()`'s hooks in srt/arg_groups/ in 0.5.23).
Only flags set explicitly are compared; an unset flag keeps the engine's default, which these checks use where the
engine's check reads it. A flag is looked up under every spelling the versions use (`--no-enable-chunked-prefill`
or `--disable-chunked-prefill`, `--data-parallel-size` or `--dp-size`).
"""

from __future__ import annotations

from aimc.catalog.flag_sets import flag_set
from aimc.errors import did_you_mean
from aimc.records import Record

_SUFFIXES = {"k": 1000, "m": 1000 ** 2, "g": 1000 ** 3, "t": 1000 ** 4,
             "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}

_V_CLI = "vllm/entrypoints/openai/cli_args.py"
_V_CLI_034 = "vllm/entrypoints/common/cli_args.py"
_V_API = "vllm/entrypoints/openai/api_server.py"
_S = "sglang/srt/server_args.py"
# check -> shipped release -> where its source raises. A release that is not listed does not have the check.
SOURCES: dict[str, dict[str, str]] = {
    "vllm:auto-tool-choice": {"0.10.2": f"{_V_CLI}:273", "0.11.1": f"{_V_CLI}:292", "0.17.0": f"{_V_CLI}:367",
                              "0.21.0": f"{_V_CLI}:385", "0.22.0": f"{_V_CLI}:396", "0.24.0": f"{_V_CLI}:396",
                              "0.27.1": f"{_V_CLI}:414", "0.34.0": f"{_V_CLI_034}:562"},
    "vllm:log-outputs": {"0.11.1": f"{_V_CLI}:294", "0.17.0": f"{_V_CLI}:369", "0.21.0": f"{_V_CLI}:387",
                         "0.22.0": f"{_V_CLI}:398", "0.24.0": f"{_V_CLI}:398", "0.27.1": f"{_V_CLI}:416",
                         "0.34.0": f"{_V_CLI_034}:564"},
    "vllm:per-request-metrics": {"0.27.1": f"{_V_CLI}:419", "0.34.0": f"{_V_CLI_034}:574"},
    "vllm:sse-keep-alive": {"0.34.0": f"{_V_CLI_034}:568"},
    "vllm:gpu-memory-utilization": {"0.10.2": "vllm/config/cache.py:163", "0.11.1": "vllm/config/cache.py:50",
                                    "0.17.0": "vllm/config/cache.py:49", "0.21.0": "vllm/config/cache.py:66",
                                    "0.22.0": "vllm/config/cache.py:66", "0.24.0": "vllm/config/cache.py:67",
                                    "0.27.1": "vllm/config/cache.py:68", "0.34.0": "vllm/config/cache.py:216"},
    "vllm:batched-below-seqs": {"0.10.2": "vllm/config/scheduler.py:262", "0.11.1": "vllm/config/scheduler.py:263",
                                "0.17.0": "vllm/config/scheduler.py:265", "0.21.0": "vllm/config/scheduler.py:273",
                                "0.22.0": "vllm/config/scheduler.py:273", "0.24.0": "vllm/config/scheduler.py:286",
                                "0.27.1": "vllm/config/scheduler.py:263", "0.34.0": "vllm/config/scheduler.py:375"},
    "vllm:batched-below-length": {"0.10.2": "vllm/config/scheduler.py:252", "0.11.1": "vllm/config/scheduler.py:251",
                                  "0.17.0": "vllm/config/scheduler.py:253", "0.21.0": "vllm/config/scheduler.py:261",
                                  "0.22.0": "vllm/config/scheduler.py:261", "0.24.0": "vllm/config/scheduler.py:274",
                                  "0.27.1": "vllm/config/scheduler.py:251",
                                  "0.34.0": "vllm/config/scheduler.py:363"},
    # --max-num-partial-prefills and --max-long-partial-prefills are gone from 0.27 on (flag sets).
    "vllm:partial-prefills": {"0.10.2": "vllm/config/scheduler.py:287", "0.11.1": "vllm/config/scheduler.py:281",
                              "0.17.0": "vllm/config/scheduler.py:283", "0.21.0": "vllm/config/scheduler.py:291",
                              "0.22.0": "vllm/config/scheduler.py:291", "0.24.0": "vllm/config/scheduler.py:304"},
    "vllm:long-partial-prefills": {"0.10.2": "vllm/config/scheduler.py:296",
                                   "0.11.1": "vllm/config/scheduler.py:292",
                                   "0.17.0": "vllm/config/scheduler.py:294",
                                   "0.21.0": "vllm/config/scheduler.py:302",
                                   "0.22.0": "vllm/config/scheduler.py:302",
                                   "0.24.0": "vllm/config/scheduler.py:315"},
    # validate_api_server_args: a parser name the release does not register (KeyError), checked after the plugin
    # files of --reasoning-parser-plugin / --tool-parser-plugin were imported.
    "vllm:reasoning-parser": {"0.10.2": f"{_V_API}:1888", "0.11.1": f"{_V_API}:1968", "0.17.0": f"{_V_API}:414",
                              "0.21.0": f"{_V_API}:543", "0.22.0": f"{_V_API}:529", "0.24.0": f"{_V_API}:514",
                              "0.27.1": f"{_V_API}:615", "0.34.0": f"{_V_CLI_034}:639"},
    "vllm:tool-call-parser": {"0.10.2": f"{_V_API}:1881", "0.11.1": f"{_V_API}:1959", "0.17.0": f"{_V_API}:405",
                              "0.21.0": f"{_V_API}:534", "0.22.0": f"{_V_API}:520", "0.24.0": f"{_V_API}:505",
                              "0.27.1": f"{_V_API}:606", "0.34.0": f"{_V_CLI_034}:630"},
    # 0.5.16 and 0.5.23 no longer refuse --enable-dp-lm-head without DP attention.
    "sglang:dp-lm-head": {"0.5.5.post3": f"{_S}:1393", "0.5.12": f"{_S}:3078", "0.5.14": f"{_S}:5061"},
    "sglang:dp-divides-tp": {"0.5.5.post3": f"{_S}:1384", "0.5.12": f"{_S}:3069", "0.5.14": f"{_S}:5052",
                             "0.5.16": f"{_S}:5607", "0.5.23": "sglang/srt/arg_groups/parallel_hook.py:326"},
    "sglang:pipeline-parallel": {"0.5.5.post3": f"{_S}:3765", "0.5.12": f"{_S}:7253", "0.5.14": f"{_S}:6654",
                                 "0.5.16": f"{_S}:7599", "0.5.23": "sglang/srt/arg_groups/validation_hook.py:122"},
    "sglang:priority-scheduling": {"0.5.5.post3": f"{_S}:3844", "0.5.12": f"{_S}:7331", "0.5.14": f"{_S}:6733",
                                   "0.5.16": f"{_S}:7678",
                                   "0.5.23": "sglang/srt/arg_groups/validation_hook.py:286"},
    # 0.5.12 on: --multi-item-scoring-delimiter no longer refuses; 0.5.23 turns the radix cache off by itself.
    "sglang:multi-item-scoring": {"0.5.5.post3": f"{_S}:3849"},
    "sglang:max-loras": {"0.5.5.post3": f"{_S}:3862", "0.5.12": f"{_S}:7417", "0.5.14": f"{_S}:6819",
                         "0.5.16": f"{_S}:7768", "0.5.23": "sglang/srt/arg_groups/lora_hook.py:36"},
    "sglang:conservativeness": {"0.5.5.post3": f"{_S}:3858", "0.5.12": f"{_S}:7354", "0.5.14": f"{_S}:6756",
                                "0.5.16": f"{_S}:7710", "0.5.23": "sglang/srt/arg_groups/validation_hook.py:314"},
}
# What the pipeline-parallel check refuses, by release: mixed chunked prefill and any speculative decoding
# (0.5.5.post3); speculative decoding (0.5.12 to 0.5.16); speculative decoding other than single-layer EAGLE (0.5.23,
# validation_hook.py:129). The overlap schedule it also asserts off is never in the way: every release turns it off
# itself when --pp-size > 1 before the check (`_handle_pipeline_parallelism`, server_args.py:1483 of 0.5.5.post3,
# :2430 of 0.5.12; `_pipeline_parallel_overlap_disable`, arg_groups/overrides.py:2106 of 0.5.16, :1624 of 0.5.23).
_PP_CLASHES = {"0.5.5.post3": ("--speculative-algorithm", "--enable-mixed-chunk")}
# vLLM checks a parser name against its registry only after the plugin file of the second flag was imported, so an
# unknown name starts only when such a plugin is given (and registers it, which aimc cannot see).
VLLM_REGISTERED_NAMES = (
    # (flag, the plugin flag that can register more names, the flag the engine checks it under, or None: always)
    ("--reasoning-parser", "--reasoning-parser-plugin", None),
    ("--tool-call-parser", "--tool-parser-plugin", "--enable-auto-tool-choice"),
)


# What the engine calls the code that refuses, named in the messages with the source line.
_CHECKER = {"vllm:auto-tool-choice": "validate_parsed_serve_args", "vllm:log-outputs": "validate_parsed_serve_args",
            "vllm:per-request-metrics": "validate_parsed_serve_args", "vllm:sse-keep-alive":
            "validate_parsed_serve_args", "vllm:gpu-memory-utilization": "CacheConfig"}


class StartupProblem(Record):
    flag: str  # the flag the problem is reported at (where it was written)
    message: str
    severity: str = "error"


def check(engine: str, version: str, args: dict, gpu_count: int) -> list[StartupProblem]:
    """Every start-up check of `engine` at the shipped flag-set `version` over the final flags (flag -> value; None
    for a bare flag)."""
    if engine == "vllm":
        return _vllm(version, args)
    return _sglang(version, args, gpu_count)


def _where(rule: str, version: str) -> str | None:
    return SOURCES[rule].get(version)


def _cited(rule: str, version: str) -> str:
    checker = _CHECKER.get(rule, "SchedulerConfig" if rule.startswith("vllm:") else "ServerArgs")
    return f"{checker}, {_where(rule, version)}"


def _vllm(version: str, args: dict) -> list[StartupProblem]:
    out = []
    label = f"vLLM {version}"

    def refuse(rule: str, flag: str, text: str) -> None:
        refusal = f"{label} refuses to start ({_cited(rule, version)})"
        out.append(StartupProblem(flag, text.replace("{refuses}", refusal)))

    out += _vllm_registered_names(version, args)
    if _where("vllm:auto-tool-choice", version) and "--enable-auto-tool-choice" in args \
            and "--tool-call-parser" not in args:
        refuse("vllm:auto-tool-choice", "--enable-auto-tool-choice",
               "--enable-auto-tool-choice requires --tool-call-parser: {refuses}; add --tool-call-parser with the "
               "model's parser, or remove --enable-auto-tool-choice")
    if _where("vllm:log-outputs", version) and "--enable-log-outputs" in args and "--enable-log-requests" not in args:
        refuse("vllm:log-outputs", "--enable-log-outputs",
               "--enable-log-outputs requires --enable-log-requests: {refuses}; add --enable-log-requests or remove "
               "--enable-log-outputs")
    if _where("vllm:per-request-metrics", version) and "--enable-per-request-metrics" in args \
            and "--disable-log-stats" in args:
        refuse("vllm:per-request-metrics", "--enable-per-request-metrics",
               "--enable-per-request-metrics needs engine statistics, which --disable-log-stats turns off: "
               "{refuses}; remove one of them")
    keep_alive = _int(args.get("--sse-keep-alive-interval"))
    if _where("vllm:sse-keep-alive", version) and keep_alive is not None and keep_alive < 0:
        refuse("vllm:sse-keep-alive", "--sse-keep-alive-interval",
               "--sse-keep-alive-interval must not be negative (0 turns keep-alive comments off): {refuses}")
    written = _first(args, "--gpu-memory-utilization", "--device-memory-utilization")
    utilisation = _number(written)
    if _where("vllm:gpu-memory-utilization", version) and utilisation is not None and not 0 < utilisation <= 1:
        refuse("vllm:gpu-memory-utilization", "--gpu-memory-utilization",
               f"--gpu-memory-utilization {written} is outside (0, 1]: {{refuses}}; it is the fraction of GPU "
               "memory the instance may use, e.g. 0.9")
    _vllm_scheduler(version, args, refuse)
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
        where = _where(f"vllm:{flag[2:]}", version)
        if plugin in args:
            out.append(StartupProblem(flag, f"{names}; it starts only if {plugin} registers it", "warning"))
        elif checked_under is None or checked_under in args:
            out.append(StartupProblem(flag, (
                f"{names}{did_you_mean(str(value), known)}: vLLM {version} refuses to start (validate_api_server_args:"
                f" KeyError, {where}); use one of these, or give {plugin} with a file that registers it")))
        else:
            out.append(StartupProblem(flag, (
                f"{names}: vLLM {version} does not check it while {checked_under} is off, and never uses it; "
                f"use one of these, or give {plugin} with a file that registers it"), "warning"))
    return out


def _vllm_scheduler(version: str, args: dict, refuse) -> None:
    batched, seqs = _int(args.get("--max-num-batched-tokens")), _int(args.get("--max-num-seqs"))
    if _where("vllm:batched-below-seqs", version) and batched is not None and seqs is not None and batched < seqs:
        refuse("vllm:batched-below-seqs", "--max-num-batched-tokens",
               f"--max-num-batched-tokens ({batched}) must be at least --max-num-seqs ({seqs}): {{refuses}}")
    length = _int(args.get("--max-model-len"))
    chunking_off = "--no-enable-chunked-prefill" in args or "--disable-chunked-prefill" in args
    if _where("vllm:batched-below-length", version) and chunking_off and batched is not None \
            and length is not None and batched < length:
        refuse("vllm:batched-below-length", "--max-num-batched-tokens",
               f"--max-num-batched-tokens ({batched}) is smaller than --max-model-len ({length}) with chunked "
               "prefill off: {refuses}; raise it, lower --max-model-len, or enable chunked prefill")
    partial = _int(args.get("--max-num-partial-prefills"))
    if _where("vllm:partial-prefills", version) and partial is not None and partial > 1 and chunking_off:
        refuse("vllm:partial-prefills", "--max-num-partial-prefills",
               "--max-num-partial-prefills > 1 needs chunked prefill, which is turned off: {refuses}")
    long_partial = _int(args.get("--max-long-partial-prefills"))
    if _where("vllm:long-partial-prefills", version) and long_partial is not None and long_partial > (partial or 1):
        refuse("vllm:long-partial-prefills", "--max-long-partial-prefills",
               f"--max-long-partial-prefills ({long_partial}) must not exceed --max-num-partial-prefills "
               f"({partial or 1}{'' if partial else ', the default'}): {{refuses}}")


def _sglang(version: str, args: dict, gpu_count: int) -> list[StartupProblem]:
    out = []
    label = f"SGLang {version}"

    def refuse(rule: str, flag: str, text: str) -> None:
        refusal = f"{label} refuses to start ({_cited(rule, version)})"
        out.append(StartupProblem(flag, text.replace("{refuses}", refusal)))

    dp = _int(_first(args, "--data-parallel-size", "--dp-size")) or 1
    if _where("sglang:dp-lm-head", version) and dp > 1 and "--enable-dp-lm-head" in args \
            and "--enable-dp-attention" not in args:
        refuse("sglang:dp-lm-head", "--enable-dp-lm-head",
               "--enable-dp-lm-head requires --enable-dp-attention: {refuses}")
    if _where("sglang:dp-divides-tp", version) and dp > 1 and "--enable-dp-attention" in args and gpu_count % dp:
        flag = next(f for f in ("--data-parallel-size", "--dp-size") if f in args)
        refuse("sglang:dp-divides-tp", flag,
               f"with --enable-dp-attention the tensor-parallel size ({gpu_count}) must be a multiple of "
               f"{flag} ({dp}): {{refuses}}")
    pp = _int(_first(args, "--pipeline-parallel-size", "--pp-size")) or 1
    if _where("sglang:pipeline-parallel", version) and pp > 1:
        _pipeline_parallel(version, args, pp, refuse)
    policy = args.get("--schedule-policy", "fcfs")
    if _where("sglang:priority-scheduling", version) and "--enable-priority-scheduling" in args \
            and policy not in ("fcfs", "lof"):
        refuse("sglang:priority-scheduling", "--enable-priority-scheduling",
               f"--enable-priority-scheduling needs --schedule-policy fcfs or lof, not {policy}: {{refuses}}")
    if _where("sglang:multi-item-scoring", version) and "--multi-item-scoring-delimiter" in args and (
            "--disable-radix-cache" not in args or str(args.get("--chunked-prefill-size")) != "-1"):
        refuse("sglang:multi-item-scoring", "--multi-item-scoring-delimiter",
               "--multi-item-scoring-delimiter needs --disable-radix-cache and --chunked-prefill-size -1: {refuses}")
    loras = _int(args.get("--max-loras-per-batch"))
    if _where("sglang:max-loras", version) and loras is not None and loras <= 0:
        refuse("sglang:max-loras", "--max-loras-per-batch",
               f"--max-loras-per-batch must be positive, not {loras}: {{refuses}}")
    conservativeness = _number(args.get("--schedule-conservativeness"))
    if _where("sglang:conservativeness", version) and conservativeness is not None and conservativeness < 0:
        refuse("sglang:conservativeness", "--schedule-conservativeness",
               "--schedule-conservativeness must not be negative: {refuses}")
    return out


def _pipeline_parallel(version: str, args: dict, pp: int, refuse) -> None:
    clashes = [flag for flag in _PP_CLASHES.get(version, ("--speculative-algorithm",)) if flag in args]
    if version == "0.5.23" and str(args.get("--speculative-algorithm", "")).upper() == "EAGLE" \
            and "--enable-multi-layer-eagle" not in args:
        clashes.remove("--speculative-algorithm")  # 0.5.23 runs single-layer EAGLE under PP
    if clashes:
        flag = "--pipeline-parallel-size" if "--pipeline-parallel-size" in args else "--pp-size"
        refuse("sglang:pipeline-parallel", flag, f"{flag} {pp} cannot be combined with {', '.join(clashes)}: "
                                                 "{refuses}")


def _first(args: dict, *spellings: str):
    return next((args[flag] for flag in spellings if flag in args), None)


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
