"""Shape limits of a composed YAML document, checked before anything is constructed from it: how far aliases may
expand it ("billion laughs") and how deep it may nest."""

from __future__ import annotations

import yaml

# A document may use anchors, but not to multiply itself ("billion laughs"): a document whose
# aliases expand to more nodes than this is refused before anything walks it.
MAX_EXPANDED_NODES = 1_000_000
# Deeper documents are refused at load time, because later stages (schema validation, the YAML dumper) recurse
# once per level and would otherwise die with RecursionError. Real manifests, CRD schemas included, stay well
# below 100 levels; 200 leaves room and keeps every later stage far from Python's recursion limit.
MAX_DEPTH = 200


def _children(node) -> list:
    if isinstance(node, yaml.ScalarNode):
        return []
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return node.value


def check_shape(root, may_have_aliases: bool = True) -> int:
    """Refuse a document whose aliases expand it past MAX_EXPANDED_NODES or that nests deeper than MAX_DEPTH.
    Returns the expanded size of a document that may have aliases (0 for a plain tree: its text bounds it)."""
    return shape(root, may_have_aliases)[0]


def shape(root, may_have_aliases: bool = True) -> tuple[int, bool]:
    """`check_shape`, and whether every mapping key of the document is a scalar the resolver read as a string (then
    every key of the data built from it is a string, and no walk of the data needs to look for another: the
    position loader builds such a key from its text). False for a document that may have aliases: not looked at."""
    if may_have_aliases:
        return _check_graph(root), False
    return 0, _check_tree_depth(root)


_STR_TAG = "tag:yaml.org,2002:str"


def _check_tree_depth(root) -> bool:
    """Without aliases the document is a tree: one pass over its collections, scalars never pushed (the fast path).
    Returns whether every mapping key is a string scalar (see `shape`)."""
    stack = [(root, 1)]
    scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    text_keys = True
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, f"nested more than {MAX_DEPTH} levels deep; refusing it",
                                       node.start_mark)
        kind = node.__class__
        if kind is mapping or isinstance(node, mapping):
            for key, value in node.value:
                if key.__class__ is not scalar or key.tag != _STR_TAG:
                    text_keys = False
                    if not isinstance(key, scalar):
                        stack.append((key, depth + 1))
                if not isinstance(value, scalar):
                    stack.append((value, depth + 1))
        elif kind is sequence or isinstance(node, sequence):
            stack.extend((child, depth + 1) for child in node.value if not isinstance(child, scalar))
    return text_keys


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
