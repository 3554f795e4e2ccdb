"""validate/schema.py: jsonschema-rs decides validity, jsonschema writes the messages; both must give one answer.

jsonschema-rs's verdict on a document replaces jsonschema's on the build path, so every test here compares the two
engines on the same documents: the repository's valid inputs, the bad-input corpus and the error golden cases, every
document mutated in the places where the engines are known to differ (regular expressions, `format`,
`dependentRequired`, numbers), and each keyword on its own.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from aimc.errors import Collector
from aimc.load import documents
from aimc.validate import schema as schema_mod
from aimc.validate.schema import PYTHON_SPACE, DialectError, compile_fast, python_pattern

CORPUS = REPO / "tests" / "corpus"
ERROR_CASES = sorted(p / "inputs" for p in (REPO / "tests" / "cases").iterdir()
                     if p.name.startswith("error-") and (p / "inputs").is_dir())


def _load(paths) -> list:
    """Every schema-checked document under the paths (files that do not load are skipped: the loader refuses them)."""
    collector = Collector()
    files = documents.discover([str(p) for p in paths], collector)
    return [doc for doc in documents.load(files, collector) if doc.kind in schema_mod.SCHEMA_FILES]


REPO_DOCUMENTS = _load([REPO / "examples", REPO / "recipes", REPO / "tests" / "cases"])
BAD_DOCUMENTS = _load([*sorted(p for p in CORPUS.iterdir() if p.suffix == ".yaml" or p.is_dir()), *ERROR_CASES])


def _agree(kind: str, data) -> bool:
    """The verdict both engines give on the document; fails the test when they differ."""
    fast = schema_mod.fast_validator(kind).is_valid(data)  # jsonschema-rs itself, not schema.is_valid's fallback
    reference = schema_mod.validator(kind).is_valid(data)
    assert fast == reference, (kind, data)
    return reference


def test_engines_agree_on_the_examples_recipes_and_golden_inputs():
    verdicts = [_agree(doc.kind, doc.data) for doc in REPO_DOCUMENTS]
    assert {doc.kind for doc in REPO_DOCUMENTS} == set(schema_mod.SCHEMA_FILES)
    assert verdicts.count(True) > 100


def test_engines_agree_on_the_bad_input_corpus_and_the_error_cases():
    verdicts = [_agree(doc.kind, doc.data) for doc in BAD_DOCUMENTS]
    assert verdicts.count(False) >= 10, "the corpus no longer reaches the schema check: the test would prove nothing"


# Characters where Python's `re` and ECMA-262 (jsonschema-rs) differ: `\s` (\x1c-\x1f, \x85 / \ufeff), `.` (\r,
# \u2028, \u2029) and `$` (Python's also matches before a final newline).
TRICKY = ["\n", "\n\n", "\r", "\r\n", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\ufeff", "\u2028", "\u2029",
          "\u3000", "\x0b", "\t", " ", "\u200b", "\U0001f600", "\ud800"]


def _places(node, path=()):
    """(path, value) of every key and every value of a document; a key's path ends with ("key", name)."""
    if path:
        yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, ("key", key)), key
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _replace(document, path, new):
    document = copy.deepcopy(document)
    *parents, last = path
    node = document
    for part in parents:
        node = node[part]
    if isinstance(last, tuple):  # a key: rename it, keeping its value
        node[new] = node.pop(last[1])
    else:
        node[last] = new
    return document


# Values the engines could read differently (bool against integer, 1.0 as an integer, a number beyond 64 bits, null,
# an empty mapping) and characters the regular-expression dialects read differently (`$`, `\s`; see TRICKY).
ODD_VALUES = [True, 1.0, 10**30, None, {}]
ODD_CHARACTERS = ["\n", "\x1c", "\ufeff"]


def test_engines_agree_on_every_field_changed_where_they_could_differ():
    """Each place of the repository's documents (once per place in the schema): strings and keys with characters that
    the two regular-expression dialects read differently, at the end and inside; values replaced by odd values."""
    seen, checked = set(), 0
    smallest_first = sorted((len(text), doc.kind, text) for doc in REPO_DOCUMENTS
                            for text in [json.dumps(doc.data, sort_keys=True)])
    for _, kind, text in smallest_first:  # each place is changed in the smallest document that has it
        data = json.loads(text)
        for path, value in _places(data):
            place = (kind, *("#" if isinstance(part, int) else part for part in path))
            if place in seen:
                continue
            seen.add(place)
            variants = [] if isinstance(path[-1], tuple) else ODD_VALUES
            if isinstance(value, str):
                variants = [*variants, *(changed for extra in ODD_CHARACTERS
                                         for changed in (value + extra, value[:1] + extra + value[1:]))]
            for variant in variants:
                _agree(kind, _replace(data, path, variant))
                checked += 1
    assert checked > 3000


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern":
                yield value
            elif key == "patternProperties":
                yield from value
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


