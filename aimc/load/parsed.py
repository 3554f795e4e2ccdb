"""Objects another tool hands over already parsed (Kustomize, a KRM orchestrator): loaded as Documents as they are,
never turned back into YAML text, each named by the file it came from.

Where the tool's annotations name a file that holds the object (see `origins`), the object is named by that file and
its fields carry that file's lines: a field an overlay patched is reported at the line that sets it in the source
file, a field an overlay added at the nearest enclosing line that exists there. Otherwise the object is named
`Kind/name` and its lines count from its own first line, as the tool printed it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from aimc.errors import Collector, Diagnostic, UserError
from aimc.load import origins
from aimc.load.documents import Document, classify, display_path, non_string_key_diagnostic, read_input
from aimc.load.yaml_positions import PosDict, PosList, load_all, non_string_key
from aimc.records import Record, compared_on


class ParsedObject(Record):
    data: dict  # a PosDict when its lines are known; equality ignores it
    file: str  # the source file as the user can reach it; `Kind/name` when no file is known
    line: int  # first line of the object in `file` (0: unknown)
    index: int  # document index within `file`
    item: int  # position among the objects handed over
    tracked_path: str | None = None  # the KRM path annotation as given (a KRM result's `file.path`)
    tracked_index: int | None = None

    __eq__, __ne__, __hash__ = compared_on("file", "line", "index", "item", "tracked_path", "tracked_index")


def read_yaml(text: str, where: str) -> list[tuple[int, object]]:
    """(first line, data) of every non-empty document of a YAML text a tool handed over; bad YAML is a UserError."""
    try:
        return [(line, data) for line, data in load_all(text) if data is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise UserError([Diagnostic(where, mark.line + 1 if mark else 0, "", f"invalid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise UserError([Diagnostic(where, 0, "", f"invalid YAML: {exc}")]) from None


def locate(resources: list[dict], base_dir: str = ".", wanted: list[bool] | None = None) -> list[ParsedObject]:
    """Each resource (each one `wanted` marks) with its origin; `item` counts among all `resources`. Paths in
    annotations are relative to `base_dir` (the kustomization folder, or the working directory of a KRM function)."""
    sources: dict[str, list | None] = {}  # one read per source file, however many objects it holds
    return [_locate(resource, item, base_dir, sources) for item, resource in enumerate(resources)
            if wanted is None or wanted[item]]


def _locate(resource: dict, item: int, base_dir: str, sources: dict) -> ParsedObject:
    said = origins.annotated(resource)
    for path in said.paths:
        joined = path if os.path.isabs(path) or base_dir in ("", ".") else os.path.join(base_dir, path)
        shown = display_path(joined)
        documents = _source_documents(joined, shown, sources)
        hint = said.tracked_index if path == said.tracked_path else None
        found = _find(documents or [], resource, said.names, hint)
        if found is not None:
            index, (line, source) = found
            return ParsedObject(_copy(resource, source, line, 0), shown, line, index, item, said.tracked_path,
                                said.tracked_index)
    if said.remote:  # a remote base: the file is known, its lines are not
        return ParsedObject(_copy(resource, None, 0, 0), said.remote, 0, 0, item, said.tracked_path,
                            said.tracked_index)
    meta = resource["metadata"] if isinstance(resource.get("metadata"), dict) else {}
    label = f"{resource.get('kind', 'object')}/{meta.get('name', '?')}"
    first = getattr(resource, "line", 0)
    return ParsedObject(_copy(resource, resource, 0, first - 1), label, 1 if first else 0, 0, item, said.tracked_path,
                        said.tracked_index)


def _source_documents(path: str, shown: str, sources: dict) -> list | None:
    if path not in sources:
        sources[path] = None
        if os.path.isfile(path):
            text = read_input(Path(path), shown, Collector())  # an unreadable file only costs the line numbers
            try:
                sources[path] = list(load_all(text)) if text is not None else None
            except (yaml.YAMLError, RecursionError):
                pass
    return sources[path]


def _find(documents: list, resource: dict, names: tuple[str, ...], hint: int | None):
    if hint is not None and 0 <= hint < len(documents) and origins.matches(documents[hint][1], resource, names):
        return hint, documents[hint]
    return next(((i, d) for i, d in enumerate(documents) if origins.matches(d[1], resource, names)), None)


def _copy(value, source, line: int, shift: int):
    """`value` with the lines of `source` (the same data as written in a file), `shift` lines earlier. A key or item
    that `source` lacks takes `line`, the line of the nearest enclosing part that it has.

    Keys come in sorted order, as `kubectl kustomize` prints them: what aimc passes through or copies into what it
    renders does not depend on the order in which a tool hands keys over."""
    if isinstance(value, dict):
        out = PosDict()
        own = isinstance(source, PosDict)
        out.line = source.line - shift if own else line
        for key, child in sorted(value.items(), key=_key_order):
            present = own and key in source
            key_line = source.key_lines.get(key, source.line) - shift if present else out.line
            if present:
                out.key_lines[key] = key_line
            out[key] = _copy(child, source[key] if present else None, key_line, shift)
        return out
    if isinstance(value, list):
        out_list = PosList()
        own = isinstance(source, PosList)
        out_list.line = source.line - shift if own else line
        matched = _aligned(value, source) if own else [None] * len(value)
        for child, at in zip(value, matched, strict=True):
            item_line = source.item_lines[at] - shift if at is not None else out_list.line
            out_list.append(_copy(child, source[at] if at is not None else None, item_line, shift))
            out_list.item_lines.append(item_line)
        return out_list
    return value


def _key_order(item) -> tuple:
    key = item[0]
    return (0, key) if isinstance(key, str) else (1, str(key))  # a non-string key is reported later, not sorted


def _aligned(value: list, source: PosList) -> list:
    """For each item, the index of the same item in `source`: by position when no item was added or removed, else
    the first equal item not yet taken (a patch may insert or drop items)."""
    if len(value) == len(source):
        return list(range(len(value)))
    taken: set[int] = set()
    out = []
    for child in value:
        at = next((i for i, candidate in enumerate(source) if i not in taken and candidate == child), None)
        if at is not None:
            taken.add(at)
        out.append(at)
    return out


def without_annotations(data: dict, prefixes: tuple[str, ...]) -> dict:
    """`data` without the metadata annotations whose names start with `prefixes`, lines kept."""
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return data
    kept = {k: v for k, v in meta["annotations"].items() if not str(k).startswith(prefixes)}
    new_meta = _like(meta, {k: v for k, v in meta.items() if k != "annotations"})
    if kept:
        new_meta["annotations"] = _like(meta["annotations"], kept)
        if isinstance(meta, PosDict) and isinstance(new_meta, PosDict) and "annotations" in meta.key_lines:
            new_meta.key_lines["annotations"] = meta.key_lines["annotations"]
    return _like(data, {**data, "metadata": new_meta})


def _like(original: dict, items: dict) -> dict:
    if not isinstance(original, PosDict):
        return dict(items)
    out = PosDict(items)
    out.line = original.line
    out.key_lines = {k: v for k, v in original.key_lines.items() if k in items}
    return out


def load(objects: list[ParsedObject], collector: Collector) -> list[Document]:
    """Classify the objects the way `documents.load_file` classifies the documents of a file."""
    out = []
    for obj in objects:
        kind = classify(obj.data)
        if kind is None:
            continue
        if isinstance(kind, Diagnostic):
            collector.add(Diagnostic(obj.file, obj.line, kind.field, kind.message))
            continue
        bad_key = non_string_key(obj.data)
        if bad_key is not None:
            collector.add(non_string_key_diagnostic(obj.file, obj.line, *bad_key))
            continue
        out.append(Document(obj.file, obj.file, obj.index, obj.line, kind, obj.data))
    return out
