"""JSON Schema validation of raw documents, with messages that name the field and say what is valid.

Two engines, one answer. `jsonschema-rs` (Rust, Draft 2020-12) decides whether a document is valid: nearly every
document is, and it answers in microseconds without importing `jsonschema` (about 0.2 s of start-up). Only for a
document it rejects, or cannot take (no JSON form), does `jsonschema` run, to write the messages, which therefore
stay exactly what they were. For that split to change nothing, both engines must agree on validity:
tests/test_validate_schema.py checks them against each other. Where they differ by design, the schema handed to
jsonschema-rs is adjusted here (`for_jsonschema_rs`): `pattern` and `patternProperties` use Python's `re` dialect
(jsonschema calls `re.search`) while jsonschema-rs follows ECMA-262; `format` is an annotation in both (jsonschema
asserts it only with a format checker, which we do not pass).
"""

from __future__ import annotations

import json
import re
from functools import cache

from aimc.catalog.files import data_text
from aimc.errors import MAX_VALUE_CHARS, Diagnostic, describe, did_you_mean, quote
from aimc.load.yaml_positions import format_path, line_of
from aimc.memo import catalog_cache
from aimc.validate.pattern_ends import shown_pattern, strict_end_pattern
from aimc.validate.schema_bounds import exclusive_bound

SCHEMA_FILES = {
    "endpoint": "aimendpoint.json",
    "inventory": "clusterinventory.json",
    "recipe": "aimrecipe.json",
    "profile": "aimprofile.json",
    "model": "aimmodel.json",
    "scenario": "aimbenchmarkscenario.json",
}

# Python's `\s` on str (exactly the characters of str.isspace); ECMA-262's, which jsonschema-rs follows, lacks
# \x1c-\x1f and \x85 and adds \ufeff. Written as the body of a character class, with escapes jsonschema-rs reads.
PYTHON_SPACE = r"\t\n\x0B\x0C\r\x1C-\x1F \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
# Python's `$` without MULTILINE: the end, or just before a newline that ends the text ("abc\n" matches "^abc$").
# At the end of a pattern nothing follows it, so it may consume that newline: a lookahead there sends the whole
# pattern through fancy-regex's backtracking engine, which gives up (no match) on strings of a million characters.
PYTHON_END = r"(?=\n?\z)"
PYTHON_FINAL_END = r"\n?\z"
# Escapes whose meaning differs between the dialects (Unicode-aware in Python, ASCII in ECMA-262; Python-only
# anchors): not translated, so a schema using one fails loudly when it is compiled instead of answering differently.
UNTRANSLATED_ESCAPES = "dDwWbBAZ0123456789"
# Group openers that mean the same in both dialects; anything else after "(?" (inline flags, ...) is refused.
SAME_GROUPS = ("(?:", "(?=", "(?!", "(?<=", "(?<!")
# Keywords whose value holds subschemas: a map of them, a list of them, or one.
SCHEMA_MAPS = ("properties", "$defs", "definitions", "dependentSchemas")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties", "propertyNames", "contains", "not", "if", "then", "else",
                 "unevaluatedItems", "unevaluatedProperties", "contentSchema")


class DialectError(Exception):
    """A schema construct whose meaning differs between jsonschema and jsonschema-rs, and that is not translated."""


@cache
def kinds() -> frozenset[tuple[str]]:
    return frozenset((kind,) for kind in SCHEMA_FILES)


# The shipped schemas and what is built from them are read once per process (catalog data, the same for every
# compile); the schema dicts are shared, so nothing may change them.
@catalog_cache(kinds)
def load_schema(kind: str) -> dict:
    return json.loads(data_text("schemas", SCHEMA_FILES[kind]))


@catalog_cache(kinds)
def fast_validator(kind: str):
    """The jsonschema-rs validator of a shipped schema, compiled once per process."""
    return compile_fast(strict_ends(load_schema(kind)))


def compile_fast(schema):
    """A jsonschema-rs validator that answers jsonschema's `is_valid` for this schema."""
    from aimc.validate.schema_engine import import_jsonschema_rs

    jsonschema_rs = import_jsonschema_rs()
    # offline: our schemas reference only themselves; a build must never fetch a `$ref` from the network.
    return jsonschema_rs.Draft202012Validator(for_jsonschema_rs(schema), validate_formats=False, offline=True)


def for_jsonschema_rs(schema):
    """A copy of the schema whose regular expressions mean, for jsonschema-rs, what Python's `re` reads in them."""
    return _patterns_replaced(schema, python_pattern)


def strict_ends(schema):
    """A copy of the schema whose `$` anchors mean the end of the text, as in ECMA-262 (the schemas' own dialect,
    what editors and Kubernetes' validation read) and not 'the end, or before a final newline' as Python's `re`
    reads them: `^[a-z0-9]+$` must refuse `name\n` (a newline carried into a claimName or a label)."""
    return _patterns_replaced(schema, strict_end_pattern)


def _patterns_replaced(schema, translate):
    if not isinstance(schema, dict):
        return schema  # true / false
    adjusted = {}
    for keyword, value in schema.items():
        if keyword == "pattern":
            value = translate(value)
        elif keyword == "patternProperties":
            value = {translate(pattern): _patterns_replaced(sub, translate) for pattern, sub in value.items()}
        elif keyword in SCHEMA_MAPS:
            value = {name: _patterns_replaced(sub, translate) for name, sub in value.items()}
        elif keyword in SCHEMA_LISTS:
            value = [_patterns_replaced(sub, translate) for sub in value]
        elif keyword in SCHEMA_VALUES:
            value = _patterns_replaced(value, translate)
        elif keyword == "multipleOf" and not isinstance(value, int):
            # jsonschema divides floats (0.3 is not a multiple of 0.1); jsonschema-rs does not.
            raise DialectError(f"multipleOf {value!r}: only integers mean the same to both engines")
        adjusted[keyword] = value
    return adjusted


