"""The leaves two JSON-like trees differ in, with a value's type part of the value.

DeepDiff (reports/diff.py) matches list items by hash, and in Python `1 == 1.0 == True` and `0.0 == -0.0` with equal
hashes, so `[1]` against `[true]` or a `-0.0` against a `0.0` came out unchanged, though the YAML aimc writes
differs. `aimc diff` must name every changed field (issue 21), so it asks this walk too, which compares each leaf by
its type and its `repr`.
"""

from __future__ import annotations

from collections.abc import Iterator


def same_leaf(old, new) -> bool:
    return type(old) is type(new) and repr(old) == repr(new)


def leaf_differences(old, new, path: tuple = ()) -> Iterator[tuple[tuple, object, object]]:
    """(path, old, new) of every leaf that differs where both trees have the same shape; where the shapes differ
    (lists of other lengths, a mapping against a list) the path of the difference; a key on one side only is a
    difference at the key."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            if key in old and key in new:
                yield from leaf_differences(old[key], new[key], (*path, key))
            else:
                yield (*path, key), old.get(key), new.get(key)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from leaf_differences(a, b, (*path, index))
    elif isinstance(old, (dict, list)) or isinstance(new, (dict, list)) or not same_leaf(old, new):
        yield path, old, new


def missed_by_deepdiff(old, new, reported: list[tuple]) -> Iterator[tuple[tuple, object, object, str]]:
    """(path, old, new, ` (--flag)` or "") of each leaf difference inside nothing DeepDiff reported and holding
    nothing it reported (a list that changed length, say): what it takes for equal (1, 1.0 and true; 0.0 and -0.0)
    but the rendered YAML tells apart."""
    for path, old_value, new_value in leaf_differences(old, new):
        if not any(path[:len(r)] == r or r[:len(path)] == path for r in reported):
            yield path, old_value, new_value, _flag_before(new, path)


def _flag_before(tree, path: tuple) -> str:
    """` (--flag)` when the value at `path` follows a flag on a command line (as reports/diff.py writes args)."""
    if not path or not isinstance(path[-1], int) or path[-1] == 0:
        return ""
    for element in path[:-1]:
        tree = tree[element]
    before, value = tree[path[-1] - 1], tree[path[-1]]
    return f" ({before})" if isinstance(before, str) and before.startswith("--") and not str(value).startswith("--") \
        else ""
