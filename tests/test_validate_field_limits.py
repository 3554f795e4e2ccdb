"""validate/field_limits.py: values that would not fit the field of the rendered object they land in."""

from __future__ import annotations

from aimc.load.yaml_positions import load_all
from aimc.validate import field_limits


def _problems(kind: str, text: str) -> list[str]:
    [(line, data)] = list(load_all(text))
    return [f"{d.line}: {d.field}: {d.message}" for d in field_limits.problems(kind, data, "f.yaml", line)]


def test_a_model_id_with_a_line_break_or_past_a_header_value_is_refused_at_its_line():
    endpoint = "kind: AIMEndpoint\nmetadata: {name: e}\nspec:\n  hardware: MI300X\n  model: {model}\n"
    assert _problems("endpoint", endpoint.replace("{model}", '"acme/m\\nX: 1"')) == [
        "5: spec.model: 'acme/m\\nX: 1' holds the control character U+000A: a model id goes into HTTP header values, "
        "the engine's arguments and annotations, which cannot hold one"]
    assert _problems("endpoint", endpoint.replace("{model}", "a/" + "m" * 4094)) == []
    [message] = _problems("endpoint", endpoint.replace("{model}", "a/" + "m" * 4095))
    assert message.startswith("5: spec.model: ") and "is longer than 4,096 characters" in message


def test_recipe_and_profile_model_ids_that_become_the_engines_argument():
    recipe = 'recipe_id: r\nmodel_id: "acme/m\\r"\nhuggingface_id: acme/m\n'
    assert [p.split(": ", 2)[1] for p in _problems("recipe", recipe)] == ["model_id"]
    profile = 'aim_id: p\nmodel_id: "acme/\\u0085m"\n'
    assert [p.split(": ", 2)[1] for p in _problems("profile", profile)] == ["model_id"]


def test_nul_anywhere_in_a_value_or_a_key_is_refused():
    text = 'kind: ClusterInventory\nspec:\n  defaults: {namespace: "a\\0b"}\n  labels: {"k\\0": v}\n'
    assert [p.split(": ", 2)[1] for p in _problems("inventory", text)] == ["spec.defaults.namespace", "spec.labels.k\x00"]


def test_annotations_are_counted_in_bytes_like_kubernetes():
    base = "kind: AIMEndpoint\nmetadata:\n  name: e\n  annotations: {a: %s}\nspec: {model: m}\n"
    assert _problems("endpoint", base % ("x" * (262_144 - 1))) == []
    [message] = _problems("endpoint", base % ("é" * 131_072))
    assert message.startswith("4: metadata.annotations: the annotations hold 262,145 bytes")


def test_a_nul_is_found_wherever_it_is_and_a_clean_document_is_not_walked():
    nul_places = ['a: "x\\0y"\n', '"k\\0": 1\n', 'a: [1, {b: "\\0"}]\n', 'a: {b: [c, "\\x00"]}\n']
    for text in nul_places:
        [(_, data)] = list(load_all(text))
        assert field_limits._may_hold_nul(data), text
        assert field_limits.problems("object", data, "f.yaml", 1), text
    [(_, clean)] = list(load_all('a: [1, {b: "\\\\u0000 is text"}]\nc: x\n'))
    assert field_limits._may_hold_nul(clean)  # the escape written as text: the walk decides, and finds nothing
    assert field_limits.problems("object", clean, "f.yaml", 1) == []
    [(_, plain)] = list(load_all("a: [1, {b: c}]\nd: 2.5\n"))
    assert not field_limits._may_hold_nul(plain)
    # a document JSON cannot write (a key that is not text or a number) is walked
    assert field_limits._may_hold_nul({True: "x", "a": "b"})
    assert field_limits.problems("object", {True: "x\0"}, "f.yaml", 1)