def python_pattern(pattern: str) -> str:
    """The ECMA-262 pattern (as jsonschema-rs reads it) that matches exactly what `re.search(pattern)` matches."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = pattern[index + 1:index + 2]
            if escape == "s":
                out.append(PYTHON_SPACE if in_class else f"[{PYTHON_SPACE}]")
            elif escape == "Z" and not in_class:  # Python's very end of the text (strict_ends writes it)
                out.append(r"\z")
            elif escape == "S" and not in_class:
                out.append(f"[^{PYTHON_SPACE}]")
            elif escape in UNTRANSLATED_ESCAPES or escape == "S":  # "" (a trailing backslash) is in every string
                raise DialectError(f"pattern {pattern!r}: '\\{escape}' is not translated to jsonschema-rs's dialect")
            else:
                out.append(char + escape)
            index += 2
            continue
        if in_class:
            # Rust's classes nest and have set operations where Python reads plain characters.
            if char == "[" or pattern.startswith(("&&", "--", "~~"), index):
                raise DialectError(f"pattern {pattern!r}: '{char}' inside [...] reads differently in jsonschema-rs")
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            opening = "[^" if pattern.startswith("[^", index) else "["
            if pattern.startswith("]", index + len(opening)):  # Python: a literal ']'; ECMA-262: an empty class
                raise DialectError(f"pattern {pattern!r}: '{opening}]' reads differently in jsonschema-rs")
            out.append(opening)
            in_class = True
            index += len(opening)
            continue
        elif char == "$":
            out.append(PYTHON_FINAL_END if index == len(pattern) - 1 else PYTHON_END)
        elif char == ".":
            out.append(r"[^\n]")  # ECMA-262's '.' also refuses \r, \u2028 and \u2029
        elif pattern.startswith("(?", index) and not pattern.startswith(SAME_GROUPS, index):
            raise DialectError(f"pattern {pattern!r}: '(?' group other than {', '.join(SAME_GROUPS)}")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def is_valid(kind: str, data) -> bool:
    """Exactly jsonschema's `is_valid`, from jsonschema-rs; jsonschema only for data that has no JSON form."""
    check = fast_validator(kind)  # outside the try: a schema jsonschema-rs cannot read must fail loudly
    try:
        return check.is_valid(data)
    except (ValueError, TypeError, OverflowError):  # a non-string key, a lone surrogate, a date: jsonschema decides
        return validator(kind).is_valid(data)


@catalog_cache(kinds)
def validator(kind: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(strict_ends(load_schema(kind)))


def validate(kind: str, data, file: str, default_line: int) -> list[Diagnostic]:
    """Every schema violation of a document, one diagnostic each, in document order."""
    if is_valid(kind, data):  # the common case, and the fast one
        return []
    checker = validator(kind)
    diagnostics = []
    for error in checker.iter_errors(data):
        for leaf in _leaves(error):
            diagnostic = _diagnostic(leaf, data, file, default_line)
            if leaf.validator == "additionalProperties":
                from aimc.validate import field_homes  # messages only

                diagnostic = field_homes.with_home(diagnostic, _unknown_keys(leaf), list(leaf.absolute_path),
                                                   _homes(kind))
            diagnostics.append(diagnostic)
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
    elif _is_key_error(error) and isinstance(data, dict):
        path = path + [error.instance]  # a bad key: point at its own line
    return Diagnostic(file, line_of(data, path, default_line), format_path(path) or "(document)", message)


@catalog_cache(kinds)
def _homes(kind: str) -> dict:
    from aimc.validate import field_homes

    return field_homes.homes(load_schema(kind))


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
        hint = did_you_mean(str(error.instance), map(str, error.validator_value))
        return f"{error.instance!r} is not valid{hint}; expected one of: {choices}"
    if validator_name == "const":
        return f"{error.instance!r} is not valid; expected {error.validator_value!r}"
    if validator_name == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{describe(error.instance)} is not valid; expected {_article(expected)}"
    if validator_name == "pattern" and _is_key_error(error):
        dashed = "--" + str(error.instance).lstrip("-")
        if re.search(error.validator_value, dashed):
            # customArgs: `max-model-len: 8192` is the flag --max-model-len written like a YAML key.
            return f"'{error.instance}' is not a flag: engine flags are written with their dashes, e.g. '{dashed}'"
    if validator_name == "pattern":
        hint = error.schema.get("description", "")
        shown = shown_pattern(error.validator_value)
        return f"{quote(error.instance)} does not match {shown!r}" + (f" ({hint})" if hint else "")
    if validator_name in ("exclusiveMinimum", "exclusiveMaximum"):
        return exclusive_bound(error)
    if validator_name == "propertyNames":
        return f"invalid key: {_cut_instance(error.message, error.instance)}"
    return _cut_instance(error.message, error.instance)


def _cut_instance(message: str, instance) -> str:
    """jsonschema's own messages quote the whole value: cut a long one (a 5 MB name) like every other message."""
    if isinstance(instance, str) and len(instance) > MAX_VALUE_CHARS:
        return message.replace(repr(instance), quote(instance))
    return message


def _is_key_error(error) -> bool:
    """The error is about a mapping's key (propertyNames), not a value."""
    return "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str)


def _article(type_name: str) -> str:
    word = {"object": "mapping", "array": "list"}.get(type_name, type_name)
    return ("an " if word[0] in "aeiou" else "a ") + word
