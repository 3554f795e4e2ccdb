"""Engine command lines: the flags aimc owns, then the merged arguments, every flag checked against the flag set of
the engine version in the image (see `images`), then the engine's own start-up checks (`startup_checks`). The
precedence merge itself (recipe args < aimFrameworkOverrides < customArgs) is `arg_merge`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType

from aimc.catalog.flag_sets import FlagSet, check_value, flag_set, unknown_flag_problem
from aimc.catalog.runtime import runtime, version_key
from aimc.errors import Diagnostic
from aimc.memo import compile_table, per_compile_records, typed_key
from aimc.model.inputs import YamlPairs
from aimc.records import Record
from aimc.resolve import lora_checks, node_checks, world_size
from aimc.resolve.arg_merge import ArgProblem, ArgSource, MergedArg, MergedArgs, merge_args
from aimc.resolve.flag_migration import migrated
from aimc.resolve.flag_names import SGLANG_TO_VLLM
from aimc.resolve.startup_checks import check as startup_check

PORTS = {"vllm": 8000, "sglang": 30000}
LAUNCH_COMMANDS = {
    "vllm": ("python3", "-m", "vllm.entrypoints.openai.api_server"),
    "sglang": ("python3", "-m", "sglang.launch_server"),
}
# vLLM 0.34 deprecates the module entry point ("The `python -m vllm.entrypoints.openai.api_server` command is
# deprecated and may be removed in a future release. Please use `vllm serve` instead.", vllm/entrypoints/openai/
# api_server.py:50 of 0.34.0; 0.27.1 has no such warning). `vllm serve` takes the same options, --model included
# (the positional model tag only overrides it when given, vllm/entrypoints/cli/serve.py:56).
VLLM_SERVE = ("vllm", "serve")
VLLM_SERVE_SINCE = "0.34.0"
_VLLM_SERVE_KEY = version_key(VLLM_SERVE_SINCE)  # parsed once, not for every engine of every endpoint
MODEL_FLAG = {"vllm": "--model", "sglang": "--model-path"}
TP_FLAG = {"vllm": "--tensor-parallel-size", "sglang": "--tp-size"}



def launch_command(engine: str, version: str) -> tuple[str, ...]:
    """The command that starts the server of `engine` at the shipped flag-set `version`: the entry point that
    release supports."""
    if engine != "vllm":
        return LAUNCH_COMMANDS[engine]
    serves = _serving_releases().get(version)  # a shipped release: its answer read once, not parsed per engine
    if serves is None:
        serves = version_key(version) >= _VLLM_SERVE_KEY
    return VLLM_SERVE if serves else LAUNCH_COMMANDS[engine]


@cache
def _serving_releases() -> Mapping[str, bool]:
    """Shipped vLLM flag-set version -> whether that release starts with `vllm serve` (built-in catalog only)."""
    return MappingProxyType({version: version_key(version) >= _VLLM_SERVE_KEY
                             for version in runtime().engine("vllm").flag_set_versions})


# (source, key) -> (file, line, field) of where a flag's value was written, for diagnostics.
Where = Callable[[ArgSource, str], tuple[str, int, str]]


class EngineCommand(Record):
    args: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]  # what the merge replaced, removed, overrode (shown by `explain`)
    dropped: tuple[str, ...] = ()  # recipe flags the engine version removed and ignores, left out (with why)
    checked: tuple[tuple[str, object], ...] = ()  # the merged flags that passed the checks, flag -> value
    merged: tuple[MergedArg, ...] = ()  # the merged arguments with where each was written

    def source_of(self, flag: str) -> tuple[ArgSource, str]:
        """(source, key) of where `flag` was written, for a problem found after the command was built."""
        return next(((arg.source, arg.key) for arg in self.merged if arg.flag == flag), (ArgSource.RECIPE, flag))


def build_command(engine: str, recipe_args, gpu_count: int, huggingface_id: str, served_name: str,
                  overrides: YamlPairs, custom_args: YamlPairs, where: Where,
                  engine_custom_args: YamlPairs = (), version: str | None = None,
                  pod_gpus: int | None = None, adapter_args: tuple = (), nodes: int = 1,
                  role_args: tuple = ()) -> EngineCommand:
    """The final argument list of one engine: merge (see `arg_merge.merge_args`), then check against the flag set
    of `version` (default: the pinned one). `pod_gpus`: the GPUs of a pod that runs alone (None: a group member);
    `nodes`: how many nodes one replica spans; `role_args`: the flags of a disaggregated role."""
    merged = merge_args(engine, recipe_args, gpu_count, overrides, custom_args, engine_custom_args, version,
                        adapter_args, role_args)
    return command_line(merged, gpu_count, huggingface_id, served_name, where, version, pod_gpus, nodes)


def command_line(merged: MergedArgs, gpu_count: int, huggingface_id: str, served_name: str,
                 where: Where, version: str | None = None, pod_gpus: int | None = None,
                 nodes: int = 1) -> EngineCommand:
    """aimc's own flags first, then the merged arguments that pass the flag-set and start-up checks."""
    engine = merged.engine
    checked = _checked(merged, gpu_count, flag_set(engine, version).version, pod_gpus, nodes)
    final = [MODEL_FLAG[engine], huggingface_id, "--served-model-name", served_name]
    if engine == "sglang":
        final += ["--host", "0.0.0.0"]
    final += ["--port", str(PORTS[engine]), TP_FLAG[engine], str(gpu_count)]
    diagnostics = tuple(Diagnostic(*where(p.source, p.key), p.message, p.severity) for p in checked.problems)
    return EngineCommand((*final, *checked.tail), diagnostics, merged.notes, checked.dropped, checked.checked,
                         merged.args)


