"""The pinned engines' flag sets, and the checks of one flag and its value against them.

The flag sets (`aimc/catalog/engines/*.json`) were read from each engine's own argument parser by
`tools/extract_flag_set.py` and are stored as one full release plus per-release edits (`flag_set_files`). They are
loaded on first use of an engine version, once per process; every check after that is a dictionary lookup. Both
engines accept unambiguous prefixes of long flags at run time (argparse's allow_abbrev), so a flag that is not in
the set exactly is never passed through: it may silently mean another flag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from aimc.catalog import runtime as rt
from aimc.catalog.files import catalog_names
from aimc.catalog.flag_set_files import document, earlier_flags
from aimc.memo import catalog_cache
from aimc.records import Record, frozen

# The engine versions of the default images (runtime.yaml `defaults`): the flag set used when no image is known
# (e.g. `aimc recipes validate` of an engine on an architecture without a default image). Other shipped versions
# are chosen by the image actually rendered (resolve/images.py).
PINNED = {"vllm": "0.27.1", "sglang": "0.5.16"}

# vLLM's human_readable_int: `32k` (×1000), `1M` (×2^20), `1.5k`; decimals only with a lowercase (decimal) suffix.
_HUMAN_INT = re.compile(r"^(\d+(\.\d+)?[kmgt]|\d+[KMGT])$")
_TRUE_FALSE = {"true": True, "false": False}
# vLLM parser names whose validity depends on other flags (a plugin flag may register more names, the tool-call parser
# is checked only with --enable-auto-tool-choice): resolve/startup_checks.py decides them with the whole command line.
CHECKED_WITH_OTHER_FLAGS = frozenset({"--reasoning-parser", "--tool-call-parser"})


class FlagSpec(Record):
    """One flag as the engine's parser defines it."""

    name: str
    kind: str  # str, int, float, choice, json, json-or-str, bool-flag, bool-optional, bool-value
    takes_value: bool | str = False  # True, False, or "optional" (nargs ? / *)
    value_type: str | None = None  # the type of a choice's values
    choices: tuple = ()
    nargs: str | None = None
    negation: str | None = None  # vLLM BooleanOptionalAction: the `--no-` form (`--disable-` from vLLM 0.2x)
    negation_aliases: tuple = ()  # other spellings of the negation the parser still takes (`--no-enable-x`)
    deprecated: bool = False
    human_readable_int: bool = False
    none_literal: bool = False  # the text `None` is accepted
    dotted_keys: bool = False  # vLLM JSON flags: `--flag.key value`
    post_parse_values: tuple = ()  # values the engine checks after parsing (not argparse choices)
    post_parse_open: bool = False  # plugins or class names may extend post_parse_values

    @property
    def is_boolean(self) -> bool:
        return self.takes_value is False


class FlagSet(Record):
    engine: str
    version: str
    source: str
    underscores: bool  # the parser turns `_` into `-` in long flag names (vLLM)
    options: Mapping[str, tuple[FlagSpec, bool]]  # every option string (name, alias, negation) -> (spec, negated)
    long_names: tuple[str, ...]  # real long flags, for suggestions
    removed: Mapping[str, str]  # flags the previous release had -> what happened to them

    @property
    def memo_name(self) -> tuple[str, str]:
        """What a per-compile memo keys a flag set on (aimc/memo.py): it is the shipped file of that name."""
        return self.engine, self.version

    @property
    def label(self) -> str:
        return f"{self.engine} {self.version}"

    def lookup(self, flag: str):
        """(spec, negated) for a flag as written, or None. `--x.key` finds `--x` when it takes dotted keys."""
        found = self.options.get(flag)
        if found is None and "." in flag:
            base = self.options.get(flag.partition(".")[0])
            if base is not None and base[0].dotted_keys:
                return base
        return found

    def canonical(self, flag: str) -> str:
        """The flag's own name for an alias (`-q` -> `--quantization`); other flags unchanged."""
        found = self.options.get(flag)
        if found is None:
            return flag
        spec, negated = found
        if negated and flag in spec.negation_aliases:
            return flag  # a spelling the release only keeps hidden: the flag checks rewrite it, with a warning
        return spec.negation if negated and spec.negation else spec.name  # only a negation is found negated


