"""The precedence merge of one engine's arguments: recipe args < aimFrameworkOverrides < customArgs.

The one place that decides which value a flag ends up with, and in which order the flags appear (both documented in
the README, "Argument precedence"). The order is canonical, so that it never depends on the key order of a mapping
(Kustomize, for one, sorts the keys of every mapping it passes through; a changed order would restart every pod):
aimc's default flags and the recipe's flags in the recipe's order (a flag keeps its place when an override or
customArgs changes its value or turns it into its `--no-` twin), then the flags only overrides and customArgs add,
sorted by name (`--no-x` sorts as `--x`). Overrides and customArgs are also read in sorted key order, so the notes
and problems come out the same whatever the order they were written in; two customArgs keys that name the same flag
(`max_model_len` and `--max-model-len`, or `--x` and `--no-x`) are an error, since no order may pick the winner.
`engine_args` turns the result
into the command line and checks every flag; the memory fit (`fit`) reads the utilisation, maximum length and KV-cache
type from the same result, so both see one command line. Arguments are held as flag -> value, where a value is a
string, `None` for a bare flag, or a tuple of strings for a flag that takes several values.
"""

from __future__ import annotations

import json

from aimc.catalog.flag_sets import FlagSet, flag_set
from aimc.memo import per_compile_records
from aimc.model.inputs import ArgValue, YamlPairs
from aimc.resolve.arg_records import ArgProblem, ArgSource, MergedArg, MergedArgs, RecipeStage
from aimc.resolve.flag_names import SGLANG_KV_DTYPE, engine_name

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
# With spec.adapters, the flags that list them are aimc's (resolve/lora_flags.py OWNED, both engines' names).
ADAPTER_OWNED = frozenset({"--enable-lora", "--lora-modules", "--lora-paths"})

# Flags aimc adds before the recipe's (which, like overrides and customArgs, may change or remove them): SGLang
# serves /metrics only with --enable-metrics, and autoscaling and monitoring read it.
DEFAULT_FLAGS = {"vllm": {}, "sglang": {"--enable-metrics": None}}

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


def merge_args(engine: str, recipe_args, gpu_count: int, overrides: YamlPairs = (),
               custom_args: YamlPairs = (), engine_custom_args: YamlPairs = (),
               version: str | None = None, adapter_args: tuple = (), role_args: tuple = ()) -> MergedArgs:
    """Merge a configuration's args (pairs or a mapping) with an endpoint's overrides and customArgs, then the
    customArgs of its `servingEngines` entry (which win over the endpoint's), with the flag names of the engine's
    flag-set `version` (default: the pinned one): how `false` is spelt differs (`--no-enable-x`, `--disable-x`).
    `adapter_args`: the flags of spec.adapters (resolve/lora_flags.py), after the recipe's; customArgs may change
    their sizes, not the flags that list the adapters. `role_args`: the flags of a disaggregated role
    (resolve/disaggregation_args.py), which customArgs may not change."""
    # The memo's key names the version itself and every argument by position: the fit (which asks for the pinned
    # version by default) and the command line (which names the image's) then share one merge per configuration.
    if recipe_args.__class__ is not tuple:  # a mapping or a list can change: keyed by identity, only a tuple
        recipe_args = tuple(recipe_args.items() if isinstance(recipe_args, dict) else recipe_args)
    return _merge_args(recipe_args, engine, gpu_count, overrides, custom_args, engine_custom_args,
                       flag_set(engine, version).version, adapter_args, role_args)


# Memoised for the compile: thousands of endpoints share a few configurations and usually the same overrides. Measured
# at 1,000 endpoints (bench/generate.py): 2,242 merges, 783 distinct; the memo saves ~105-200 ms. The recipe's
# arguments are keyed by identity (a configuration's `args`, one immutable tuple for every endpoint that uses it; a
# tuple built for one call simply misses): marshalling them for every call cost ~6 ms of its keys.
@per_compile_records(limit=8192)
def _merge_args(recipe_args, engine: str, gpu_count: int, overrides: YamlPairs, custom_args: YamlPairs,
                engine_custom_args: YamlPairs, version: str, adapter_args: tuple, role_args: tuple) -> MergedArgs:
    merge = _Merge(flag_set(engine, version), gpu_count, _recipe_stage(recipe_args, engine, gpu_count, version))
    for flag, value in adapter_args:
        merge.put(flag, value, ArgSource.ADAPTERS, flag)
        if flag in ADAPTER_OWNED:
            merge.adapter_owned.add(flag)
    for flag, value in role_args:
        merge.put(flag, value, ArgSource.DISAGGREGATION, flag)
        merge.role_owned.add(merge.family(flag))
    for name, raw in sorted_pairs(overrides):
        merge.override(name, raw)
    for layer in (custom_args, engine_custom_args):
        merge.custom_keys = {}  # a later layer may set again what an earlier one set: it wins
        for raw_flag, raw in sorted_pairs(layer):
            merge.custom_arg(raw_flag, raw)
    ordered = sorted(merge.args, key=merge.position)
    args = tuple(MergedArg(flag, merge.args[flag], *merge.sources[flag]) for flag in ordered)
    return MergedArgs(engine, args, tuple(merge.problems), tuple(merge.notes))


