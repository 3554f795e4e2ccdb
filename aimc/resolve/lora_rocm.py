"""What SGLang refuses on ROCm about its second LoRA kernels, read from the released wheels: every SGLang image aimc
serves runs on AMD GPUs, so ROCm (`get_platform().is_hip`) always holds.

SGLang 0.5.23 is the first release with the LoRA backend `triton_v2` and the LoRA MoE runners `lora_cutedsl`,
`lora_triton`, `lora_marlin` (srt/arg_groups/fields/lora.py and srt/arg_groups/choices.py of 0.5.23; the 0.5.16,
0.5.17, 0.5.20 and 0.5.22 wheels have neither: their parser refuses the values as an invalid choice). Its start-up
check `check_lora_server_args` (srt/arg_groups/lora_hook.py, run by `check_server_args` for every launch) refuses
both on ROCm:
- `--lora-backend triton_v2` with LoRA on (`--enable-lora`, or `--lora-paths`, which turns it on) and a MoE runner
  that is not a LoRA one: `_check_v2_lora_modes(cfg, "--lora-backend triton_v2")` (line 54) raises
  "--lora-backend triton_v2 does not yet support ROCm" (line 30). Without LoRA the backend is never checked.
- `--moe-runner-backend lora_*`, with or without LoRA (`check_lora_moe_runner_args`, called at the end whatever
  the LoRA flags): without LoRA it "requires --enable-lora (or --lora-paths)" (line 201), with another LoRA backend
  it "requires --lora-backend triton_v2" (line 205), and with triton_v2 `_check_v2_lora_modes` (line 208) refuses
  ROCm: no command line serves it on AMD GPUs.
"""

from __future__ import annotations

from aimc.catalog.runtime import version_key
from aimc.resolve.startup_checks import StartupProblem

FIRST = "0.5.23"  # the first SGLang release with --lora-backend triton_v2 and --moe-runner-backend lora_*
_HOOK = "sglang/srt/arg_groups/lora_hook.py"
_V2_BACKEND = "triton_v2"
_LORA_RUNNER = "lora"  # the prefix of the LoRA MoE runners (`moe_runner_backend.startswith("lora")`)
# Read release -> line of each refusal in srt/arg_groups/lora_hook.py.
_RAISE_LINE = {"0.5.23": 30}  # _check_v2_lora_modes: "... does not yet support ROCm"
_BACKEND_CALL_LINE = {"0.5.23": 54}  # check_lora_server_args -> _check_v2_lora_modes("--lora-backend triton_v2")
_RUNNER_CALL_LINE = {"0.5.23": 208}  # check_lora_moe_runner_args -> _check_v2_lora_modes("--moe-runner-backend ...")
_NEEDS_LORA_LINE = {"0.5.23": 201}  # "--moe-runner-backend X requires --enable-lora (or --lora-paths)"


def problems(engine: str, version: str, flag_set_version: str, args: dict) -> list[StartupProblem]:
    """The refusals for a final command line (flag -> value) of SGLang `version` (the engine inside the image) whose
    flags were checked against the flag set of `flag_set_version`; each at the flag whose field must change."""
    if engine != "sglang":
        return []
    backend = args.get("--lora-backend")
    runner = args.get("--moe-runner-backend")
    v2_backend = backend == _V2_BACKEND
    lora_runner = isinstance(runner, str) and runner.startswith(_LORA_RUNNER)
    if not v2_backend and not lora_runner:
        return []
    if version_key(version) < version_key(FIRST):
        # The flag set of a newer release let the value through (0.5.20 to 0.5.22 are checked against 0.5.23's).
        if version_key(flag_set_version) < version_key(FIRST):
            return []  # the flag-set check has already refused the value
        return [_absent(flag, value, version) for flag, value, used in (
            ("--lora-backend", backend, v2_backend), ("--moe-runner-backend", runner, lora_runner)) if used]
    lora_on = "--enable-lora" in args or "--lora-paths" in args
    out = []
    if lora_runner:
        out.append(StartupProblem("--moe-runner-backend", _runner_refused(str(runner), version, lora_on)))
    if v2_backend and lora_on:
        out.append(StartupProblem("--lora-backend", _backend_refused(version, str(runner) if lora_runner else None)))
    return out


def _backend_refused(version: str, runner: str | None) -> str:
    # With a LoRA MoE runner the backend is checked with the runner (line 208), else on its own (line 54).
    option, caller, line = (f"--moe-runner-backend {runner}", "check_lora_moe_runner_args", _RUNNER_CALL_LINE) \
        if runner else (f"--lora-backend {_V2_BACKEND}", "check_lora_server_args", _BACKEND_CALL_LINE)
    return (f"--lora-backend {_V2_BACKEND} cannot be served on AMD GPUs: SGLang {version} refuses it on ROCm at start "
            f"(\"{option} does not yet support ROCm\", {_cite(_RAISE_LINE, version)}, _check_v2_lora_modes, called "
            f"by {caller} at line {_line(line, version)}); use --lora-backend csgmv (the default) or triton, or "
            "remove --lora-backend")


def _runner_refused(runner: str, version: str, lora_on: bool) -> str:
    first = "" if lora_on else (
        f"without LoRA it \"requires --enable-lora (or --lora-paths)\" ({_cite(_NEEDS_LORA_LINE, version)}), and ")
    return (f"--moe-runner-backend {runner} cannot be served on AMD GPUs: SGLang {version}'s LoRA MoE runners need "
            f"--lora-backend {_V2_BACKEND}, which it refuses on ROCm at start: {first}with LoRA on "
            f"\"--moe-runner-backend {runner} does not yet support ROCm\" ({_cite(_RAISE_LINE, version)}, "
            f"_check_v2_lora_modes, called by check_lora_moe_runner_args at line {_line(_RUNNER_CALL_LINE, version)}); "
            "remove --moe-runner-backend (auto picks a ROCm MoE runner) or choose one that is not a LoRA runner")


def _absent(flag: str, value: object, version: str) -> StartupProblem:
    return StartupProblem(flag, (
        f"{flag} {value} is not in SGLang {version}: {FIRST} is the first release with it (the 0.5.17, 0.5.20 and "
        f"0.5.22 wheels' parsers refuse it as an invalid choice), and {FIRST} refuses it on ROCm "
        f"({_cite(_RAISE_LINE, FIRST)}, _check_v2_lora_modes); remove {flag}"))


def _read(lines: dict[str, int], version: str) -> str:
    """The read release `version`, else the newest read release before it (else the oldest read)."""
    older = [read for read in lines if version_key(read) <= version_key(version)]
    return max(older, key=version_key) if older else min(lines, key=version_key)


def _line(lines: dict[str, int], version: str) -> int:
    return lines[_read(lines, version)]


def _cite(lines: dict[str, int], version: str) -> str:
    """file:line of the read release `version`, else the line in the newest read release before it."""
    read = _read(lines, version)
    return f"{_HOOK}:{lines[read]}" if read == version else f"{_HOOK}, line {lines[read]} in {read}"
