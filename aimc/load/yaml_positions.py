"""YAML loading that remembers where every key and item came from. PyYAML's C parser does the work; our constructors
build dict/list subclasses that carry line numbers, refuse duplicate keys (PyYAML silently keeps the last one) and
keep timestamps as strings (Kubernetes reads them as strings too)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import yaml

from aimc.load.yaml_shape import MAX_DEPTH, MAX_EXPANDED_NODES, check_shape, shape  # noqa: F401 (public here too)
from aimc.load.yaml_tags import MemoisedTags

# The C loader is 5-10x faster; fall back to pure Python where libyaml is missing. Type-checked against the
# pure-Python loader's API, which the C one shares.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)



class PosDict(dict):
    """A mapping with the line of its start and of each key (1-based)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict = {}


class PosList(list):
    """A sequence with the line of its start and of each item (1-based)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, *args):
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_SCALAR = yaml.ScalarNode


class PositionLoader(MemoisedTags, _BaseLoader):
    """PyYAML's safe loader (C where available), each plain scalar's tag resolved once (yaml_tags)."""


def _construct_map(loader: PositionLoader, node: yaml.MappingNode):
    data = PosDict()
    data.line = node.start_mark.line + 1
    yield data
    own_keys: dict = {}
    flatten = False
    for key_node, _ in node.value:
        tag = key_node.tag
        if tag in (_MERGE_TAG, _VALUE_TAG):
            flatten = True  # only these keys make PyYAML's flatten_mapping change anything
        if key_node.__class__ is _SCALAR and tag != _MERGE_TAG:
            key = key_node.value
            if key in own_keys:
                raise DuplicateKeyError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key '{key}' (first at line {own_keys[key]})", key_node.start_mark)
            own_keys[key] = key_node.start_mark.line + 1
    if flatten:
        loader.flatten_mapping(node)
    key_lines = data.key_lines
    for key_node, value_node in node.value:
        # String scalars (most keys and values) are their text: PyYAML's generic dispatch is skipped for them.
        if key_node.tag == _STR_TAG and key_node.__class__ is _SCALAR:
            key = key_node.value
        else:
            key = loader.construct_object(key_node, deep=False)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from None
        data[key] = value_node.value if value_node.tag == _STR_TAG and value_node.__class__ is _SCALAR \
            else loader.construct_object(value_node, deep=False)
        key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: PositionLoader, node: yaml.SequenceNode):
    data = PosList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend([_construct(loader, child) for child in node.value])
    data.item_lines = [child.start_mark.line + 1 for child in node.value]


def _construct(loader: PositionLoader, node):
    """A string scalar is its text (most nodes are: skip PyYAML's generic dispatch); anything else goes through it."""
    if node.tag == _STR_TAG and node.__class__ is yaml.ScalarNode:
        return node.value
    return loader.construct_object(node, deep=False)


def _construct_timestamp_as_string(loader: PositionLoader, node):
    return loader.construct_scalar(node)


def _construct_finite_float(loader: PositionLoader, node):
    """NaN and infinities have no JSON form: Kubernetes would reject them, engines would get 'nan' as a flag."""
    if ":" in node.value or "_" in node.value:  # base 60 (`1:30.5`) and '_' digits: YAML 1.1 only, see above
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is a number in YAML 1.1 (base 60 or '_' between digits) but not in YAML 1.2 "
                        "(kubectl, Argo CD): write it in plain decimal, or quote it if you mean the string",
            node.start_mark)
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a finite number (manifests are JSON, which has no NaN or infinity); "
                        f"quote it if you mean the string", node.start_mark)
    return value


def _construct_unambiguous_int(loader: PositionLoader, node):
    """YAML 1.1 reads `1:00` as 60 (base 60), `017` as 15 (octal), `0b11` and `1_000` as numbers; YAML 1.2 readers
    (kubectl kustomize, Argo CD) read them as other numbers or strings. Such a value means two things: refuse it."""
    text = node.value.lstrip("+-")
    form = ("base 60" if ":" in text else "'_' between digits" if "_" in text else "binary" if text[:2] == "0b"
            else "octal" if len(text) > 1 and text[0] == "0" and text[1] != "x" else None)
    if form:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is {loader.construct_yaml_int(node)} in YAML 1.1 ({form}) but not in YAML 1.2 "
                        "(kubectl, Argo CD): write the number in plain decimal, or quote it if you mean the string",
            node.start_mark)
    return loader.construct_yaml_int(node)


def _refuse_non_json_tag(loader: PositionLoader, node):
    """!!binary, !!set, !!omap and !!pairs build Python types that have no JSON (so no Kubernetes) form."""
    tag = node.tag.rsplit(":", 1)[-1]
    raise yaml.constructor.ConstructorError(
        None, None, f"the !!{tag} tag is not supported: manifests are JSON (use a plain string, list or mapping)",
        node.start_mark)


PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
PositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)
PositionLoader.add_constructor("tag:yaml.org,2002:float", _construct_finite_float)
PositionLoader.add_constructor("tag:yaml.org,2002:int", _construct_unambiguous_int)
for _tag in ("binary", "set", "omap", "pairs"):
    PositionLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_non_json_tag)


def load_all(text: str, budget=None):
    """Yield (start_line, data) for each document of a YAML stream. `budget` (limits.ExpansionBudget): the nodes
    documents with aliases may still expand to, shared with the other files of the same load."""
    for line, data, _ in load_all_keyed(text, budget):
        yield line, data


def load_all_keyed(text: str, budget=None):
    """`load_all`, each document with whether all its mapping keys are certainly strings (`yaml_shape.shape`): then
    `non_string_key` has nothing to find, and its walk of the data (~7 ms per 1,000 documents) is skipped."""
    loader = PositionLoader(text)
    may_have_aliases = "&" in text  # no anchor, no alias: the document is a plain tree
    try:
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node said there is one
            size, text_keys = shape(node, may_have_aliases)
            if budget is not None and size and not budget.spend(size):
                raise yaml.MarkedYAMLError(None, None, f"aliases expand this document to {size:,} nodes, past what is "
                                           f"left of the {budget.total:,} nodes all documents with aliases may expand "
                                           "to together; refusing it", node.start_mark)
            yield node.start_mark.line + 1, loader.construct_document(node), text_keys
    finally:
        loader.dispose()


def non_string_key(data):
    """(line, path, key) of the first mapping key that is not a string, or None.

    Kubernetes objects are JSON, whose keys are strings; YAML reads unquoted `80`, `on`, `yes` or `null` keys as
    numbers, booleans or null, which would be rendered differently from what the author meant.
    """
    if not _any_non_string_key(data):  # the usual case, found without building a path for every node
        return None
    stack: list[tuple[object, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    lines = getattr(node, "key_lines", {})
                    return lines.get(key, getattr(node, "line", 0)), path, key
            stack.extend((value, path + (key,)) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((value, path + (index,)) for index, value in reversed(list(enumerate(node))))
    return None


def _any_non_string_key(data) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        items = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict) and not all(isinstance(key, str) for key in node):
            return True
        stack.extend(value for value in items if isinstance(value, (dict, list)))
    return False


def line_of(data, path, default: int = 0) -> int:
    """Best line for a JSON path (sequence of keys/indexes): the deepest part that exists."""
    line = getattr(data, "line", 0) or default
    node = data
    for part in path:
        if isinstance(node, PosDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, PosList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part] if part < len(node.item_lines) else line
            node = node[part]
        else:
            break
    return line


def format_path(path) -> str:
    """`spec.nodePools[0].name`-style rendering of a JSON path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
