"""schemacheck answers exactly what jsonschema answers, on the shipped schemas and on every keyword it implements."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft202012Validator

from aimc.load import documents
from aimc.validate import schema as schema_mod
from aimc.errors import Collector
from aimc.validate.schemacheck import Unsupported, compile_schema

from conftest import REPO


def _documents_by_kind() -> dict[str, list]:
    """Every valid document of the repository (examples, recipes, golden inputs), by kind."""
    collector = Collector()
    files = documents.discover([str(REPO / "examples"), str(REPO / "recipes"), str(REPO / "tests" / "cases")],
                               collector)
    found: dict[str, list] = {}
    for doc in documents.load(files, collector):
        if doc.kind in schema_mod.SCHEMA_FILES and schema_mod.validator(doc.kind).is_valid(doc.data):
            found.setdefault(doc.kind, []).append(json.loads(json.dumps(doc.data)))
    return found


DOCUMENTS = _documents_by_kind()
KINDS = sorted(DOCUMENTS)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1, -1, 1.0, 1.5, 0.0, 2, 8, 64, 65, 1e9]),
              st.sampled_from(["", "a", "vllm", "sglang", "MI300X", "bf16", "Qwen/Qwen3-32B", "1", "0.9", "x-y",
                               "Bad_Name", "true", "--max-num-seqs", "amd.com/gpu", "a" * 70]),
              st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mutate(document, path, operation, value):
    document = copy.deepcopy(document)
    if not path:
        return value if operation == "replace" else document
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if operation == "replace":
        parent[last] = value
    elif operation == "delete":
        del parent[last]
    elif operation == "add" and isinstance(parent, dict):
        parent[f"extra{len(parent)}"] = value
    elif operation == "add":
        parent.append(value)
    return document


def test_every_shipped_schema_compiles():
    for kind in schema_mod.SCHEMA_FILES:
        assert schema_mod.fast_check(kind) is not None, kind


def test_accepts_every_valid_document_of_the_repository():
    assert DOCUMENTS.get("endpoint") and DOCUMENTS.get("inventory") and DOCUMENTS.get("recipe")
    for kind, docs in DOCUMENTS.items():
        check = schema_mod.fast_check(kind)
        assert all(check(doc) for doc in docs), kind


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_agrees_with_jsonschema_on_mutated_documents(data):
    kind = data.draw(st.sampled_from(KINDS))
    document = data.draw(st.sampled_from(DOCUMENTS[kind]))
    path = data.draw(st.sampled_from(list(_paths(document))))
    operation = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    mutated = _mutate(document, path, operation, data.draw(json_values))
    assert schema_mod.fast_check(kind)(mutated) == schema_mod.validator(kind).is_valid(mutated)


KEYWORD_CASES = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": ["number", "null"]}, [0, 0.5, None, False, "x"]),
    ({"enum": [1, "a", [1, 2], {"k": True}]}, [1, 1.0, True, "a", [1, 2], [True, 2], {"k": True}, {"k": 1}]),
    ({"const": False}, [False, 0, None]),
    ({"minimum": 1, "exclusiveMaximum": 3}, [0, 1, 2.9, 3, True, "2"]),
    ({"multipleOf": 0.5}, [1, 1.25, 1e308, "x"]),
    ({"multipleOf": 3}, [9, 10, 9.0]),
    ({"minLength": 2, "maxLength": 3, "pattern": "^a"}, ["a", "ab", "abcd", "ba", 5]),
    ({"items": {"type": "string"}, "prefixItems": [{"type": "integer"}], "minItems": 1, "maxItems": 3},
     [[], [1], [1, "a"], ["a"], [1, 2], [1, "a", "b", "c"], "x"]),
    ({"prefixItems": [{"type": "integer"}]}, [[1, "x"], ["x"], []]),
    ({"uniqueItems": True}, [[1, True], [1, 1.0], [[1], [1]], [{"a": 1}, {"a": True}], []]),
    ({"contains": {"type": "string"}, "minContains": 2, "maxContains": 3}, [["a"], ["a", "b"], ["a"] * 4, [1]]),
    ({"properties": {"a": {"type": "integer"}}, "patternProperties": {"^x-": {"type": "string"}},
      "additionalProperties": False, "required": ["a"]}, [{"a": 1}, {"a": 1, "x-b": "s"}, {"a": 1, "x-b": 2},
                                                          {"a": 1, "b": 1}, {}, []]),
    ({"additionalProperties": {"type": "integer"}}, [{"a": 1}, {"a": "x"}]),
    ({"propertyNames": {"maxLength": 2}, "minProperties": 1, "maxProperties": 2}, [{}, {"ab": 1}, {"abc": 1},
                                                                                   {"a": 1, "b": 2, "c": 3}]),
    ({"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"c": {"required": ["d"]}}},
     [{"a": 1}, {"a": 1, "b": 2}, {"c": 1}, {"c": 1, "d": 1}]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [1, 3, 1.5, "x"]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}], "not": {"const": "x"}}, ["a", "x", 1, None]),
    ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, [0, 1, 3]),
    ({"if": {"type": "integer"}, "then": {"minimum": 5}, "else": {"type": "string"}}, [6, 1, "a", None]),
    ({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}},
                         "additionalProperties": False}}, "$ref": "#/$defs/node"},
     [{}, {"next": {"next": {}}}, {"next": {"bad": 1}}, {"next": 1}]),
    (True, [1, None]),
    (False, [1, None]),
]


@pytest.mark.parametrize("schema, instances", KEYWORD_CASES)
def test_each_keyword_agrees_with_jsonschema(schema, instances):
    check = compile_schema(schema)
    reference = Draft202012Validator(schema)
    for instance in instances:
        assert check(instance) == reference.is_valid(instance), instance


@pytest.mark.parametrize("schema", [
    {"unevaluatedProperties": False}, {"$ref": "other.json"}, {"$dynamicRef": "#x"},
    {"properties": {"a": {"$id": "nested"}}}, {"x-custom": 1}, {"type": "decimal"},
])
def test_unsupported_schemas_do_not_compile(schema):
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_validate_reports_errors_through_jsonschema():
    problems = schema_mod.validate("endpoint", {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint",
                                                "metadata": {"name": "a"}, "spec": {}}, "e.yaml", 1)
    assert [p.message for p in problems] == ["missing required field 'model'"]


def test_build_of_valid_inputs_does_not_import_jsonschema():
    """Importing jsonschema costs about 0.2 s, most of the start-up budget of a small build: only invalid documents
    (whose messages jsonschema writes) may pay it."""
    import subprocess
    import sys

    code = ("import sys; from aimc.cli import main; rc = main(['build', 'examples']);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing')), file=sys.stderr);"
            "sys.exit(1 if rc or 'jsonschema' in sys.modules else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
