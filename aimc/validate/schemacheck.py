"""Exact JSON Schema (draft 2020-12) validity, compiled into plain Python closures: the fast path of schema.py.

`jsonschema` is the reference and still writes every error message, but it is slow for our use: importing it costs
about 0.1-0.2 s (it pulls in `referencing`, `rpds` and `attrs`), which is most of the start-up budget of a small
`aimc build`, and it walks each document through generic, generator-based keyword functions (several milliseconds
per endpoint). Nearly every document is valid, so `schema.validate` first asks this module "is it valid?"; only when
the answer is not a plain yes does it run `jsonschema`.

This is not a hand-written check of our fields: it interprets the schema files themselves, keyword by keyword,
with jsonschema's semantics (bool is not a number, 1.0 is an integer, `enum`/`const` equality that keeps true and 1
apart, `re.search` for patterns, the combined pattern of `additionalProperties`, format as an annotation only).
A schema using anything else (remote or dynamic references, nested `$id`, `unevaluated*`, unknown keywords) does
not compile, and its documents always go to jsonschema. tests/test_schemacheck.py compares both on generated
documents and asserts that every shipped schema compiles.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

Check = Callable[[Any], bool]

# Keywords that never affect validity (annotations), or that their owner keyword reads (`then` via `if`, ...).
_ANNOTATIONS = frozenset({
    "$schema", "$comment", "$defs", "definitions", "title", "description", "default", "examples", "deprecated",
    "readOnly", "writeOnly", "format", "contentMediaType", "contentEncoding", "contentSchema",
    "then", "else", "minContains", "maxContains",
})


class Unsupported(Exception):
    """The schema uses something this module does not implement: validate with jsonschema instead."""


def _unbool(value, true=object(), false=object()):
    if value is True:
        return true
    if value is False:
        return false
    return value


def _equal(one, two) -> bool:
    """jsonschema's equality: true is not 1, 1 is 1.0, sequences and mappings compared item by item."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    return _unbool(one) == _unbool(two)


