"""The routers in front of a disaggregated endpoint's roles (`routers.yaml`), and the check of a router's argument
list against the flag set of its release (`routers/<name>.json`, extracted by tools/extract_flag_set.py from the
release's own parser, the same format as the engines' flag sets)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from aimc.catalog.files import read_json, read_yaml
from aimc.catalog.flag_sets import FlagSet, check_value, flag_set_of, unknown_flag_problem
from aimc.model.disaggregation import RouterResources
from aimc.records import Record


class RouterFacts(Record):
    engine: str  # the engine whose roles it fronts
    image: str | None  # None: it runs in the roles' own image (the SGLang router)
    version: str
    command: tuple[str, ...]
    flag_set: str  # the stem of its flag-set file under routers/
    source: str
    resources: RouterResources  # its container's default requests and limits, with their source


@cache
def routers() -> Mapping[str, RouterFacts]:
    """engine -> its router, read once per process (catalog data: the same for every compile)."""
    out = {engine: RouterFacts(engine, raw.get("image"), str(raw["version"]), tuple(raw["command"]), raw["flagSet"],
                               raw["source"], _resources(raw["resources"]))
           for engine, raw in read_yaml("routers.yaml").items()}
    return MappingProxyType(out)


def _resources(raw: dict) -> RouterResources:
    return RouterResources(tuple((k, str(v)) for k, v in sorted(raw.get("requests", {}).items())),
                           tuple((k, str(v)) for k, v in sorted(raw.get("limits", {}).items())), raw["source"])


def router(engine: str) -> RouterFacts | None:
    return routers().get(engine)


@cache
def _flag_sets() -> Mapping[str, FlagSet]:
    return MappingProxyType({engine: flag_set_of(f"{engine}-router", read_json(f"routers/{facts.flag_set}.json"))
                             for engine, facts in routers().items()})


def router_flags(engine: str) -> FlagSet:
    return _flag_sets()[engine]


def problems(flags: FlagSet, args: tuple[str, ...]) -> list[str]:
    """Why the router's parser would refuse `args` (flags, each followed by its values up to the next flag): an
    unknown flag, a value outside the flag's choices or type, a bare flag given a value. Empty when it parses."""
    out: list[str] = []
    position = 0
    while position < len(args):
        flag = args[position]
        end = position + 1
        while end < len(args) and not args[end].startswith("--"):
            end += 1
        values = args[position + 1:end]
        position = end
        if not flag.startswith("--"):
            out.append(f"{flag!r} is not a flag (the router takes no positional arguments)")
            continue
        found = flags.lookup(flag)
        if found is None:
            out.append(unknown_flag_problem(flags, flag))
            continue
        spec, negated = found
        value = None if not values else values[0] if len(values) == 1 else values
        if spec.is_boolean and values:
            out.append(f"{flag} takes no value ({' '.join(values)} given)")
            continue
        checked = check_value(flags, spec, negated, flag, value)
        if checked.problem and checked.severity == "error":
            out.append(checked.problem)
    return out
