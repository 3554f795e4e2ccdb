"""YAML loading that remembers where every key and item came from. PyYAML's C parser does the work; our constructors
build dict/list subclasses that carry line numbers, refuse duplicate keys (PyYAML silently keeps the last one) and
keep timestamps as strings (Kubernetes reads them as strings too)."""

from __future__ import annotations

import yaml

from aimc.load.yaml_tags import MemoisedTags

# The C loader is 5-10x faster; fall back to pure Python where libyaml is missing.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document may use anchors, but not to multiply itself ("billion laughs"): a document whose
# aliases expand to more nodes than this is refused before anything walks it.
MAX_EXPANDED_NODES = 1_000_000
# Deeper documents are refused at load time, because later stages (schema validation, the YAML dumper) recurse
# once per level and would otherwise die with RecursionError. Real manifests, CRD schemas included, stay well
# below 100 levels; 200 leaves room and keeps every later stage far from Python's recursion limit.
MAX_DEPTH = 200


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


_STR_TAG = "tag:yaml.org,2002:str"


class PositionLoader(MemoisedTags, _BaseLoader):
    """PyYAML's safe loader (C where available), each plain scalar's tag resolved once (yaml_tags)."""


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
    key_lines = data.key_lines
    for key_node, value_node in node.value:
        key = _construct(loader, key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark)
        data[key] = _construct(loader, value_node)
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
                        "(kubectl, Argo CD): write it in plain decimal, or quote it if you mean the string", node.start_mark)
    value = loader.construct_yaml_float(node)
    if value != value or value in (float("inf"), float("-inf")):
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


def _children(node) -> list:
    if isinstance(node, yaml.ScalarNode):
        return []
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return node.value


def check_shape(root, may_have_aliases: bool = True) -> int:
    """Refuse a document whose aliases expand it past MAX_EXPANDED_NODES or that nests deeper than MAX_DEPTH.
    Returns the expanded size of a document that may have aliases (0 for a plain tree: its text bounds it)."""
    if may_have_aliases:
        return _check_graph(root)
    _check_tree_depth(root)
    return 0


def _check_tree_depth(root) -> None:
    """Without aliases the document is a tree: one pass over its collections, scalars never pushed (the fast path)."""
    stack = [(root, 1)]
    scalar = yaml.ScalarNode
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, f"nested more than {MAX_DEPTH} levels deep; refusing it",
                                       node.start_mark)
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair if not isinstance(child, scalar))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value if not isinstance(child, scalar))


def _check_graph(root) -> int:
    """With aliases: sizes and heights of the expanded document.

    One iterative post-order walk over the node graph; an alias is a shared node, so memoising sizes and heights
    by node identity keeps the walk linear in the text however much the aliases multiply.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise yaml.MarkedYAMLError(
                    None, None, f"aliases expand this document to more than {MAX_EXPANDED_NODES:,} nodes; refusing it",
                    root.start_mark)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    if heights[id(root)] > MAX_DEPTH:
        deepest = _deepest_at(root, heights, MAX_DEPTH + 1)
        if _merges_on_the_way(root, heights, MAX_DEPTH + 1):
            raise yaml.MarkedYAMLError(None, None, f"merge keys ('<<: *anchor') chained more than {MAX_DEPTH} levels "
                                       "deep; refusing it (merge the values once, or list them)", deepest.start_mark)
        raise yaml.MarkedYAMLError(None, None, f"nested more than {MAX_DEPTH} levels deep; refusing it",
                                   deepest.start_mark)
    return sizes[id(root)]


def _merges_on_the_way(root, heights: dict, level: int) -> bool:
    """Whether the deepest path goes through merge keys (`<<: *a` whose anchor merges another, and so on)."""
    node, merges = root, 0
    for _ in range(level - 1):
        if isinstance(node, yaml.MappingNode) and node.value:
            key, node = max(node.value, key=lambda pair: max(heights[id(pair[0])], heights[id(pair[1])]))
            merges += key.tag == "tag:yaml.org,2002:merge"
        elif isinstance(node, yaml.SequenceNode) and node.value:
            node = max(node.value, key=lambda c: heights[id(c)])
        else:
            break
    return merges > level // 2


def _deepest_at(root, heights: dict, level: int):
    """The node at `level` on a deepest path (its line is where the excess nesting starts)."""
    node = root
    for _ in range(level - 1):
        children = _children(node)
        if not children:
            break
        node = max(children, key=lambda c: heights[id(c)])
    return node


def load_all(text: str, budget=None):
    """Yield (start_line, data) for each document of a YAML stream. `budget` (limits.ExpansionBudget): the nodes
    documents with aliases may still expand to, shared with the other files of the same load."""
    loader = PositionLoader(text)
    may_have_aliases = "&" in text  # no anchor, no alias: the document is a plain tree
    try:
        while loader.check_node():
            node = loader.get_node()
            size = check_shape(node, may_have_aliases)
            if budget is not None and size and not budget.spend(size):
                raise yaml.MarkedYAMLError(None, None, f"aliases expand this document to {size:,} nodes, past what is "
                                           f"left of the {budget.total:,} nodes all documents with aliases may expand "
                                           "to together; refusing it", node.start_mark)
            yield node.start_mark.line + 1, loader.construct_document(node)
    finally:
        loader.dispose()


def non_string_key(data):
    """(line, path, key) of the first mapping key that is not a string, or None.

    Kubernetes objects are JSON, whose keys are strings; YAML reads unquoted `80`, `on`, `yes` or `null` keys as
    numbers, booleans or null, which would be rendered differently from what the author meant.
    """
    stack = [(data, ())]
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
