"""Labels on every rendered object: the user's first, ours win, and pod templates carry only ours."""

from __future__ import annotations

import pytest
import yaml
from conftest import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render import INVENTORY  # one MI300X pool, namespace llm

from aimc.render.labels import checksum, own_labels

ENDPOINT = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata:
  name: q
  labels: {team: research, app.kubernetes.io/component: mine, aim.engine.amd.com/engine: x, zone: b}
spec: {model: Qwen/Qwen3-32B, gpuCount: 4}
"""


def test_a_user_label_named_like_ours_keeps_its_place_and_takes_our_value(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": INVENTORY, "q.yaml": ENDPOINT})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    deployment = next(d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "Deployment")
    labels = deployment["metadata"]["labels"]
    # the user's labels come in key order
    assert list(labels)[:4] == ["aim.engine.amd.com/engine", "app.kubernetes.io/component", "team", "zone"]
    assert labels["app.kubernetes.io/component"] == "vllm" and labels["aim.engine.amd.com/engine"] == "vllm"
    assert list(labels)[4:] == ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of",
                                "app.kubernetes.io/managed-by", "aim.engine.amd.com/endpoint",
                                "aim.engine.amd.com/model", "aim.engine.amd.com/hardware",
                                "aim.engine.amd.com/precision", "aim.engine.amd.com/gpu-count"]
    pod = deployment["spec"]["template"]["metadata"]["labels"]
    assert pod == {k: v for k, v in labels.items() if k not in ("team", "zone")}
    assert list(pod)[:2] == ["aim.engine.amd.com/engine", "app.kubernetes.io/component"]


def test_own_labels_drops_only_the_users_keys():
    labels = {"team": "a", "app.kubernetes.io/name": "aim-endpoint", "aim.engine.amd.com/x": "1", "zone": "b"}
    user = (("team", "a"), ("app.kubernetes.io/name", "mine"), ("aim.engine.amd.com/x", "2"))
    assert own_labels(labels, user) == {"app.kubernetes.io/name": "aim-endpoint", "aim.engine.amd.com/x": "1",
                                        "zone": "b"}
    assert own_labels(labels, ()) == labels and own_labels(labels, ()) is not labels


def test_labels_carry_the_selector_and_the_fact_labels_they_inline():
    # labels() writes these keys one by one for speed: it must stay a superset of what selectors match on.
    from conftest import REPO

    from aimc import pipeline
    from aimc.render.labels import fact_labels, labels, selector

    result = pipeline.compile(pipeline.Options(paths=(str(REPO / "examples"),)))
    checked = 0
    for resolved in result.resolution.endpoints:
        for engine in (None, *resolved.engines):
            got = labels(resolved, engine)
            wanted = {**selector(resolved, engine.engine if engine else None), **fact_labels(resolved, engine)}
            assert {k: got.get(k) for k in wanted} == wanted
            checked += 1
    assert checked > 6


# -- the pod template's checksum: msgspec's canonical JSON where it is json's, json's everywhere else ---------------

def _json_checksum(configuration) -> str:
    import hashlib
    import json

    text = json.dumps(configuration, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # every character but lone surrogates
_leaves = st.one_of(_texts, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False))
_trees = st.recursive(_leaves, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                       st.dictionaries(_texts, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_texts, _trees, max_size=6))
def test_the_checksum_is_that_of_json_canonical_text(configuration):
    """Whatever the configuration holds (floats, which msgspec writes otherwise, included), the checksum is the
    SHA-256 of json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False): a faster writer must not roll
    every pod of a fleet."""
    assert checksum(configuration) == _json_checksum(configuration)


def test_the_checksum_of_exponent_floats_and_odd_keys_follows_json():
    for configuration in ({"a": [1e16, 1e-05]}, {"a": {"b": 1e22}}, {"é": "\u2028", "\U0001f600": "\ue000", "": "\x00"},
                          {"a": ({"b": "c"}, 2**70, True, None)}):
        assert checksum(configuration) == _json_checksum(configuration)
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be written in UTF-8, either way
        checksum({"a": "\ud800"})
