"""The records of the precedence merge (`arg_merge`): where a value was written, the merged arguments, their problems,
and the frozen state a merge starts from."""

from __future__ import annotations

from enum import Enum

from aimc.model.inputs import ArgValue
from aimc.records import Record

__all__ = ["ArgProblem", "ArgSource", "MergedArg", "MergedArgs", "RecipeStage"]


class ArgSource(Enum):
    """Where a flag's value was written: it decides which file and line a problem points at."""

    RECIPE = "recipe"  # key: the flag as the recipe writes it
    OVERRIDE = "override"  # key: the aimFrameworkOverrides name
    CUSTOM_ARGS = "customArgs"  # key: the flag as written in customArgs
    ADAPTERS = "adapters"  # key: the flag, written by aimc from spec.adapters (resolve/lora_flags.py)
    DISAGGREGATION = "disaggregation"  # key: the flag, written by aimc for a role (resolve/disaggregation_args.py)


class MergedArg(Record):
    flag: str
    value: ArgValue
    source: ArgSource
    key: str


class ArgProblem(Record):
    source: ArgSource
    key: str
    message: str
    severity: str = "error"


class MergedArgs(Record):
    """The merged arguments in command-line order (before the flag-set checks), what the merge found wrong, and
    notes for `explain` (what was replaced, removed, overridden)."""

    engine: str
    args: tuple[MergedArg, ...]
    problems: tuple[ArgProblem, ...]
    notes: tuple[str, ...]


class RecipeStage(Record):
    """A merge after aimc's defaults and a configuration's own flags (the `_Merge` fields of those names, frozen):
    where every merge of that configuration starts, whatever the endpoint's overrides and customArgs."""

    args: tuple[tuple[str, ArgValue], ...]
    holders: tuple[tuple[str, str], ...]
    sources: tuple[tuple[str, tuple[ArgSource, str]], ...]
    recipe_order: tuple[tuple[str, int], ...]
    problems: tuple[ArgProblem, ...]
    notes: tuple[str, ...]
    families: tuple[tuple[str, str], ...]