class _Checked(Record):
    """The checked part of a command line: the flags after aimc's own, every problem of the merge and of the checks
    (in that order), the recipe flags left out, and the flags that passed, flag -> value."""

    tail: tuple[str, ...]
    problems: tuple[ArgProblem, ...]
    dropped: tuple[str, ...]
    checked: tuple[tuple[str, object], ...]


# Memoised for the compile on the merge itself (the merge's memo hands out one record per distinct merge, so its
# identity names its flags and values with their types) and the sizes the checks read: every endpoint of a
# configuration with the same overrides and customArgs gets the same checks. Measured at 10,000 endpoints
# (bench/generate.py): 11,319 command lines of 3,807 merges, 60 ms with the memo against 132 ms without (the flag-set,
# start-up, LoRA, world-size and node checks; `check_arg`'s own memo on in both).
@per_compile_records(limit=8192)
def _checked(merged: MergedArgs, gpu_count: int, version: str, pod_gpus: int | None, nodes: int) -> _Checked:
    engine = merged.engine
    problems = list(merged.problems)
    flags = flag_set(engine, version)
    dropped: list[str] = []
    checked_args = _check_args(flags, merged.args, problems, dropped)
    startup_problems = startup_check(engine, flags.version, checked_args, gpu_count)
    startup_problems += lora_checks.flag_problems(engine, flags.version, checked_args)
    if pod_gpus is not None:  # a pod of its own: TP × PP must be its GPUs (a group's sizes are planned)
        startup_problems[:0] = world_size.problems(engine, flags.version, checked_args, gpu_count, pod_gpus)
    startup_problems += node_checks.problems(engine, flags.version, checked_args, nodes)
    if startup_problems:  # where each flag was written, only when a problem needs it
        sources = {arg.flag: (arg.source, arg.key) for arg in merged.args}
        for problem in startup_problems:
            source, key = sources.get(problem.flag, (ArgSource.RECIPE, problem.flag))
            problems.append(ArgProblem(source, key, problem.message, problem.severity))
    tail: list[str] = []
    for flag, value in checked_args.items():
        tail.append(flag)
        if isinstance(value, tuple):
            tail.extend(value)
        elif value is not None:
            tail.append(value)
    return _Checked(tuple(tail), tuple(problems), tuple(dropped), tuple(checked_args.items()))


def _check_args(flags: FlagSet, args: tuple[MergedArg, ...], problems: list[ArgProblem], dropped: list[str]) -> dict:
    """Every merged flag against the flag set: unknown flags, values outside choices, wrong types, booleans. A flag
    of a recipe that this version removed and ignores is left out with a warning (`dropped`); typed in customArgs it
    stays an error."""
    out: dict = {}
    table = compile_table(check_arg)  # once for the command line, not once a flag
    for arg in args:
        problem, drop, flag, value = check_arg(flags, arg, table)
        if drop is not None:
            dropped.append(drop)
        if problem is not None:
            problems.append(problem)
        if flag is not None:
            out[flag] = value
    return out