PATTERNS = sorted({p for kind in schema_mod.SCHEMA_FILES for p in _patterns(schema_mod.load_schema(kind))})
# What the validators use: the shipped patterns with their `$` anchors at the very end of the text (strict_ends).
STRICT_PATTERNS = sorted({schema_mod.strict_end_pattern(p) for p in PATTERNS})


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_shipped_pattern_means_what_python_re_means(data):
    """A string that matches (from the pattern itself), then the same with tricky characters added or replaced."""
    pattern = data.draw(st.sampled_from(PATTERNS + STRICT_PATTERNS))
    text = data.draw(st.from_regex(pattern) | st.text(max_size=8))
    index = data.draw(st.integers(0, len(text)))
    text = data.draw(st.sampled_from([text, text[:index] + data.draw(st.sampled_from(TRICKY)) + text[index:]]))
    fast = compile_fast({"pattern": pattern})
    try:
        verdict = fast.is_valid(text)
    except UnicodeEncodeError:  # a lone surrogate has no JSON form: schema.is_valid hands such data to jsonschema
        return
    assert verdict == (re.search(pattern, text) is not None), (pattern, text)


@pytest.mark.parametrize("pattern", PATTERNS + STRICT_PATTERNS)
def test_shipped_patterns_agree_on_strings_of_a_million_characters(pattern):
    """fancy-regex gives up (answers no match) where a lookahead makes it backtrack over a million characters."""
    fast = compile_fast({"pattern": pattern})
    for text in ("0" * 10**6 + "1", "0" * 10**6 + "1\n", "a" * 10**6 + "\n"):
        assert fast.is_valid(text) == (re.search(pattern, text) is not None), (pattern, text[-3:])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_value_a_pattern_takes_is_refused_with_a_newline_after_it(data):
    """`^[a-z0-9]+$` reads, to Python's `re`, 'up to the end or a final newline': `res\\n` would pass as a claim
    name or a label and reach the cluster. The validators read every `$` anchor as the schema's dialect does."""
    pattern = data.draw(st.sampled_from([p for p in PATTERNS if p.endswith("$")]))
    text = data.draw(st.from_regex(pattern, fullmatch=True).filter(lambda t: not t.endswith("\n")))
    strict = schema_mod.strict_end_pattern(pattern)
    assert re.search(strict, text) and compile_fast({"pattern": strict}).is_valid(text)
    assert not re.search(strict, text + "\n") and not compile_fast({"pattern": strict}).is_valid(text + "\n")


@pytest.mark.parametrize("pattern, shown", [
    (r"^a$", r"^a\Z"), (r"^[$a]+$", r"^[$a]+\Z"), (r"^a\$$", r"^a\$\Z"), (r"^(a$|b)", r"^(a\Z|b)"),
    (r"^\\$", r"^\\\Z"), (r"^[a\]$]$", r"^[a\]$]\Z"), (r"^[]$]$", r"^[]$]\Z"), (r"^[^]$]x$", r"^[^]$]x\Z"),
])
def test_only_dollar_anchors_become_the_very_end_and_messages_show_them_as_written(pattern, shown):
    assert schema_mod.strict_end_pattern(pattern) == shown
    assert schema_mod.shown_pattern(shown) == pattern


def test_a_claim_name_with_a_final_newline_is_refused_at_its_line():
    document = {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint", "metadata": {"name": "e"},
                "spec": {"model": "m", "benchmark": {"resultsClaim": "res\n"}}}
    assert not schema_mod.is_valid("endpoint", document)
    [diagnostic] = schema_mod.validate("endpoint", document, "e.yaml", 1)
    assert diagnostic.field == "spec.benchmark.resultsClaim"
    assert "does not match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'" in diagnostic.message


def test_python_space_is_exactly_the_whitespace_of_python_re():
    python_s = re.compile(r"\s")
    ours = re.compile(f"[{PYTHON_SPACE}]")
    every = [chr(code) for code in range(sys.maxunicode + 1)]
    assert [c for c in every if python_s.match(c)] == [c for c in every if ours.match(c)]


