"""The benchmark clients' flag sets (`aimc/catalog/bench/<engine>-<version>.json`, written by
`tools/extract_bench_flags.py` from the release's own argparse code) and a parser rebuilt from them.

The rebuilt parser checks that a command aimc renders is one the client accepts: every flag exists (exactly: no
abbreviations), takes the values it is given, and values of a typed flag have that type or are one of its choices.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from aimc.catalog.flag_set_files import document, stored_names
from aimc.catalog.flag_sets import PINNED
from aimc.memo import catalog_cache
from aimc.records import frozen

_TYPES = {"int": int, "float": float, "str": str, "json": json.loads}


@cache
def shipped() -> frozenset[tuple[str, str]]:
    """(engine, version) of every benchmark client flag set shipped in `aimc/catalog/bench/`."""
    return frozenset((engine, version) for folder, engine, version in stored_names() if folder == "bench")


@catalog_cache(shipped)
def _read(engine: str, version: str) -> Mapping[str, Any]:
    return frozen(document("bench", engine, version))


def load(engine: str, version: str | None = None) -> Mapping[str, Any]:
    """The flag set of the benchmark client of `engine` `version` (default: the release of its pinned image) (catalog
    data, read once per process); read-only, as every caller shares it."""
    return _read(engine, version or PINNED[engine])


class _Refused(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print and exit
        raise _Refused(message)


def parser(engine: str, version: str | None = None) -> argparse.ArgumentParser:
    flag_set = load(engine, version)
    out = _Parser(prog=flag_set["tool"], allow_abbrev=False, add_help=False)
    required = set(flag_set.get("required", ()))
    for flag in flag_set["flags"]:
        names = [flag["name"], *flag.get("aliases", ())]
        options: dict = {"required": flag["name"] in required}
        if not flag.get("takes_value"):
            options["action"] = "store_true"
        else:
            if flag.get("nargs"):
                options["nargs"] = flag["nargs"]
            if flag["type"] == "choice":
                value_type = {"int": int, "float": float}.get(flag.get("value_type"), str)
                options.update(type=value_type, choices=[value_type(c) for c in flag["choices"]])
            else:
                options["type"] = _TYPES.get(flag["type"], str)
        out.add_argument(*names, **options)
    return out


def problems(engine: str, argv: list[str], version: str | None = None) -> list[str]:
    """Why the client of `engine` `version` (default: the pinned image's) would refuse `argv` (its arguments after
    the command), or nothing."""
    try:
        parser(engine, version).parse_args(argv)
    except _Refused as exc:
        return [str(exc)]
    return []