# Memoised for the compile: the endpoints of one configuration differ only in their overrides and customArgs. Measured
# at 1,000 endpoints (bench/generate.py): 783 merges start from 180 distinct recipe stages; the memo saves ~8 ms.
@per_compile_records(limit=1024)
def _recipe_stage(recipe_args, engine: str, gpu_count: int, version: str) -> RecipeStage:
    merge = _Merge(flag_set(engine, version), gpu_count)
    for flag, value in DEFAULT_FLAGS[engine].items():
        merge.put(flag, value, ArgSource.RECIPE, flag)  # aimc's own defaults, checked like the recipe's flags
    for raw_flag, value in (recipe_args.items() if isinstance(recipe_args, dict) else recipe_args):
        merge.recipe_arg(raw_flag, value)
    return RecipeStage(tuple(merge.args.items()), tuple(merge.holders.items()), tuple(merge.sources.items()),
                        tuple(merge.recipe_order.items()), tuple(merge.problems), tuple(merge.notes),
                        tuple(merge._families.items()))


def sorted_pairs(pairs) -> tuple:
    """A mapping's (key, value) pairs in key order: where its keys were written in another order means nothing."""
    if pairs == ():  # the usual endpoint: no overrides, no customArgs
        return ()
    return tuple(sorted(pairs, key=lambda pair: str(pair[0])))


def family(flag: str) -> str:
    """A flag and its `--no-` twin share one place on the command line (and one customArgs key)."""
    return "--" + flag[5:] if flag.startswith("--no-") else flag


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
    if isinstance(value, dict):  # a JSON flag (`--compilation-config: {mode: 3}`): the engine parses JSON text
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


