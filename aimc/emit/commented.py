"""YAML documents written line by line, with comments that say where each value came from (`aimc models import`,
`aimc recipes generate`). Every key and value goes through `inline_scalar` and every comment through `comment_text`
(emit/scalars.py, the escaping path of `# Source:`), so a folder name, a config.json string or a model id holding a
line break, `---`, `#` or an escape sequence stays one value or one comment line.

`check_printed` is the safety net behind that rule: the text must read back as exactly the documents meant. A
difference is a bug in aimc (exit 3), never output.
"""

from __future__ import annotations

import json

import yaml

from aimc.emit.scalars import inline_scalar
from aimc.errors import comment_text


def comment(text: str, indent: str = "") -> str:
    """A comment line."""
    return f"{indent}# {comment_text(text)}"


def pair(key: str, value, indent: str = "") -> str:
    """`key: value` on one line; value=... (Ellipsis) writes `key:` alone, for the block that follows."""
    if isinstance(value, dict) and not value:
        return f"{indent}{inline_scalar(key)}: {{}}"
    if value is ...:
        return f"{indent}{inline_scalar(key)}:"
    return f"{indent}{inline_scalar(key)}: {inline_scalar(value)}"


class Notes:
    """Comments to write with a document, by the path of keys they belong to (a tuple; () is the document): lines
    `above` a key, one note `beside` its value (aligned within its mapping), lines `below` a mapping's entries."""

    def __init__(self) -> None:
        self.above: dict[tuple, list[str]] = {}
        self.beside: dict[tuple, str] = {}
        self.below: dict[tuple, list[str]] = {}

    def add_above(self, path: tuple, *texts: str) -> None:
        self.above.setdefault(path, []).extend(texts)

    def add_below(self, path: tuple, *texts: str) -> None:
        self.below.setdefault(path, []).extend(texts)


def block(data: dict, notes: Notes | None = None, path: tuple = (), indent: str = "") -> list[str]:
    """The lines of a block mapping of mappings and scalars, with its notes."""
    notes = notes or Notes()
    rows = []
    for key, value in data.items():
        here = (*path, key)
        text = pair(key, ... if isinstance(value, dict) and value else value, indent)
        rows.append((here, text, value))
    noted = [len(text) for here, text, _ in rows if here in notes.beside]
    width = max(noted, default=0) + 2
    lines = []
    for here, text, value in rows:
        lines += [comment(line, indent) for line in notes.above.get(here, ())]
        lines.append(text.ljust(width) + comment(notes.beside[here]) if here in notes.beside else text)
        if isinstance(value, dict) and value:
            lines += block(value, notes, here, indent + "  ")
    lines += [comment(line, indent) for line in notes.below.get(path, ())]
    return lines


def check_printed(text: str, intended: list) -> str:
    """`text`, after checking that it reads back as exactly the `intended` documents; AssertionError otherwise."""
    read = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    if _typed(read) != _typed(intended):  # typed: True == 1 and 1 == 1.0 in Python, not in a manifest
        raise AssertionError(f"the printed YAML does not read back as the documents meant: {read!r} != {intended!r}")
    return text


def _typed(documents) -> str:
    return json.dumps(documents, sort_keys=True, ensure_ascii=False)
