"""A fast block-style YAML writer whose output is byte-identical to PyYAML's.

PyYAML's dumper spends most of its time in Python (representer and resolver), once per node: on a large repository
it was more than half of `aimc build`. Our objects are plain JSON-like trees, and their block layout is simple, so
this module lays out the structure itself and asks PyYAML only how to write each distinct scalar (memoised: labels,
keys and flags repeat thousands of times). Quoting therefore follows PyYAML's rules exactly.

The layout is that of `yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True,
width=<infinite>)`. Whatever this writer cannot guarantee to write identically (a scalar PyYAML would spread over
several lines, a key too long to be a simple key, a value of another type) makes `dump` return None, and the
caller falls back to PyYAML. tests/test_yamlout.py compares both on generated data.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

try:
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Dumper = yaml.SafeDumper

WIDTH = 1 << 30  # never fold long strings (command-line arguments)
MAX_SIMPLE_KEY = 127
_LINE_BREAKS = "\r\n\x85\u2028\u2029"
_SCALAR_TYPES = (str, int, float, bool, type(None))


class _Unsupported(Exception):
    pass


@lru_cache(maxsize=65536)
def _scalar_text(kind: type, value) -> str:
    """How PyYAML writes this scalar on its own, without the document end marker. `kind` keeps True apart from 1."""
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=WIDTH)
    text = text[:-5] if text.endswith("\n...\n") else text[:-1]
    if "\n" in text:
        raise _Unsupported  # multi-line scalar: its continuation lines depend on the indentation
    return text


def _scalar(value) -> str:
    kind = type(value)
    if kind not in _SCALAR_TYPES:
        raise _Unsupported
    if kind is float:  # 0.0 == -0.0 would share a cache entry
        return _scalar_text.__wrapped__(kind, value)
    return _scalar_text(kind, value)


@lru_cache(maxsize=65536)
def _key_text(key: str) -> str:
    text = _scalar_text(str, key)
    # PyYAML writes a multi-line or long key as a complex key (`? key`); we leave those to it.
    if len(text) > MAX_SIMPLE_KEY or any(char in key for char in _LINE_BREAKS):
        raise _Unsupported
    return text


def _key(key) -> str:
    return _key_text(key if type(key) is str else str(key))


def _mapping(data: dict, pad: str, out: list) -> None:
    for key, value in data.items():
        key_text = _key(key)
        if isinstance(value, dict):
            if value:
                out.append(f"{pad}{key_text}:")
                _mapping(value, pad + "  ", out)
            else:
                out.append(f"{pad}{key_text}: {{}}")
        elif isinstance(value, (list, tuple)):
            if value:
                out.append(f"{pad}{key_text}:")
                _sequence(value, pad, out)  # PyYAML does not indent a sequence inside a mapping
            else:
                out.append(f"{pad}{key_text}: []")
        else:
            out.append(f"{pad}{key_text}: {_scalar(value)}")


def _sequence(items, pad: str, out: list) -> None:
    inner = pad + "  "
    for item in items:
        if isinstance(item, (dict, list, tuple)) and item:
            # A nested block starts on the dash's line: write it indented, then put the dash in its first indent.
            start = len(out)
            if isinstance(item, dict):
                _mapping(item, inner, out)
            else:
                _sequence(item, inner, out)
            out[start] = f"{pad}- {out[start][len(inner):]}"
        elif isinstance(item, dict):
            out.append(f"{pad}- {{}}")
        elif isinstance(item, (list, tuple)):
            out.append(f"{pad}- []")
        else:
            out.append(f"{pad}- {_scalar(item)}")


def dump(data) -> str | None:
    """`data` (a mapping or a sequence) as PyYAML would write it, or None when only PyYAML can say."""
    out: list[str] = []
    try:
        if isinstance(data, dict) and data:
            _mapping(data, "", out)
        elif isinstance(data, (list, tuple)) and data:
            _sequence(data, "", out)
        else:
            return None
    except (_Unsupported, RecursionError):
        return None
    return "\n".join(out) + "\n"