# The outcome of checking one merged argument: its problem, its `dropped` note, and the flag and value it puts on
# the command line (flag None: nothing).
ArgOutcome = tuple[ArgProblem | None, str | None, str | None, object]


def check_arg(flags: FlagSet, arg: MergedArg, table: dict | None = None) -> ArgOutcome:
    """One merged argument against the flag set (see `_check_args`). A recipe's flag that this version renamed, or
    spells differently, is written in this version's spelling with a warning naming the release (flag_migration)."""
    # Memoised for the compile: the endpoints of a configuration check the same recipe flags and values. Measured at
    # 1,000 endpoints (bench/generate.py): 7,286 checks, 148 distinct; the memo saves ~25 ms. The key is built here
    # rather than by `per_compile` (marshal of every argument, ~11 ms of those checks): a flag set is named by its
    # engine and version, the flag is text, and a written key or value is paired with its type, a value other than
    # text, a boolean or None by its `typed_key`, so `true`, `1` and `"1"` never share an entry.
    if table is None:
        table = compile_table(check_arg)
    value, key = arg.value, arg.key
    memo_key = (flags.engine, flags.version, arg.flag, arg.source,
                value.__class__, value if value.__class__ in _PLAIN_KEYS else typed_key(value),
                key.__class__, key if key.__class__ is str else typed_key(key))
    found = table.get(memo_key)
    if found is None:
        found = _outcome(flags.engine, flags.version, arg.flag, value, arg.source.value, key)
        if len(table) >= 8192:
            table.clear()
        table[memo_key] = found
    return found


_PLAIN_KEYS = (str, bool, type(None))  # values a memo key may hold as they are (with their type beside them)


def _outcome(engine_name: str, version: str, flag: str, value, source_name: str, key: str) -> ArgOutcome:
    flags, engine, source = flag_set(engine_name, version), runtime().engine(engine_name), ArgSource(source_name)
    found = flags.lookup(flag)
    migration = migrated(flags, engine, flag, value, source is ArgSource.RECIPE, found)
    if migration is not None:
        new_flag, new_value, note = migration
        if new_flag is None:
            return ArgProblem(source, key, note), None, None, None
        problem, drop, out_flag, out_value = _outcome(engine_name, version, new_flag, new_value, source_name, key)
        warning = ArgProblem(source, key, note, "warning")
        return (problem if problem is not None and problem.severity == "error" else warning), drop, out_flag, \
            out_value
    no_op = engine.no_op(flag, flags.version) if found is None else None
    if no_op is not None and source is ArgSource.RECIPE:
        written = " ".join(v for v in value if v is not None) if isinstance(value, tuple) else value
        shown = flag if value is None else f"{flag} {written}"
        return (ArgProblem(source, key, (
            f"{flag} was removed in {engine.name} {no_op.removed_in} and does nothing in {flags.label} "
            f"({no_op.why}): left out of the command line"), "warning"),
            f"{shown} (removed in {engine.name} {no_op.removed_in}: {no_op.why})", None, None)
    if found is None:
        message = unknown_flag_problem(flags, flag)
        if no_op is not None:
            message = (f"{message}; {engine.name} {no_op.removed_in} removed it ({no_op.why}): remove it, or "
                       f"supply an image of an older {engine.name} with its engineVersion")
        renamed = engine.renamed_at(flag, flags.version)
        if renamed is not None:
            message = f"{message}; {engine.name} {renamed.since} renamed it {renamed.to}: write {renamed.to}"
        if flags.engine == "vllm" and flag in SGLANG_TO_VLLM:
            message = f"{message}: it is SGLang's name; vLLM calls it {SGLANG_TO_VLLM[flag]}"
        return ArgProblem(source, key, message), None, None, None
    spec, negated = found
    checked = check_value(flags, spec, negated, flag, value)
    problem = ArgProblem(source, key, checked.problem, checked.severity) if checked.problem else None
    if checked.remove:
        return problem, None, (spec.negation if spec.negation and not negated else None), None
    return problem, None, flag, checked.value
