"""JSON Schema validation of raw documents, with messages that name the field and say what is valid."""

from __future__ import annotations

import json
from functools import lru_cache

from aimc.errors import MAX_VALUE_CHARS, Diagnostic, did_you_mean, quote
from aimc.catalog.files import data_dir
from aimc.load.yaml_positions import format_path, line_of

SCHEMA_FILES = {
    "endpoint": "aimendpoint.json",
    "inventory": "clusterinventory.json",
    "recipe": "aimrecipe.json",
    "profile": "aimprofile.json",
    "model": "aimmodel.json",
}


@lru_cache(maxsize=None)
def load_schema(kind: str) -> dict:
    with open(data_dir("schemas") / SCHEMA_FILES[kind], encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=None)
def fast_check(kind: str):
    """schemacheck's compiled validity test of this schema, or None when it cannot compile it."""
    from aimc.validate.schemacheck import Unsupported, compile_schema

    try:
        return compile_schema(load_schema(kind))
    except Unsupported:
        return None


def is_valid(kind: str, data) -> bool:
    """Exactly jsonschema's `is_valid`, without importing jsonschema when the fast check can answer."""
    check = fast_check(kind)
    if check is not None:
        try:
            if check(data):
                return True
        except Exception:  # noqa: BLE001 - e.g. a non-string key under a pattern: let jsonschema decide
            pass
    return validator(kind).is_valid(data)


@lru_cache(maxsize=None)
def validator(kind: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(kind))


def validate(kind: str, data, file: str, default_line: int) -> list[Diagnostic]:
    """Every schema violation of a document, one diagnostic each, in document order."""
    if is_valid(kind, data):  # the common case, and the fast one
        return []
    checker = validator(kind)
    diagnostics = []
    for error in checker.iter_errors(data):
        for leaf in _leaves(error):
            diagnostics.append(_diagnostic(leaf, data, file, default_line))
    return sorted(set(diagnostics), key=lambda d: (d.line, d.field, d.message))


def _leaves(error):
    """For anyOf/oneOf, the most relevant sub-error rather than 'is not valid under any of the given schemas'."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        # Alternatives of another type (a name where an object was given) say nothing useful: prefer the others.
        wrong_type = {e.relative_schema_path[0] for e in error.context if e.validator == "type" and not e.relative_path}
        same_type = [e for e in error.context if e.relative_schema_path[0] not in wrong_type]
        best = best_match(same_type or error.context)
        # An `anyOf` of alternatives that each fail only on type: keep the parent message, it is clearer.
        if best is not None and best.validator != "type":
            yield from _leaves(best)
            return
    yield error


def _diagnostic(error, data, file: str, default_line: int) -> Diagnostic:
    path = list(error.absolute_path)
    message = _message(error)
    if error.validator == "additionalProperties":
        extras = _unknown_keys(error)
        if len(extras) == 1:
            path = path + [extras[0]]
    return Diagnostic(file, line_of(data, path, default_line), format_path(path) or "(document)", message)


def _unknown_keys(error) -> list:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, dict):
        return []
    known = set(schema.get("properties", {}))
    import re

    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return sorted(k for k in instance if k not in known and not any(p.search(str(k)) for p in patterns))


def _message(error) -> str:
    validator_name = error.validator
    if validator_name == "additionalProperties":
        extras = _unknown_keys(error)
        known = sorted(error.schema.get("properties", {}))
        if len(extras) == 1:
            return f"unknown field{did_you_mean(str(extras[0]), known)}; known fields: {', '.join(known)}"
        return f"unknown fields {', '.join(map(repr, extras))}; known fields: {', '.join(known)}"
    if validator_name == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field '{missing}'"
    if validator_name == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return f"{error.instance!r} is not valid{did_you_mean(str(error.instance), map(str, error.validator_value))}; " \
               f"expected one of: {choices}"
    if validator_name == "const":
        return f"{error.instance!r} is not valid; expected {error.validator_value!r}"
    if validator_name == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{describe(error.instance)} is not valid; expected {_article(expected)}"
    if validator_name == "pattern":
        hint = error.schema.get("description", "")
        return f"{quote(error.instance)} does not match {error.validator_value!r}" + (f" ({hint})" if hint else "")
    if validator_name == "propertyNames":
        return f"invalid key: {_cut_instance(error.message, error.instance)}"
    return _cut_instance(error.message, error.instance)


def _cut_instance(message: str, instance) -> str:
    """jsonschema's own messages quote the whole value: cut a long one (a 5 MB name) like every other message."""
    if isinstance(instance, str) and len(instance) > MAX_VALUE_CHARS:
        return message.replace(repr(instance), quote(instance))
    return message


def describe(value) -> str:
    """A value as the user wrote it: `string 'x'`, `number 4`, `a list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {quote(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _article(type_name: str) -> str:
    word = {"object": "mapping", "array": "list"}.get(type_name, type_name)
    return ("an " if word[0] in "aeiou" else "a ") + word
