"""Memos that cannot change an answer: they live for one compile, key on typed values, and are bounded.

A memo that outlives a compile carries one repository's values into the next (`aimc diff` compiles two revisions in
one process; so do the KRM function, the tests and library users), and a memo keyed on raw YAML values mixes up
values Python calls equal: `True == 1 == 1.0` and `hash(True) == hash(1)`, so a customArgs `true` once found the
merge of another endpoint's `1` (issue 21). Hence:

- `one_compile()` opens a scope (`pipeline.compile` and `pipeline.resolve_inputs` open one); a `per_compile`
  function remembers its results only inside a scope, in tables dropped when the scope ends. Outside any scope (a
  unit test calling the function directly) it simply computes. The scope is held in a `ContextVar`, so threads and
  nested scopes each see their own.
- `typed_key` turns the arguments into a key under which no value of another type can be found: plain data by its
  `marshal` bytes (which write each value's type), records and enums walked and paired with their type.
- Each table holds at most `limit` entries; a full table is emptied and starts again (a memo is a speed-up only).

Process-wide caches remain only for the built-in catalog (files shipped with aimc, the same for every compile):
functions of no argument (`functools.cache`), or `catalog_cache`, whose arguments must be names from a closed set the
catalog defines. tests/test_architecture.py keeps it that way.
"""

from __future__ import annotations

import functools
import marshal
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from types import MappingProxyType
from typing import TypeVar

from msgspec import Struct
from msgspec.structs import astuple

__all__ = ["catalog_cache", "compile_table", "interned", "one_compile", "per_compile", "per_compile_records",
           "typed_key"]

Result = TypeVar("Result")
RecordT = TypeVar("RecordT", bound=Struct)


class Memo:
    """One compile's memo tables: a table per memoised function, typed key -> result."""

    __slots__ = ("tables",)

    def __init__(self) -> None:
        self.tables: dict[object, dict] = {}


_ACTIVE: ContextVar[Memo | None] = ContextVar("aimc_compile_memo", default=None)