class _Merge:
    """The precedence merge of one engine's arguments; remembers where each flag's value came from."""

    def __init__(self, flags: FlagSet, gpu_count: int, start: RecipeStage | None = None):
        """An empty merge, or one that goes on from a recipe stage (fresh copies of its tables)."""
        self.flags, self.gpu_count = flags, gpu_count
        self.owned = OWNED_FLAGS[flags.engine]
        self.args: dict[str, ArgValue] = dict(start.args) if start else {}
        self.holders: dict[str, str] = dict(start.holders) if start else {}  # family -> its one flag in `args`
        # flag -> where its value was written
        self.sources: dict[str, tuple[ArgSource, str]] = dict(start.sources) if start else {}
        # family -> its place among aimc's defaults and the recipe's flags
        self.recipe_order: dict[str, int] = dict(start.recipe_order) if start else {}
        self.custom_keys: dict[str, str] = {}  # family -> the key that set it, in the customArgs being read
        self.problems: list[ArgProblem] = list(start.problems) if start else []
        self.notes: list[str] = list(start.notes) if start else []
        self.adapter_owned: set[str] = set()  # flags spec.adapters wrote that customArgs may not change
        self.role_owned: set[str] = set()  # flags of a disaggregated role, which customArgs may not change
        # Each flag's family, looked up in the flag set once per merge (`put`, `remove` and `position` ask again).
        # Keyed on flag strings; lives as long as this merge.
        self._families: dict[str, str] = dict(start.families) if start else {}

    def report(self, source: ArgSource, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(ArgProblem(source, key, message, severity))

    def family(self, flag: str) -> str:
        """`family`, and a negation of this version's flag set (`--disable-x`) counts as the flag it negates."""
        known = self._families.get(flag)
        if known is None:
            found = self.flags.lookup(flag)
            known = self._families[flag] = found[0].name if found is not None and found[1] else family(flag)
        return known

    def put(self, flag: str, value: ArgValue, source: ArgSource, key: str) -> None:
        """Set a flag, removing its twin (a later `--x` cancels an earlier `--no-x` or `--disable-x`)."""
        mine = self.family(flag)
        held = self.holders.get(mine)
        if held is not None:
            self.args.pop(held)  # re-inserting keeps the newest setting last, as on a command line
        self.args[flag] = value
        self.holders[mine] = flag
        self.sources[flag] = (source, key)
        if source is ArgSource.RECIPE:
            self.recipe_order.setdefault(mine, len(self.recipe_order))

    def position(self, flag: str) -> tuple:
        """The canonical order: the recipe's flags where the recipe put them, then the others by name."""
        place = self.recipe_order.get(self.family(flag))
        return (0, place, "") if place is not None else (1, 0, self.family(flag))

    def remove(self, *flags) -> list[str]:
        removed = [f for f in flags if f and f in self.args]
        for flag in removed:
            self.args.pop(flag)
            self.holders.pop(self.family(flag))
            self.sources.pop(flag, None)
        return removed

    def named(self, source: ArgSource, raw_flag, value):
        return engine_name(self.flags, raw_flag, value,
                            lambda message: self.report(source, raw_flag, message, "warning"))

    def recipe_arg(self, raw_flag, value):
        named = self.named(ArgSource.RECIPE, raw_flag, value)
        if named is None:
            return
        flag, value = named
        if flag in TP_FLAGS:
            if value not in (None, False) and str(value) != str(self.gpu_count):
                self.report(ArgSource.RECIPE, raw_flag, f"tensor-parallel size {value} differs from the "
                                                f"configuration's GPU count {self.gpu_count}; they must be equal")
        elif flag in self.owned:
            if flag in ("--port", "--host"):
                self.notes.append(f"recipe's {flag} {value} replaced: aimc sets the port and host")
        elif value is False:  # 'false': off; for a vLLM flag with a --no- form that is said explicitly
            negation = _negation(self.flags, flag)
            if negation:
                self.put(negation, None, ArgSource.RECIPE, raw_flag)
        else:
            self.put(flag, value, ArgSource.RECIPE, raw_flag)

    def override(self, name, raw):
        engine = self.flags.engine
        flag = OVERRIDE_FLAGS[name][engine]
        if isinstance(raw, bool):
            on = raw != ((name, engine) in INVERTED_OVERRIDES)
            if on:
                self.put(flag, None, ArgSource.OVERRIDE, name)
            else:
                self.remove(flag)
                negation = _negation(self.flags, flag)
                if negation:
                    self.put(negation, None, ArgSource.OVERRIDE, name)
            self.notes.append(f"aimFrameworkOverrides.{name}: {str(raw).lower()} -> {flag if on else 'off'}")
            return
        value = value_text(raw)
        if engine == "sglang" and name == "kvCacheDtype":
            value = SGLANG_KV_DTYPE.get(value, value)
        self.put(flag, value, ArgSource.OVERRIDE, name)
        self.notes.append(f"aimFrameworkOverrides.{name}: {flag} {value}")

    def custom_arg(self, raw_flag, raw):
        """null: back to the engine's default; false: off (`--no-x` where vLLM has it); true: bare; else the value."""
        off = raw is False or (isinstance(raw, str) and raw.lower() == "false")
        wanted = None if raw is None else (False if off else value_text(raw))
        named = self.named(ArgSource.CUSTOM_ARGS, raw_flag, wanted)
        if named is None:
            return
        flag, value = named
        off = value is False  # a translation may have turned `false` into a flag of its own
        earlier = self.custom_keys.setdefault(self.family(flag), str(raw_flag))
        if earlier != str(raw_flag):
            self.report(ArgSource.CUSTOM_ARGS, raw_flag, f"customArgs names {self.family(flag)} twice, as {earlier} "
                        f"and {raw_flag}: keep one (which would win must not depend on the order keys are written in)")
            return
        if self.family(flag) in self.adapter_owned:
            self.report(ArgSource.CUSTOM_ARGS, raw_flag, f"{flag} cannot be set in customArgs of an endpoint with "
                        "spec.adapters: aimc writes it from spec.adapters; change the adapters there")
            return
        if self.family(flag) in self.role_owned:
            self.report(ArgSource.CUSTOM_ARGS, raw_flag, f"{flag} cannot be set in customArgs of a disaggregated "
                        "endpoint: aimc writes it for each role from spec.disaggregation; change it there")
            return
        if flag in self.owned:
            instead = self.owned[flag]
            hint = f"set {instead} instead" if instead else "aimc sets it (port 8000 for vLLM, 30000 for SGLang)"
            self.report(ArgSource.CUSTOM_ARGS, raw_flag, f"{flag} cannot be set in customArgs: {hint}")
            return
        negation = _negation(self.flags, flag)
        if raw is None or (off and not negation):
            removed = self.remove(flag, negation)
            if removed:
                self.notes.append(f"customArgs: {' and '.join(removed)} removed")
        elif off and negation:  # (off without a negation was removed above)
            self.put(negation, None, ArgSource.CUSTOM_ARGS, raw_flag)
            self.notes.append(f"customArgs: {flag} false -> {negation}")
        else:
            self.put(flag, value, ArgSource.CUSTOM_ARGS, raw_flag)
            self.notes.append(f"customArgs: {flag} {'' if value is None else _shown(value)}".rstrip())


def _shown(value) -> str:
    return " ".join(value) if isinstance(value, tuple) else str(value)


def _negation(flags: FlagSet, flag: str) -> str | None:
    found = flags.lookup(flag)
    return found[0].negation if found and not found[1] else None