def _spec(raw: dict) -> FlagSpec:
    return FlagSpec(
        name=raw["name"],
        kind=raw["type"],
        takes_value=raw.get("takes_value", False),
        value_type=raw.get("value_type"),
        choices=tuple(str(c) for c in raw.get("choices") or ()),
        nargs=raw.get("nargs"),
        negation=raw.get("negation"),
        negation_aliases=tuple(raw.get("negation_aliases") or ()),
        deprecated=bool(raw.get("deprecated")),
        human_readable_int=bool(raw.get("human_readable_int")),
        none_literal=bool(raw.get("none_literal_accepted")),
        dotted_keys=bool(raw.get("dotted_keys")),
        post_parse_values=tuple(raw.get("validated_values") or ()),
        post_parse_open=bool(raw.get("validated_open")),
    )


def flag_set(engine: str, version: str | None = None) -> FlagSet:
    """The flag set of one engine version (default: the pinned one). Only versions listed under `flagSets` in
    runtime.yaml ship; `runtime.nearest_version` maps any other version to one of them."""
    return read_flag_set(engine, version or PINNED[engine])


@cache
def shipped() -> frozenset[tuple[str, str]]:
    """(engine, version) of every shipped flag set: `engines/<engine>-<version>.json`."""
    stems = (name.removesuffix(".json").partition("-") for name in catalog_names("engines") if name.endswith(".json"))
    return frozenset((engine, version) for engine, _, version in stems)


@catalog_cache(shipped)
def read_flag_set(engine: str, version: str) -> FlagSet:
    """One shipped flag set, read once per process on first use (catalog data: the same for every compile)."""
    return flag_set_of(engine, document("engines", engine, version))


def flag_set_of(engine: str, data: dict) -> FlagSet:
    """The FlagSet of one document as tools/extract_flag_set.py writes it (read-only: shared by every caller)."""
    options: dict = {}
    long_names = []
    for raw in data["flags"]:
        spec = _spec(raw)
        for option in (spec.name, *raw.get("aliases", ())):
            options[option] = (spec, False)
            if option.startswith("--"):
                long_names.append(option)
        if spec.negation:
            options[spec.negation] = (spec, True)
            long_names.append(spec.negation)
        for option in spec.negation_aliases:  # accepted, but no longer how the engine spells it: not suggested
            options[option] = (spec, True)
    return FlagSet(engine, data["version"], data["source"], data["underscore_normalization"],
                   MappingProxyType(options), tuple(sorted(long_names)), frozen(data.get("removed", {})))


def removal_note(flags: FlagSet, flag: str) -> str | None:
    """Which release last had a flag this one lacks: the file's own `removed` (against the release it was
    extracted after), else the newest older shipped release that had it."""
    if flag in flags.removed or (flags.engine, flags.version) not in shipped():  # a router's: no earlier release
        return flags.removed.get(flag)
    last = earlier_flags(flags.engine, flags.version).get(flag)  # parses every older release: errors only
    if last is None:
        return None
    return f"present in {rt.runtime().engine(flags.engine).name} {last}, absent in {flags.version}"


def unknown_flag_problem(flags: FlagSet, flag: str) -> str:
    """Why `flag` is refused, with the full name when it abbreviates one and a suggestion otherwise."""
    removed = removal_note(flags, flag) if flag not in flags.options else None
    if removed:
        return f"{flag} is not a {flags.label} flag: {removed}"
    expansions = [name for name in flags.long_names if flag.startswith("--") and name.startswith(flag)]
    if len(expansions) == 1:
        return (f"{flag} is not a {flags.label} flag: the engine would take it as an abbreviation of "
                f"{expansions[0]}; write the full name {expansions[0]}")
    positive = flags.options.get("--" + flag[5:]) if flag.startswith("--no-") else None
    if positive and positive[0].is_boolean and not positive[0].negation:
        return (f"{flag} is not a {flags.label} flag: {positive[0].name} has no --no- form there; set "
                f"{positive[0].name} to false (or leave it out) instead")
    if expansions:
        shown = ", ".join(expansions[:5]) + (", ..." if len(expansions) > 5 else "")
        return f"{flag} is not a {flags.label} flag: it abbreviates several ({shown}); write the full name"
    from aimc.errors import did_you_mean

    return f"{flag} is not a {flags.label} flag{did_you_mean(flag, flags.long_names)}"


