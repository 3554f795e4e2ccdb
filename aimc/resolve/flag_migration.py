"""Recipe flags written for another engine release, rewritten in the spelling of the release the image holds.

A built-in recipe or an AMD profile is written once; the images move on. Where a release renamed a flag
(runtime.yaml `renamed`, e.g. SGLang 0.5.16's `--cuda-graph-max-bs` -> `--cuda-graph-max-bs-decode`), renamed a key
inside a JSON flag (`--compilation-config.level` -> `.mode` in vLLM: written either dotted or inside the JSON value),
or keeps an old spelling only hidden (vLLM 0.34's `--no-enable-x`, now `--disable-x`), the recipe's flag is written in
the new spelling with a warning naming the release. What a user typed in customArgs is not rewritten: a renamed JSON
key there is an error naming the new one (the engine would refuse it), other spellings are checked as written.
"""

from __future__ import annotations

import json

from aimc.catalog.flag_sets import FlagSet

# (the flag and value to check instead, the warning) or (None, error) for customArgs
Migration = tuple[str, object, str] | tuple[None, None, str]


def migrated(flags: FlagSet, engine, flag: str, value, from_recipe: bool, found) -> Migration | None:
    """How a flag of the release the recipe was written for is spelt in `flags.version`, or None: unchanged."""
    if not from_recipe:
        renamed_keys = _renamed_keys(flags, engine, found, value)
        if renamed_keys:
            old, entry = renamed_keys[0]
            return None, None, (f"{found[0].name} key {old!r} is not in {flags.label}: {engine.name} "
                                f"{entry.since} renamed {entry.flag} {entry.to} ({entry.why}); write "
                                f"{entry.to.rpartition('.')[2]!r}")
        return None
    if found is not None and found[1] and flag in found[0].negation_aliases:
        new = found[0].negation
        return new, value, (f"{flag} is spelt {new} from {engine.name} {flags.version} on (the old spelling is "
                            f"hidden there, kept for compatibility): written as {new}")
    renamed = engine.renamed_at(flag, flags.version)
    if renamed is not None and flags.lookup(renamed.to) is not None:
        return renamed.to, value, (f"{flag} was renamed {renamed.to} in {engine.name} {renamed.since} "
                                   f"({renamed.why}): written as {renamed.to} for {flags.label}")
    renamed_keys = _renamed_keys(flags, engine, found, value)
    if renamed_keys:
        data = json.loads(value)
        for old, entry in renamed_keys:
            data[entry.to.rpartition(".")[2]] = data.pop(old)
        keys = ", ".join(f"{old!r} -> {entry.to.rpartition('.')[2]!r}" for old, entry in renamed_keys)
        why = "; ".join(f"{entry.flag} was renamed {entry.to} in {engine.name} {entry.since} ({entry.why})"
                        for _old, entry in renamed_keys)
        return flag, json.dumps(data, sort_keys=True, separators=(",", ":")), (
            f"{why}: written with {keys} for {flags.label}")
    return None


def _renamed_keys(flags: FlagSet, engine, found, value) -> list:
    """(key, rename) for each key of a JSON flag's object value that the release renamed (`renamed` entries of
    the dotted form `--flag.key`)."""
    if found is None or found[1] or not found[0].dotted_keys or not isinstance(value, str) \
            or not value.lstrip().startswith("{"):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []  # the flag checks report it
    if not isinstance(data, dict):
        return []
    name = found[0].name
    out = []
    for key in data:
        entry = engine.renamed_at(f"{name}.{key}", flags.version)
        if entry is not None and entry.to.startswith(name + ".") and entry.to.rpartition(".")[2] not in data:
            out.append((key, entry))
    return out
