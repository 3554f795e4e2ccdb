"""YAML loading that remembers where every key and item came from.

PyYAML's C parser does the work; our constructors build dict/list subclasses that carry line numbers,
refuse duplicate keys (PyYAML silently keeps the last one) and keep timestamps as strings (Kubernetes
reads them as strings too).
"""

from __future__ import annotations

import yaml

try:  # the C loader is 5-10x faster; fall back to pure Python where libyaml is missing
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader

# A document may use anchors, but not to multiply itself ("billion laughs"): a document whose
# aliases expand to more nodes than this is refused before anything walks it.
MAX_EXPANDED_NODES = 1_000_000


class PosDict(dict):
    """A mapping with the line of its start and of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict = {}


class PosList(list):
    """A sequence with the line of its start and of each item (1-based)."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args):
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class PositionLoader(_BaseLoader):
    pass


def _construct_map(loader: PositionLoader, node: yaml.MappingNode):
    data = PosDict()
    data.line = node.start_mark.line + 1
    yield data
    own_keys: dict = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            key = key_node.value
            if key in own_keys:
                raise DuplicateKeyError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key '{key}' (first at line {own_keys[key]})", key_node.start_mark)
            own_keys[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: PositionLoader, node: yaml.SequenceNode):
    data = PosList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_object(child, deep=False) for child in node.value)
    data.item_lines = [child.start_mark.line + 1 for child in node.value]


def _construct_timestamp_as_string(loader: PositionLoader, node):
    return loader.construct_scalar(node)


PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
PositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def _expanded_size(root) -> int:
    """Number of nodes the document has once every alias is expanded (memoised, so cheap)."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if children_done:
            sizes[key] = 1 + sum(sizes.get(id(c), 0) for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                return sizes[key]
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_all(text: str):
    """Yield (start_line, data) for each document of a YAML stream."""
    loader = PositionLoader(text)
    may_have_aliases = "&" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if may_have_aliases and _expanded_size(node) > MAX_EXPANDED_NODES:
                raise yaml.MarkedYAMLError(
                    None, None,
                    f"aliases expand this document to more than {MAX_EXPANDED_NODES:,} nodes; refusing it",
                    node.start_mark)
            yield node.start_mark.line + 1, loader.construct_document(node)
    finally:
        loader.dispose()


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
