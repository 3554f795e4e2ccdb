"""A fast block-style YAML writer whose output is byte-identical to PyYAML's.

PyYAML's dumper spends most of its time in Python (representer and resolver), once per node: on a large repository
it was more than half of `aimc build`. Our objects are plain JSON-like trees, and their block layout is simple, so
this module lays out the structure itself and asks PyYAML only how to write each distinct scalar (remembered by the
`Writer` of one stream: labels, keys and flags repeat thousands of times). Quoting therefore follows PyYAML's rules
exactly.

The layout is that of `yaml.dump(data, Dumper=scalars.SafeDumper, default_flow_style=False, sort_keys=False,
allow_unicode=True, width=<infinite>)`. Whatever this writer cannot guarantee to write identically (a scalar PyYAML
would spread over several lines, a key too long to be a simple key, a value of another type) makes `dump` return
None, and the caller falls back to PyYAML. tests/test_yamlout.py compares both on generated data.
"""

from __future__ import annotations

import re

import yaml

from aimc.emit.scalars import SafeDumper, resolves_to_str

WIDTH = 1 << 30  # never fold long strings (command-line arguments)
MAX_SIMPLE_KEY = 127
_LINE_BREAKS = "\r\n\x85\u2028\u2029"


class _Unsupported(Exception):
    pass


# A string of these characters, starting with a letter or digit, has no YAML indicator, space or line break, so
# PyYAML writes it plain unless a resolver reads it as another type (`true`, `1.5`, `null`, and for YAML 1.2 and
# go-yaml `5e-5`, `0o17`, `y`: see scalars.py).
_PLAIN_CANDIDATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
# Distinct scalars a writer remembers (a stream's labels, keys, flags), then it starts over. Remembering matters: at
# 1,000 endpoints (bench/generate.py) the stream takes ~0.4 s with one writer for the stream, ~3.1 s with one per
# object, ~4.8 s asking PyYAML for every scalar.
MAX_REMEMBERED = 100_000


def _pyyaml_text(value) -> str:
    """How PyYAML writes this scalar on its own, without the document end marker."""
    text = yaml.dump(value, Dumper=SafeDumper, allow_unicode=True, width=WIDTH)
    text = text[:-5] if text.endswith("\n...\n") else text[:-1]
    if "\n" in text:
        raise _Unsupported  # multi-line scalar: its continuation lines depend on the indentation
    return text


class Writer:
    """Writes objects as block YAML, remembering the text of each distinct scalar it met (labels, keys and flags
    repeat thousands of times in a stream). One writer per stream or file set: what it remembers goes with it."""

    __slots__ = ("keys", "others", "strings")

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}  # text of each string scalar met so far
        self.keys: dict[str, str] = {}  # the same for keys
        self.others: dict[tuple, str] = {}  # integers, booleans and null, by (type, value): True is not 1

    def dump(self, data) -> str | None:
        """`data` (a mapping or a sequence) as PyYAML would write it, or None when only PyYAML can say."""
        out: list[str] = []
        try:
            if isinstance(data, dict) and data:
                self._mapping(data, "", out)
            elif isinstance(data, (list, tuple)) and data:
                self._sequence(data, "", out)
            else:
                return None
        except (_Unsupported, RecursionError):
            return None
        return "\n".join(out) + "\n"

    def _string(self, value: str) -> str:
        text = self.strings.get(value)
        if text is None:
            text = value if _PLAIN_CANDIDATE.fullmatch(value) and resolves_to_str(value) else _pyyaml_text(value)
            _remember(self.strings, value, text)
        return text

    def _scalar(self, value) -> str:
        kind = value.__class__
        if kind is str:
            return self._string(value)
        if kind is float:
            return _pyyaml_text(value)  # rare in our objects, and 0.0 and -0.0 would share a cache entry
        if kind is int or kind is bool or value is None:
            text = self.others.get((kind, value))
            if text is None:
                text = _pyyaml_text(value)
                _remember(self.others, (kind, value), text)
            return text
        raise _Unsupported

    def _key(self, key) -> str:
        text = self.keys.get(key)
        if text is None:
            key = str(key)
            text = self._string(key)
            # PyYAML writes a multi-line or long key as a complex key (`? key`); we leave those to it.
            if len(text) > MAX_SIMPLE_KEY or any(char in key for char in _LINE_BREAKS):
                raise _Unsupported
            _remember(self.keys, key, text)
        return text

    def _mapping(self, data: dict, pad: str, out: list) -> None:
        # The hottest loop of a large build: remembered texts are looked up inline, the rest goes through the helpers;
        # values are told apart by their exact class first (the rendered trees hold plain dicts, lists and strings),
        # `isinstance` only for the rest.
        keys, strings, append = self.keys, self.strings, out.append
        inner = None
        for key, value in data.items():
            key_text = keys.get(key) if key.__class__ is str else None
            if key_text is None:
                key_text = self._key(key)
            kind = value.__class__
            if kind is str:
                text = strings.get(value)
                append(f"{pad}{key_text}: {text if text is not None else self._string(value)}")
            elif kind is dict:
                if value:
                    append(f"{pad}{key_text}:")
                    if inner is None:
                        inner = pad + "  "
                    self._mapping(value, inner, out)
                else:
                    append(f"{pad}{key_text}: {{}}")
            elif kind is list:
                if value:
                    append(f"{pad}{key_text}:")
                    self._sequence(value, pad, out)  # PyYAML does not indent a sequence inside a mapping
                else:
                    append(f"{pad}{key_text}: []")
            elif isinstance(value, dict):  # (a subclass: plain ones are above)
                if value:
                    append(f"{pad}{key_text}:")
                    self._mapping(value, pad + "  ", out)
                else:
                    append(f"{pad}{key_text}: {{}}")
            elif isinstance(value, (list, tuple)):
                if value:
                    append(f"{pad}{key_text}:")
                    self._sequence(value, pad, out)
                else:
                    append(f"{pad}{key_text}: []")
            else:
                append(f"{pad}{key_text}: {self._scalar(value)}")

    def _sequence(self, items, pad: str, out: list) -> None:
        inner = pad + "  "
        strings, append = self.strings, out.append
        for item in items:
            kind = item.__class__
            if kind is str:
                text = strings.get(item)
                append(f"{pad}- {text if text is not None else self._string(item)}")
            elif kind is dict and item:
                # A nested block starts on the dash's line: write it indented, then put the dash in its first indent.
                start = len(out)
                self._mapping(item, inner, out)
                out[start] = f"{pad}- {out[start][len(inner):]}"
            elif isinstance(item, (dict, list, tuple)) and item:
                start = len(out)
                if isinstance(item, dict):
                    self._mapping(item, inner, out)
                else:
                    self._sequence(item, inner, out)
                out[start] = f"{pad}- {out[start][len(inner):]}"
            elif isinstance(item, dict):
                append(f"{pad}- {{}}")
            elif isinstance(item, (list, tuple)):
                append(f"{pad}- []")
            else:
                append(f"{pad}- {self._scalar(item)}")


def _remember(table: dict, key, text: str) -> None:
    if len(table) >= MAX_REMEMBERED:
        table.clear()
    table[key] = text


def dump(data) -> str | None:
    """`data` as PyYAML would write it, or None (see `Writer.dump`), with a writer of its own."""
    return Writer().dump(data)
