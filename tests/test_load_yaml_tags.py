"""The position loader's memoised tags (aimc/load/yaml_tags.py) are PyYAML's tags, the first time and every time."""

from __future__ import annotations

from pathlib import Path

import yaml

from aimc.load import yaml_tags
from aimc.load.yaml_positions import PositionLoader
from aimc.memo import one_compile

PLAIN = ["", "a", "yes", "Yes", "NO", "on", "off", "y", "n", "true", "False", "~", "null", "Null", "0", "-1", "+7",
         "017", "0o17", "0x1F", "0b11", "1_000", "1:30", "1.5", "-.5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan",
         "2026-01-01", "2026-01-01T10:00:00Z", "<<", "=", "vllm", "--max-model-len", "amd.com/gpu", "8Gi", "0.85"]
CORPUS = Path(__file__).parent / "corpus"
MERGED = "base: &b {on: yes, n: 017, t: 2026-01-01}\nx:\n  <<: *b\n  n: 0x1F\n  list: [*b, '1', 1.5, ~]\n---\n- =\n"


class Reference(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # what PositionLoader builds on, without the memo
    pass


def test_a_plain_scalar_gets_the_resolvers_tag_the_first_time_and_the_next():
    loader, reference = PositionLoader(""), Reference("")
    for _ in range(2):
        for value in PLAIN:
            for implicit in ((True, False), (False, True), (True, True)):
                assert (loader.resolve(yaml.ScalarNode, value, implicit)
                        == reference.resolve(yaml.ScalarNode, value, implicit)), (value, implicit)
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert loader.resolve(kind, None, (True, False)) == reference.resolve(kind, None, (True, False))


def test_the_memo_starts_over_past_its_bound(monkeypatch):
    monkeypatch.setattr(yaml_tags, "MAX_REMEMBERED", 3)
    loader = PositionLoader("")
    for value in PLAIN:
        assert loader.resolve(yaml.ScalarNode, value, (True, False)) == Reference("").resolve(
            yaml.ScalarNode, value, (True, False))
        assert len(loader.plain_tags) <= 3


def test_the_memo_lives_for_one_compile():
    """Loaders of one compile share what they resolved; the next compile (or a loader outside any) starts empty."""
    with one_compile():
        first, second = PositionLoader(""), PositionLoader("")
        first.resolve(yaml.ScalarNode, "yes", (True, False))
        assert second.plain_tags == {"yes": "tag:yaml.org,2002:bool"}
    with one_compile():
        assert PositionLoader("").plain_tags == {}
    assert PositionLoader("").plain_tags == {} and PositionLoader("").plain_tags is not PositionLoader("").plain_tags


def test_documents_compose_to_the_same_nodes():
    """Every corpus file (booleans, octal, timestamps, merge keys, aliases) composes with the same tags."""
    def tags(root):
        """(tag, scalar value) of every node, depth first. A loop, not recursion: the corpus nests 300 deep, past
        Python 3.11's recursion limit at three frames a level (3.12 inlines the comprehensions)."""
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            out.append((node.tag, node.value if isinstance(node, yaml.ScalarNode) else None))
            children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else (
                node.value if isinstance(node, yaml.SequenceNode) else [])
            stack.extend(reversed(children))
        return out

    checked = 0
    assert [tags(node) for node in yaml.compose_all(MERGED, Loader=PositionLoader)] == [
        tags(node) for node in yaml.compose_all(MERGED, Loader=Reference)]
    for path in sorted(CORPUS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "&" in text:
            continue  # anchors: `tags` would expand the aliases (the corpus has a billion laughs); MERGED has some
        try:
            expected = [tags(node) for node in yaml.compose_all(text, Loader=Reference)]
        except yaml.YAMLError:
            continue
        assert [tags(node) for node in yaml.compose_all(text, Loader=PositionLoader)] == expected, path.name
        checked += 1
    assert checked > 20


def test_no_path_resolvers_are_registered():
    assert not PositionLoader.yaml_path_resolvers