class Checked(Record):
    """The outcome of checking one flag's value: the value to emit (or `remove`), and a problem if any."""

    value: object = None
    remove: bool = False
    problem: str | None = None
    severity: str = "error"


def check_value(flags: FlagSet, spec: FlagSpec, negated: bool, flag: str, value) -> Checked:
    """Check a value (str, None for a bare flag, or a tuple for several) against the flag's parser definition."""
    if spec.is_boolean or negated:
        return _check_boolean(flags, spec, flag, value)
    if value is None:
        if spec.takes_value == "optional":
            return Checked(None)
        return Checked(None, problem=f"{flag} needs a value{_valid_values_hint(spec)}")
    values = value if isinstance(value, tuple) else (value,)
    if len(values) > 1 and spec.nargs not in ("+", "*"):
        return Checked(value, problem=f"{flag} takes one value, not a list of {len(values)}")
    for item in values:
        problem = _check_one(flags, spec, flag, item)
        if problem:
            return Checked(value, problem=problem[0], severity=problem[1])
    if spec.deprecated:
        return Checked(value, problem=f"{flag} is deprecated in {flags.label}", severity="warning")
    return Checked(value)


def _check_boolean(flags: FlagSet, spec: FlagSpec, flag: str, value) -> Checked:
    if value is None:
        if spec.deprecated:
            return Checked(None, problem=f"{flag} is deprecated in {flags.label}", severity="warning")
        return Checked(None)
    meaning = _TRUE_FALSE.get(str(value).lower()) if not isinstance(value, tuple) else None
    if meaning is True:
        return Checked(None)  # `--x: "true"` is the bare flag: booleans take no value in either engine
    if meaning is False:
        return Checked(None, remove=True)
    off = f"false for {spec.negation}" if spec.negation else "false to leave it out"
    return Checked(value, problem=f"{flag} is a boolean flag and takes no value ({value!r} given): "
                                  f"write true for the bare flag or {off}")


def _check_one(flags: FlagSet, spec: FlagSpec, flag: str, item) -> tuple[str, str] | None:
    """(problem, severity) for one value, or None."""
    text = str(item)
    if spec.none_literal and text == "None":
        return None
    if spec.choices:
        if text not in spec.choices:
            return ((f"{text!r} is not a valid {flag} for {flags.label}: use one of {', '.join(spec.choices)}"
                     f"{_choice_hint(flag, text, spec.choices)}"), "error")
        return None
    kind = spec.kind
    if kind == "int" and not _is_int(text, spec.human_readable_int):
        suffix = " (or with a suffix such as 32k)" if spec.human_readable_int else ""
        return f"{flag} takes a whole number{suffix}, not {text!r}", "error"
    if kind == "float" and not _is_float(text):
        return f"{flag} takes a number, not {text!r}", "error"
    if kind == "json" and "." not in flag and not _is_json(text):
        return f"{flag} takes a JSON value, not {text!r}", "error"
    if spec.post_parse_values and text not in spec.post_parse_values:
        if spec.name in CHECKED_WITH_OTHER_FLAGS:
            return None
        valid = ", ".join(spec.post_parse_values)
        if spec.post_parse_open:
            return ((f"{text!r} is not a built-in {flag} of {flags.label} ({valid}); "
                     "it works only if a plugin registers it"), "warning")
        return f"{text!r} is not a valid {flag} for {flags.label} on ROCm: use one of {valid}", "error"
    return None


def _valid_values_hint(spec: FlagSpec) -> str:
    values = spec.choices or spec.post_parse_values
    if values:
        return f" (one of {', '.join(values)})"
    if spec.kind in ("int", "float"):
        return f" (a {'whole ' if spec.kind == 'int' else ''}number)"
    return ""


def _choice_hint(flag: str, text: str, choices) -> str:
    if flag == "--dtype" and ("float8" in text or "fp8" in text):
        return ("; FP8 weights come from a pre-quantized checkpoint or --quantization fp8, "
                "an FP8 KV cache from --kv-cache-dtype fp8")
    from aimc.errors import did_you_mean

    return did_you_mean(text, choices)


def _is_int(text: str, human_readable: bool) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return human_readable and bool(_HUMAN_INT.match(text.strip()))


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False
