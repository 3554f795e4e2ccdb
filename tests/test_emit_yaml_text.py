"""yamlout writes exactly what PyYAML writes, or declines."""

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.emit import output as emit
from aimc.emit import yaml_text as yamlout
from aimc.emit.scalars import SafeDumper

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "true", "no", "~", "null", "1.0", "0x1f", "-", "- a", "a: b", "#c", "x #y", "'q'", '"',
                     "---", "...", "@x", "`x", " lead", "trail ", "a\nb", "é", "\t", "2026-01-01", "1_000", ".inf",
                     "amd.com/gpu", "--max-model-len", "*", "&a", "!t", "%", "?", "? x", "|", ">", "[", "{}", "=",
                     "<<", "x" * 130]),
)
keys = st.one_of(st.text(max_size=10), st.sampled_from(["true", "1", "", "a: b", "-", "x" * 130, "k\nk"]))
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


def pyyaml(data) -> str:
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=yamlout.WIDTH)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.dictionaries(keys, trees, min_size=1, max_size=5), st.lists(trees, min_size=1, max_size=5)))
def test_same_bytes_as_pyyaml_or_declines(data):
    fast = yamlout.dump(data)
    if fast is not None:
        assert fast == pyyaml(data)


def test_writes_a_rendered_object_itself():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "labels": {"x": "true"}},
           "spec": {"replicas": 1, "template": {"spec": {"containers": [
               {"name": "vllm", "args": ["--port", "8000", "--trust-remote-code"], "env": [],
                "resources": {"limits": {"amd.com/gpu": "1"}}}], "tolerations": [{}]}}}}
    assert yamlout.dump(obj) == pyyaml(obj)


def test_declines_multiline_strings_long_keys_and_other_types():
    assert yamlout.dump({"a": "line\nline"}) is None
    assert yamlout.dump({"k" * 128: 1}) is None
    assert yamlout.dump({"a": b"bytes"}) is None
    assert yamlout.dump({}) is None


def test_emit_falls_back_to_pyyaml_with_the_same_result():
    data = {"a": "line one\nline two", "b": [1, {"c": None}]}
    assert emit.dump_yaml(data) == pyyaml(data)


def test_tuples_and_mapping_subclasses_are_written_as_lists_and_mappings():
    """The writer tells plain strings, dicts and lists apart by their class first; other containers take the slower
    path and come out the same."""

    class Mapping(dict):
        pass

    odd = {"a": (1, "x"), "b": Mapping({"c": ("d",), "e": Mapping()}), "f": (), "g": [Mapping({"h": 1}), ("i",)]}
    plain = {"a": [1, "x"], "b": {"c": ["d"], "e": {}}, "f": [], "g": [{"h": 1}, ["i"]]}
    assert yamlout.dump(odd) == yamlout.dump(plain) == pyyaml(plain)
