"""Setting one top-level field of a recipe file, changing nothing else: `bench report --write-recipe`'s edit.

YAML (block style): the field's node is located by composing the document with aimc's loader, and exactly the lines
from its key to the end of its last value are replaced by the new block, at the same place; every other line, its
comments and key order included, stays byte for byte (a quoted key such as `"vllm_serve":` is a key like any other).
A field that is absent is appended at the end. JSON: the document is parsed and written again as JSON, the field in
its place (or last), with the file's indentation. A YAML flow mapping (`{...}` that is not JSON) is refused.
"""

from __future__ import annotations

import json

import yaml

from aimc.load.yaml_positions import PositionLoader


class NotEditable(Exception):
    """The document cannot be edited without rewriting what is not ours: the message says why."""


def set_field(text: str, field: str, value, comment: str) -> str:
    """`text` with its top-level `field` set to `value` (`comment`: a YAML comment line put above a new field)."""
    root = _root_node(text)
    if root.flow_style:
        return _set_json_field(text, field, value)
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == field:
            return _replace_lines(text, key_node, value_node, field, value)
    block = _block(field, value, root.start_mark.column)
    return text.rstrip("\n") + "\n" + " " * root.start_mark.column + comment + "\n" + block


def _root_node(text: str) -> yaml.MappingNode:
    loader = PositionLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise NotEditable(f"not one YAML document: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        raise NotEditable("not a mapping")
    return node


def _replace_lines(text: str, key_node, value_node, field: str, value) -> str:
    lines = text.splitlines(keepends=True)
    first, last = key_node.start_mark.line, max(key_node.start_mark.line, _last_line(value_node))
    ending = "\r\n" if lines[last].endswith("\r\n") else "\n"
    block = _block(field, value, key_node.start_mark.column).replace("\n", ending)
    return "".join(lines[:first]) + block + "".join(lines[last + 1:])


def _last_line(node) -> int:
    """The 0-based line where `node`'s own text ends. Scalars and flow collections end exactly where their text
    does; a block collection's end mark is the next token (past blank and comment lines that belong to what follows),
    so it ends with its last child."""
    if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
        mark = node.end_mark
        # A block scalar (| or >) ends at the start of the line after its text.
        return mark.line - 1 if mark.column == 0 and mark.line > node.start_mark.line else mark.line
    children = node.value if isinstance(node, yaml.SequenceNode) else [child for pair in node.value for child in pair]
    return max(_last_line(child) for child in children)


def _block(field: str, value, indent: int) -> str:
    dumped = yaml.safe_dump({field: value}, sort_keys=False, default_flow_style=False, width=1000,
                            allow_unicode=True)
    return "".join(" " * indent + line if line.strip() else line for line in dumped.splitlines(keepends=True))


def _set_json_field(text: str, field: str, value) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        raise NotEditable("a YAML flow mapping ({...}) that is not JSON: write the recipe in block style or as "
                          "JSON") from None
    data[field] = value
    indent = _json_indent(text)
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _json_indent(text: str) -> int | None:
    """The indentation of the file's second line (None: all on one line)."""
    lines = text.strip().splitlines()
    if len(lines) < 2:
        return None
    second = lines[1]
    return len(second) - len(second.lstrip(" ")) or 2