@pytest.mark.parametrize("pattern, text", [
    (r"^a$", "a\n"), (r"^a.b$", "a\rb"), (r"^a.b$", "a\u2028b"), (r"^[^\s]+$", "x\ufeff"), (r"^[^\s]+$", "x\x1c"),
    (r"^\S+$", "x\ufeff"), (r"^\S+$", "x\x85"), (r"^x\s$", "x\x1c"), (r"^[\s]x$", "\x1fx"), (r"^x\s$", "x\ufeff"),
    (r"^a$\n", "a\n"), (r"^(a$|b)", "a\n"),
])
def test_python_dialect_where_ecma_reads_differently(pattern, text):
    """jsonschema-rs handed the pattern as written answers differently from `re`; translated, it answers the same."""
    import jsonschema_rs

    expected = re.search(pattern, text) is not None
    assert jsonschema_rs.validator_for({"pattern": pattern}).is_valid(text) != expected
    assert compile_fast({"pattern": pattern}).is_valid(text) == expected


@pytest.mark.parametrize("pattern", [r"\d", r"\w+", r"\bx", r"\Ax\Z", r"[\S]", "[[a]", "[a&&b]", "[]a]", "(?i)a",
                                     "(?P<n>a)"])
def test_constructs_read_differently_and_not_translated_are_refused(pattern):
    with pytest.raises(DialectError):
        python_pattern(pattern)


def test_fractional_multiple_of_is_refused():
    """jsonschema says 0.3 is not a multiple of 0.1 (float division), jsonschema-rs says it is."""
    with pytest.raises(DialectError):
        compile_fast({"multipleOf": 0.1})


@pytest.mark.parametrize("name", ["email", "idn-email", "date", "date-time", "time", "duration", "ipv4", "ipv6",
                                  "hostname", "uri", "uri-reference", "uuid", "regex", "json-pointer", "no-such"])
def test_format_is_an_annotation_for_both_engines(name):
    """jsonschema asserts `format` only when given a format checker, which aimc does not pass."""
    schema = {"type": "string", "format": name}
    for text in ["", "x", "((", "not a value of any format", "300.1.1.1", "2024-13-45"]:
        assert compile_fast(schema).is_valid(text) == Draft202012Validator(schema).is_valid(text) is True


def test_profile_dependent_required():
    """schemas/aimprofile.json: an aim_id needs a model_id (fastjsonschema, for one, ignores dependentRequired)."""
    profiles = [doc for doc in REPO_DOCUMENTS if doc.kind == "profile"]
    assert any("aim_id" in doc.data for doc in profiles)
    for doc in profiles:
        assert _agree("profile", doc.data)
        without_model = {k: v for k, v in doc.data.items() if k != "model_id"}
        assert _agree("profile", {**without_model, "aim_id": "Acme/X"}) is False
        assert _agree("profile", without_model) is ("aim_id" not in without_model)
    problems = schema_mod.validate("profile", {**without_model, "aim_id": "Acme/X"}, "p.yaml", 1)
    assert [p.message for p in problems] == ["'model_id' is a dependency of 'aim_id'"]


