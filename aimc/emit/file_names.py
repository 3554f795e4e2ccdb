"""File names under `build -o DIR`: `<namespace>/<kind>-<name>.<suffix>`, unique per object.

Kind and name alone do not identify an object: a Knative `Service` and the `Service` aimc renders for an endpoint
may share a name, and a file written for one would replace the other (and `precommit rendered` would not notice).
When short names collide (compared case-insensitively, for case-insensitive file systems), the colliding objects
outside the core API group get the group in their kind part (`service.serving.knative.dev-good.yaml`), then the
version too; objects that still collide are an error. Names depend only on the set of objects, so they are
deterministic.
"""

from __future__ import annotations

from collections import Counter

from aimc.errors import Diagnostic, UserError


def file_name(obj: dict, output_format: str, level: int = 0) -> str:
    """`<namespace>/<kind>-<name>.yaml` (level 0); level 1 adds the API group, level 2 the version as well."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or "_cluster"
    suffix = "json" if output_format == "json" else "yaml"
    kind = str(obj.get("kind", "object")).lower()
    if level:
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        qualifiers = ([version] if level > 1 else []) + ([group] if group else [])
        kind = ".".join([kind, *qualifiers])
    return f"{namespace}/{kind}-{meta.get('name', 'unnamed')}.{suffix}"


def unique_file_names(items, output_format: str) -> list[str]:
    """One file name per rendered item (in the items' order), or UserError naming the objects that share one."""
    objs = [item.obj for item in items]
    names = [file_name(obj, output_format) for obj in objs]
    for level in (1, 2):
        counts = Counter(name.casefold() for name in names)
        if all(count == 1 for count in counts.values()):
            return names
        names = [file_name(obj, output_format, level) if counts[name.casefold()] > 1 else name
                 for obj, name in zip(objs, names, strict=True)]
    first: dict = {}
    problems = []
    for item, name in zip(items, names, strict=True):
        other = first.setdefault(name.casefold(), item)
        if other is not item:
            problems.append(Diagnostic(item.file or item.source, item.line, "metadata.name",
                                       f"written to the same -o file {name} as the object from "
                                       f"{other.file or other.source}:{other.line}; rename one of them"))
    if problems:
        raise UserError(problems)
    return names
