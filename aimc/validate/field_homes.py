"""Where a field belongs: an unknown field that the schema defines elsewhere (`gpuCount` under `metadata`, or at the
top of the document) is almost always an indentation mistake, so the message names the place it belongs."""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.load.yaml_positions import format_path


def with_home(diagnostic: Diagnostic, extras: list, path: list, homes: dict) -> Diagnostic:
    """`diagnostic` (an unknown-field error at `path` about the keys `extras`) with where the key belongs, when it is
    a single key known elsewhere and no did-you-mean already points at the fix."""
    if len(extras) != 1 or "did you mean" in diagnostic.message:
        return diagnostic
    here = format_path(path)
    places = [p for p in homes.get(str(extras[0]), ()) if p != here]
    if not places:
        return diagnostic
    where = " or ".join(p or "the top level" for p in places)
    return Diagnostic(diagnostic.file, diagnostic.line, diagnostic.field,
                      f"{diagnostic.message}; '{extras[0]}' belongs under {where} (check its indentation)",
                      diagnostic.severity)


def homes(root: dict) -> dict:
    """Field name -> the paths (`spec`, `spec.servingEngines[]`) where the schema `root` defines it."""
    found: dict = {}

    def walk(node, path: str, seen: frozenset) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/") and ref not in seen:
            walk(root.get("$defs", {}).get(ref[len("#/$defs/"):]), path, seen | {ref})
        for name, sub in (node.get("properties") or {}).items():
            found.setdefault(name, [])
            if path not in found[name]:
                found[name].append(path)
            walk(sub, f"{path}.{name}" if path else name, seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]", seen)
        for keyword in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(keyword) or ():
                walk(sub, path, seen)

    walk(root, "", frozenset())
    return {name: tuple(paths) for name, paths in found.items()}