@contextmanager
def one_compile():
    """The scope of one compile's memos. Inside another scope (`explain` resolving inside its compile) the outer
    one goes on: it is still the same compile."""
    if _ACTIVE.get() is not None:
        yield
        return
    token = _ACTIVE.set(Memo())
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def typed_key(value) -> Hashable:
    """`value` as a hashable key that equals only the key of a value of the same type and the same content.

    Plain data (strings, numbers, booleans, None, bytes, and tuples, lists and dicts of them) is keyed on its
    `marshal` bytes, format 2: a faithful serialisation that writes each value's type (`T` true, `i` an int, `g` a
    float by its bits, `u` a string), so `true`, `1`, `1.0` and `"1"` give four keys and `0.0` and `-0.0` two, and
    that has no back-references, so equal values give equal bytes. It runs in C, several times faster than walking
    the value in Python. What marshal refuses (a record, an enum, a subclass of a built-in type) is walked: paired
    with its type, its parts keyed the same way. Bytes never equal a pair, so the two kinds of key cannot meet."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:  # raised only for a value marshal cannot write
        return _walked(value)


def _walked(value) -> tuple:
    kind = value.__class__
    if kind is tuple or kind is list:
        return kind, tuple([typed_key(item) for item in value])
    if kind is dict or kind is MappingProxyType:  # in written order: the order of a recipe's flags is its meaning
        return kind, tuple([(typed_key(k), typed_key(v)) for k, v in value.items()])
    if kind is frozenset or kind is set:
        return kind, frozenset([typed_key(item) for item in value])
    if isinstance(value, Struct):
        named = getattr(value, "memo_name", None)
        if named is not None:  # a record of the built-in catalog that its name identifies (a flag set)
            return kind, typed_key(named)
        # every field, also those a record's own equality leaves out; a record of plain values in one marshal call
        fields = astuple(value)
        try:
            return kind, marshal.dumps(fields, 2)
        except ValueError:
            return kind, tuple([typed_key(field) for field in fields])
    if isinstance(value, Enum):
        return kind, value.name
    raise TypeError(f"no typed memo key for a {kind.__name__}")  # a bug: a new type must be added above


def compile_table(owner: object) -> dict:
    """The current compile's table for `owner`, for a hot loop that looks its keys up itself (the YAML loader's tag
    memo, keyed on the text of a plain scalar: a string, so typed already); outside a compile, a table of its own.
    The caller bounds it."""
    memo = _ACTIVE.get()
    if memo is None:
        return {}
    table = memo.tables.get(owner)
    if table is None:
        table = memo.tables[owner] = {}
    return table


def per_compile(limit: int) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Remember the results of a pure function for the current compile (see the module's
    docstring); at most `limit` of them. Results are shared between callers: they must be immutable."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(function)
        def memoised(*args, **kwargs) -> Result:
            memo = _ACTIVE.get()
            if memo is None:
                return function(*args, **kwargs)
            table = memo.tables.get(function)
            if table is None:
                table = memo.tables[function] = {}
            key = typed_key((args, kwargs) if kwargs else args)
            try:
                return table[key]
            except KeyError:
                pass
            result = function(*args, **kwargs)
            if len(table) >= limit:
                table.clear()
            table[key] = result
            return result

        return memoised

    return decorate


def per_compile_records(limit: int, records: int = 1) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """`per_compile` for a pure function whose first `records` arguments are frozen records that an earlier memo of
    the compile handed out (a merge, the settings read from it, a model's facts): each is keyed on its identity, the
    remaining arguments on `typed_key`. The same object holds the same values of the same types, so an identity
    key cannot find another value's result; keying a record by identity costs a dictionary lookup where walking
    its fields costs more than most of these functions. The entry keeps the records alive, so that no other object
    takes their identity while the compile lasts. Results are shared between callers: they must be immutable."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(function)
        def memoised(*args) -> Result:
            memo = _ACTIVE.get()
            if memo is None:
                return function(*args)
            table = memo.tables.get(function)
            if table is None:
                table = memo.tables[function] = {}
            held = args[:records]
            rest = args[records:]
            try:
                plain: Hashable = marshal.dumps(rest, 2)  # `typed_key` without its call, for plain values
            except ValueError:
                plain = typed_key(rest)
            key = (id(args[0]), plain) if records == 1 else (*map(id, held), plain)
            entry = table.get(key)
            if entry is not None:
                return entry[1]
            result = function(*args)
            if len(table) >= limit:
                table.clear()
            table[key] = (held, result)
            return result

        return memoised

    return decorate


def interned(record: RecordT, limit: int = 8192) -> RecordT:
    """For the current compile, the first record met of equal fields of the same types as `record` (itself if it is
    the first): records read from distinct inputs that say the same (the memory settings of two endpoints' merges)
    then share one identity, which `per_compile_records` keys on. Outside a compile, `record` itself."""
    memo = _ACTIVE.get()
    if memo is None:
        return record
    table = memo.tables.get(interned)
    if table is None:
        table = memo.tables[interned] = {}
    try:  # a record of plain values (the usual one) in one marshal call, as `typed_key` would after a failed try
        key: Hashable = (record.__class__, marshal.dumps(astuple(record), 2))
    except ValueError:
        key = typed_key(record)
    found = table.get(key)
    if found is not None:
        return found
    if len(table) >= limit:
        table.clear()
    table[key] = record
    return record


def catalog_cache(known: Callable[[], frozenset[tuple[str, ...]]]):
    """A process-wide cache of a function of built-in catalog names (a schema's kind, a shipped flag set's engine and
    version): `known()` (itself cached: a function of no argument) gives every argument tuple the function may be
    called with, all strings. Any other argument is a bug, not a user value to remember, so the cache is bounded by
    the catalog and holds nothing of a repository. Results are shared: they must be immutable or treated so."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        cached = functools.cache(function)

        @functools.wraps(function)
        def reader(*args: str) -> Result:
            for arg in args:  # (a loop, not all() over a generator: the flag sets are asked ~5,000 times a build)
                if arg.__class__ is not str:
                    raise ValueError(f"{function.__qualname__}{args!r}: not a name of the built-in catalog")
            if args not in known():
                raise ValueError(f"{function.__qualname__}{args!r}: not a name of the built-in catalog")
            return cached(*args)

        reader.__dict__["cache_info"] = cached.cache_info  # how many names were read (a function's own attribute)
        return reader

    return decorate