def _unique(items) -> bool:
    """jsonschema's `uniq`."""
    try:
        ordered = sorted(_unbool(item) for item in items)
        return not any(_equal(a, b) for a, b in zip(ordered, ordered[1:]))
    except (NotImplementedError, TypeError):
        seen: list = []
        for item in items:
            item = _unbool(item)
            if any(_equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_integer(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _always(_value) -> bool:
    return True


def _never(_value) -> bool:
    return False


# JSON Schema keyword -> the method of _Compiler that builds its check.
_KEYWORDS = {"$ref": "k_ref", **{name: f"k_{name}" for name in (
    "type", "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "items", "prefixItems", "minItems",
    "maxItems", "uniqueItems", "contains", "properties", "patternProperties", "additionalProperties", "required",
    "dependentRequired", "dependentSchemas", "propertyNames", "minProperties", "maxProperties")}}


class _Compiler:
    def __init__(self, root) -> None:
        self.root = root
        self.references: dict[str, list[Check]] = {}

    def compile(self, schema) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported(f"schema is a {type(schema).__name__}")
        if "$id" in schema and schema is not self.root:
            raise Unsupported("nested $id")
        checks: list[Check] = []
        for keyword in sorted(schema, key=lambda k: k != "type"):  # the cheapest, most selective check first
            if keyword in _ANNOTATIONS or (keyword == "$id" and schema is self.root):
                continue
            if keyword not in _KEYWORDS:
                raise Unsupported(f"keyword {keyword}")
            checks.append(getattr(self, _KEYWORDS[keyword])(schema[keyword], schema))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]

        def valid(value, checks=tuple(checks)) -> bool:
            for check in checks:
                if not check(value):
                    return False
            return True

        return valid

    # -- references ---------------------------------------------------------------------------------------

    def k_ref(self, ref, _schema) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#") or "%" in ref:
            raise Unsupported(f"$ref {ref!r}")
        slot = self.references.get(ref)
        if slot is None:
            # Filled after compiling the target, so that a recursive reference finds its own slot.
            slot = self.references[ref] = []
            slot.append(self.compile(self._pointer(ref[1:])))
        return lambda value: slot[0](value)

    def _pointer(self, pointer: str):
        node = self.root
        if not pointer:
            return node
        if not pointer.startswith("/"):
            raise Unsupported(f"anchor reference #{pointer}")
        for part in pointer[1:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise Unsupported(f"unresolvable reference #{pointer}")
        return node

    # -- any instance -------------------------------------------------------------------------------------

    def k_type(self, types, _schema) -> Check:
        names = [types] if isinstance(types, str) else types
        if not all(name in _TYPES for name in names):
            raise Unsupported(f"type {types!r}")
        tests = tuple(_TYPES[name] for name in names)
        if len(tests) == 1:
            return tests[0]
        return lambda value: any(test(value) for test in tests)

    def k_enum(self, choices, _schema) -> Check:
        return lambda value: any(_equal(choice, value) for choice in choices)

    def k_const(self, constant, _schema) -> Check:
        return lambda value: _equal(value, constant)

    def k_allOf(self, subschemas, _schema) -> Check:
        checks = [self.compile(s) for s in subschemas]
        return lambda value: all(check(value) for check in checks)

    def k_anyOf(self, subschemas, _schema) -> Check:
        checks = [self.compile(s) for s in subschemas]
        return lambda value: any(check(value) for check in checks)

    def k_oneOf(self, subschemas, _schema) -> Check:
        checks = [self.compile(s) for s in subschemas]
        return lambda value: sum(1 for check in checks if check(value)) == 1

    def k_not(self, subschema, _schema) -> Check:
        check = self.compile(subschema)
        return lambda value: not check(value)

    def k_if(self, subschema, schema) -> Check:
        condition = self.compile(subschema)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda value: then(value) if condition(value) else otherwise(value)

    # -- numbers ------------------------------------------------------------------------------------------

    def k_minimum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value >= limit

    def k_maximum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value <= limit

    def k_exclusiveMinimum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value > limit

    def k_exclusiveMaximum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value < limit

    def k_multipleOf(self, divisor, _schema) -> Check:
        def check(value) -> bool:
            if not _is_number(value):
                return True
            if isinstance(divisor, float):
                quotient = value / divisor
                try:
                    return int(quotient) == quotient
                except OverflowError:
                    from fractions import Fraction  # rare; its import (decimal) costs start-up time

                    return (Fraction(value) / Fraction(divisor)).denominator == 1
            return not value % divisor

        return check

    # -- strings ------------------------------------------------------------------------------------------

    def k_minLength(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, str) or len(value) >= limit

    def k_maxLength(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, str) or len(value) <= limit

    def k_pattern(self, pattern, _schema) -> Check:
        search = re.compile(pattern).search
        return lambda value: not isinstance(value, str) or search(value) is not None

    # -- arrays -------------------------------------------------------------------------------------------

    def k_items(self, subschema, schema) -> Check:
        prefix = [self.compile(s) for s in schema.get("prefixItems", ())]
        rest = self.compile(subschema)

        def check(value) -> bool:
            if not isinstance(value, list):
                return True
            return (all(c(item) for c, item in zip(prefix, value))
                    and all(rest(item) for item in value[len(prefix):]))

        return check

    def k_prefixItems(self, subschemas, schema) -> Check:
        if "items" in schema:
            return _always  # checked together with items
        prefix = [self.compile(s) for s in subschemas]
        return lambda value: not isinstance(value, list) or all(c(item) for c, item in zip(prefix, value))

    def k_minItems(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, list) or len(value) >= limit

    def k_maxItems(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, list) or len(value) <= limit

    def k_uniqueItems(self, unique, _schema) -> Check:
        if not unique:
            return _always
        return lambda value: not isinstance(value, list) or _unique(value)

    def k_contains(self, subschema, schema) -> Check:
        check = self.compile(subschema)
        minimum = schema.get("minContains", 1)
        maximum = schema.get("maxContains")

        def contains(value) -> bool:
            if not isinstance(value, list):
                return True
            matches = sum(1 for item in value if check(item))
            return matches >= minimum and (maximum is None or matches <= maximum)

        return contains

    # -- objects ------------------------------------------------------------------------------------------

    def k_properties(self, properties, _schema) -> Check:
        checks = tuple((name, self.compile(s)) for name, s in properties.items())

        def check(value) -> bool:
            if not isinstance(value, dict):
                return True
            for name, valid in checks:
                if name in value and not valid(value[name]):
                    return False
            return True

        return check

    def k_patternProperties(self, patterns, _schema) -> Check:
        checks = tuple((re.compile(p).search, self.compile(s)) for p, s in patterns.items())
        return lambda value: not isinstance(value, dict) or all(
            valid(item) for search, valid in checks for key, item in value.items() if search(key))

    def k_additionalProperties(self, subschema, schema) -> Check:
        known = frozenset(schema.get("properties", ()))
        joined = "|".join(schema.get("patternProperties", {}))
        matches = re.compile(joined).search if joined else None
        valid = self.compile(subschema)

        def check(value) -> bool:
            if not isinstance(value, dict):
                return True
            for key in value:
                if key in known or (matches is not None and matches(key)):
                    continue
                if not valid(value[key]):
                    return False
            return True

        return check

    def k_required(self, names, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or all(name in value for name in names)

    def k_dependentRequired(self, dependencies, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or all(
            all(other in value for other in others) for name, others in dependencies.items() if name in value)

    def k_dependentSchemas(self, dependencies, _schema) -> Check:
        checks = tuple((name, self.compile(s)) for name, s in dependencies.items())
        return lambda value: not isinstance(value, dict) or all(
            valid(value) for name, valid in checks if name in value)

    def k_propertyNames(self, subschema, _schema) -> Check:
        valid = self.compile(subschema)
        return lambda value: not isinstance(value, dict) or all(valid(key) for key in value)

    def k_minProperties(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) >= limit

    def k_maxProperties(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) <= limit


def compile_schema(schema) -> Check:
    """A function telling whether a document is valid under `schema`; raises Unsupported when it cannot."""
    return _Compiler(schema).compile(schema)