KEYWORD_CASES = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None, 10**30, 2**64]),
    ({"type": ["number", "null"]}, [0, 0.5, None, False, "x"]),
    ({"enum": [1, "a", [1, 2], {"k": True}]}, [1, 1.0, True, "a", [1, 2], [True, 2], {"k": True}, {"k": 1}]),
    ({"const": False}, [False, 0, None]),
    ({"minimum": 1, "exclusiveMaximum": 3}, [0, 1, 2.9, 3, True, "2", 10**400]),
    ({"multipleOf": 3}, [9, 10, 9.0, 10**400 + 1]),
    ({"minLength": 2, "maxLength": 3, "pattern": "^a"}, ["a", "ab", "abcd", "ba", 5, "a\U0001f600", "e\u0301e"]),
    ({"items": {"type": "string"}, "prefixItems": [{"type": "integer"}], "minItems": 1, "maxItems": 3},
     [[], [1], [1, "a"], ["a"], [1, 2], [1, "a", "b", "c"], "x"]),
    ({"uniqueItems": True}, [[1, True], [1, 1.0], [[1], [1]], [{"a": 1}, {"a": True}], []]),
    ({"contains": {"type": "string"}, "minContains": 2, "maxContains": 3}, [["a"], ["a", "b"], ["a"] * 4, [1]]),
    ({"properties": {"a": {"type": "integer"}}, "patternProperties": {"^x-": {"type": "string"}},
      "additionalProperties": False, "required": ["a"]},
     [{"a": 1}, {"a": 1, "x-b": "s"}, {"a": 1, "x-b": 2}, {"a": 1, "b": 1}, {}, []]),
    ({"patternProperties": {"^[1-9][0-9]*_gpu$": {"type": "object"}}, "additionalProperties": False},
     [{"1_gpu": {}}, {"1_gpu\n": {}}, {"1_gpu\n": 1}, {"1_gpu\n\n": {}}]),
    ({"propertyNames": {"pattern": "^[a-z]+$"}, "minProperties": 1, "maxProperties": 2},
     [{}, {"ab": 1}, {"ab\n": 1}, {"a b": 1}, {"a": 1, "b": 2, "c": 3}]),
    ({"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"c": {"required": ["d"]}}},
     [{"a": 1}, {"a": 1, "b": 2}, {"c": 1}, {"c": 1, "d": 1}]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [1, 3, 1.5, "x"]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}], "not": {"const": "x"}}, ["a", "x", 1, None]),
    ({"if": {"type": "integer"}, "then": {"minimum": 5}, "else": {"type": "string"}}, [6, 1, "a", None]),
    ({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}},
                         "additionalProperties": False}}, "$ref": "#/$defs/node"},
     [{}, {"next": {"next": {}}}, {"next": {"bad": 1}}, {"next": 1}]),
    (True, [1, None]),
    (False, [1, None]),
]


@pytest.mark.parametrize("schema, instances", KEYWORD_CASES)
def test_each_keyword_agrees_with_jsonschema(schema, instances):
    fast, reference = compile_fast(schema), Draft202012Validator(schema)
    for instance in instances:
        assert fast.is_valid(instance) == reference.is_valid(instance), instance


def test_data_without_a_json_form_goes_to_jsonschema():
    """jsonschema-rs refuses non-string keys and lone surrogates; schema.is_valid then asks jsonschema."""
    with pytest.raises(ValueError):
        schema_mod.fast_validator("model").is_valid({1: "x"})
    assert schema_mod.is_valid("endpoint", {"metadata": {"name": "\ud800"}}) is False


def test_each_shipped_schema_is_compiled_once():
    for kind in schema_mod.SCHEMA_FILES:
        assert schema_mod.fast_validator(kind) is schema_mod.fast_validator(kind)


def test_validate_reports_errors_through_jsonschema():
    problems = schema_mod.validate("endpoint", {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint",
                                                "metadata": {"name": "a"}, "spec": {}}, "e.yaml", 1)
    assert [p.message for p in problems] == ["missing required field 'model'"]


@pytest.mark.e2e
def test_build_of_valid_inputs_does_not_import_jsonschema():
    """Importing jsonschema costs about 0.2 s, most of the start-up budget of a small build: only invalid documents
    (whose messages jsonschema writes) may pay it."""
    code = ("import sys; from aimc.cli import main; rc = main(['build', 'examples']);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing')), file=sys.stderr);"
            "sys.exit(1 if rc or 'jsonschema' in sys.modules or 'jsonschema_rs' not in sys.modules else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(("spec", "expected"), [
    # a number may be any value above the bound; an integer-only field's least value is the next whole number
    ({"objective": {"workload": {"inputTokens": 1, "outputTokens": 1, "requestsPerSecond": 0}, "maxTpotSeconds": 1}},
     "spec.objective.workload.requestsPerSecond: 0 is too small: expected above 0 (Requests per second"),
    ({"disaggregation": {"prefill": {"gpuCount": 1}, "decode": {"gpuCount": 1},
                         "router": {"resources": {"limits": {"cpu": 0}}}}},
     "spec.disaggregation.router.resources.limits.cpu: 0 is too small: expected at least 1 (CPU: whole cores"),
])
def test_an_exclusive_bound_says_what_would_be_right(spec, expected):
    endpoint = {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint", "metadata": {"name": "a"},
                "spec": {"model": "acme/x", **spec}}
    problems = schema_mod.validate("endpoint", endpoint, "e.yaml", 1)
    assert any(f"{p.field}: {p.message}".startswith(expected) for p in problems), problems
    assert not any("minimum of" in p.message for p in problems)
