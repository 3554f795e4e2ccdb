"""The shipped flag-set documents, stored compactly: one full document per engine and per-version edits.

A flag set (`engines/<engine>-<version>.json`, and the benchmark clients' `bench/<engine>-<version>.json`) is the
document `tools/extract_flag_set.py` (or `tools/extract_bench_flags.py`) writes: `engine`, `version`, `source`, the
parser's `flags` in parser order, and a few more keys. Consecutive releases share most flags, so only the newest
release of each engine is stored whole; every other one is stored as edits of the next newer release:

    {"engine": ..., "version": "0.27.1", "source": ..., <every other key of its document but "flags">,
     "base": "0.34.0",
     "edits": [[i, j, [flag, ...]], ...]}

Each edit replaces `flags[i:j]` of the base document's list by the given flags (whole flag objects: a flag whose
type, choices or aliases changed is replaced as a whole); edits are in ascending order of `i` and do not overlap.
`document` rebuilds a version's document exactly as the extractor wrote it (a test compares the two);
`stored_layout` turns a set of full documents back into the files to write (`tools/refresh_engine.py`).
"""

from __future__ import annotations

import json
import os
from functools import cache
from itertools import pairwise

from aimc.catalog.files import CATALOG_DIR, read_json
from aimc.catalog.runtime import version_key
from aimc.digest import sha256_hex
from aimc.memo import catalog_cache

_DELTA_KEYS = ("base", "edits")


@cache
def stored_names() -> frozenset[tuple[str, ...]]:
    """(folder, engine, version) of every stored flag-set file: the names `document` may be asked for."""
    out = set()
    for folder in ("engines", "bench"):
        for name in os.listdir(CATALOG_DIR / folder):
            if name.endswith(".json"):
                engine, _, version = name[:-len(".json")].partition("-")
                out.add((folder, engine, version))
    return frozenset(out)


@catalog_cache(stored_names)
def document(folder: str, engine: str, version: str) -> dict:
    """The full document of one version, rebuilt from the stored files; read once per process. Callers must not
    change it (it is shared)."""
    stored = read_json(f"{folder}/{engine}-{version}.json")
    if "base" not in stored:
        return stored
    base = document(folder, engine, stored["base"])
    out = {key: value for key, value in stored.items() if key not in _DELTA_KEYS}
    out["flags"] = apply_edits(base["flags"], stored["edits"])
    return out


def apply_edits(flags: list, edits: list) -> list:
    """`flags` with each `[i, j, replacement]` applied (edits ascending, not overlapping)."""
    out: list = []
    position = 0
    for start, end, replacement in edits:
        if start < position or end < start or end > len(flags):
            raise ValueError(f"edit [{start}, {end}] does not fit a list of {len(flags)} after {position}")
        out.extend(flags[position:start])
        out.extend(replacement)
        position = end
    out.extend(flags[position:])
    return out


def edits_between(base_flags: list, flags: list) -> list:
    """The fewest `[i, j, replacement]` edits (by difflib's matching of whole flags) turning `base_flags` into
    `flags`. Only tools/refresh_engine.py writes edits, so a build does not import difflib."""
    import difflib

    def keys(items):
        return [json.dumps(item, sort_keys=True) for item in items]

    matcher = difflib.SequenceMatcher(None, keys(base_flags), keys(flags), autojunk=False)
    return [[i1, i2, flags[j1:j2]] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def delta(base: dict, full: dict) -> dict:
    """The stored form of `full` as edits of `base` (a document of the same engine)."""
    out = {key: value for key, value in full.items() if key != "flags"}
    out["base"] = base["version"]
    out["edits"] = edits_between(base["flags"], full["flags"])
    return out


def stored_layout(documents: list[dict]) -> dict[str, dict]:
    """file name -> stored content for every version of one engine: the newest whole, each other one as edits of
    the next newer version (recent versions, the ones images run, rebuild in the fewest steps)."""
    ordered = sorted(documents, key=lambda doc: version_key(doc["version"]))
    engine = ordered[-1]["engine"]
    out = {f"{engine}-{ordered[-1]['version']}.json": ordered[-1]}
    for older, newer in pairwise(ordered):
        out[f"{engine}-{older['version']}.json"] = delta(newer, older)
    return out


def text_of(content: dict) -> str:
    """A document or stored file as the extractors write it."""
    return json.dumps(content, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def checksum(full: dict) -> str:
    """sha256 of a full document's text, as the extractor wrote it (recorded in SHA256SUMS when extracted)."""
    return sha256_hex(text_of(full))


@cache
def _shipped_flag_sets() -> frozenset[tuple[str, ...]]:
    return frozenset((engine, version) for folder, engine, version in stored_names() if folder == "engines")


@catalog_cache(_shipped_flag_sets)
def earlier_flags(engine: str, version: str) -> dict:
    """Flags of the shipped releases before `version` -> the newest of them that had it (read only when a flag is
    refused: it parses every older release)."""
    out: dict = {}
    for folder, name, older in sorted(stored_names(), key=lambda names: version_key(names[2])):
        if folder == "engines" and name == engine and version_key(older) < version_key(version):
            for raw in document("engines", engine, older)["flags"]:
                out[raw["name"]] = older
    return out
