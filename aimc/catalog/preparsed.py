"""The built-in catalog's YAML files, parsed ahead of time: `aimc/catalog/preparsed.json` (read by catalog/files.py).

Parsing the shipped YAML (the recipes a build names, `hardware.yaml`, `models.yaml`, `runtime.yaml`...) with PyYAML
cost ~12 ms of a 10-endpoint build's ~140 ms (issue 24); decoding the same data from JSON with msgspec costs well
under a millisecond. `tools/gen_preparsed.py` writes the file from the shipped files, and for each one it keeps the
SHA-256 of the text it was made from: a file whose text no longer matches (a recipe edited in a checkout, the file
not regenerated) is parsed from its YAML as before, so the answer never depends on the file being current, only
the speed. tests/test_catalog_preparsed.py checks that the file is current and that every entry decodes to exactly
what parsing the YAML gives (values, types, and the line of every key and item).

Only aimc's own files are read from here: recipes given with `--recipes` or found in the repository are parsed and
schema-checked as always (validate/build.py).

Recipe documents keep their lines (error messages point into the built-in files), encoded node by node: a mapping
(`PosDict`) as `[0, line, {key: line}, {key: node}]`, a sequence (`PosList`) as `[1, line, [item line], [node]]`,
a scalar as itself. Every list of a parsed document is a `PosList`, so every JSON list here is a node.
"""

from __future__ import annotations

from typing import Any

from aimc.catalog.files import preparsed_entry
from aimc.load.documents import Document, SourceFile
from aimc.load.yaml_positions import PosDict, PosList


def recipe_documents(source_file: SourceFile) -> list[Document] | None:
    """The documents of a built-in recipe file, as `load.documents.load_file` reads them (with their lines); None
    when the file holds no entry made from this text."""
    entry = preparsed_entry(f"recipes/{source_file.source}", source_file.text)
    if entry is None:
        return None
    return [Document(source_file.path, source_file.source, index, line, kind, tree(data))
            for index, line, kind, data in entry["documents"]]


def tree(node: Any) -> Any:
    """An encoded node back as the PosDict / PosList / scalar it was."""
    if node.__class__ is not list:
        return node
    if node[0] == 0:
        mapping = PosDict()
        mapping.line, mapping.key_lines = node[1], node[2]
        for key, value in node[3].items():
            mapping[key] = tree(value) if value.__class__ is list else value
        return mapping
    sequence = PosList([tree(value) if value.__class__ is list else value for value in node[3]])
    sequence.line, sequence.item_lines = node[1], node[2]
    return sequence


def encode_tree(data: Any) -> Any:
    """A parsed document as `tree` reads it back (tools/gen_preparsed.py)."""
    if isinstance(data, PosDict):
        return [0, data.line, dict(data.key_lines), {key: encode_tree(value) for key, value in data.items()}]
    if isinstance(data, PosList):
        return [1, data.line, list(data.item_lines), [encode_tree(value) for value in data]]
    if isinstance(data, (dict, list)):
        raise ValueError(f"a {type(data).__name__} without lines in a parsed document")
    return data
