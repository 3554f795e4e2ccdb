"""Frozen records: the immutable values every stage hands to the next (inputs, plans, diagnostics, options).

They are `msgspec.Struct` classes, not `dataclasses`: on Python 3.11 the dataclass decorator compiles six methods per
class with `exec` when the module is imported, about 0.6 ms per class, which for the ~60 classes a build imports was
a fifth of the start-up of a small `aimc build` (the process Argo CD and pre-commit start for every render). A Struct
class is created in C in a few microseconds, and its instances are built and compared in C too, which the
thousands of candidates and traces of a large repository also feel.

Semantics are the dataclass ones aimc relied on: positional or keyword construction, defaults, immutability
(assignment raises AttributeError), equality and hashing over every field, `order=True` where a record sorts, and
`replace` for an updated copy (it runs `__post_init__` again). A record holds immutable values only (tuples,
frozensets, read-only mappings: `frozen` makes a YAML structure so, `thawed` gives a fresh mutable copy back), so a
frozen record really is one. A field derived from the others in `__post_init__` is
set there with `force_setattr`, the one way to write to a frozen record. A field that must not take part in equality
(the raw document a record was read from) is excluded by the record's own `__eq__` and `__hash__`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, dataclass_transform

from msgspec import Struct, field
from msgspec.structs import asdict, force_setattr, replace

__all__ = ["FrozenList", "FrozenTree", "Record", "asdict", "compared_on", "field", "force_setattr", "frozen", "replace",
           "serialisable", "thawed"]


# msgspec declares `Struct` with PEP 681's `dataclass_transform`, which is how a type checker knows a Struct's fields
# and constructor. At run time a subclass of a frozen Struct is frozen too; a type checker only knows that when the
# base says `frozen_default=True` (without it mypy reads every `class X(Record)` as a non-frozen dataclass inheriting
# from a frozen one, an error per record, and allows assignments that raise at run time).
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Record(Struct, frozen=True):
    """Base of every frozen record: subclasses inherit `frozen` (and may add `order=True`)."""


def compared_on(*names: str):
    """`__eq__`, `__ne__` and `__hash__` over these fields only, for a record that also carries a field equality must
    ignore (the raw document it was read from). Use: `__eq__, __ne__, __hash__ = compared_on("file", "line")`."""

    def key(record) -> tuple:
        return tuple(getattr(record, name) for name in names)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and key(self) == key(other)

    def __ne__(self, other) -> bool:  # Struct's own `!=` compares every field: it must follow `__eq__`
        return not __eq__(self, other)

    def __hash__(self) -> int:
        return hash(key(self))

    return __eq__, __ne__, __hash__


def frozen(value: Any) -> Any:
    """`value` with every mapping read-only (`MappingProxyType`) and every list a tuple, all the way down: what a
    frozen record may hold of a structure given as YAML (an EnvVar, a Toleration, a built-in data file)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    return value


def thawed(value: Any) -> Any:
    """A frozen structure as fresh plain dicts and lists, e.g. to place into a rendered object of its own."""
    if isinstance(value, Mapping):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thawed(item) for item in value]
    return value


_ABSENT = object()  # a key a mapping does not hold (None may be a value)


class FrozenTree(Mapping):
    """A read-only view of a tree of plain dicts and lists (a rendered Kubernetes object): reading it gives read-only
    views of its inner mappings and lists, so nothing reached through a record can change it for the others.

    A view, not a copy: `frozen` would copy every one of the ~260 values of an object, about 7 % of a large build's
    CPU, while most objects are only read once, by the serialiser. The tree given to the constructor must be the
    caller's own (render builds a fresh one per object) and is not kept by it. The serialisers of the emit and k8s
    stages read the tree itself through `serialisable` (tests/test_architecture.py allows no other caller).

    Final, like FrozenList: with no subclass, `value.__class__ is FrozenTree` says what `isinstance` says, without
    the detour through `Mapping`'s ABC machinery that every rendered object paid several times."""

    __slots__ = ("_data",)

    def __init_subclass__(cls, **kwargs):
        raise TypeError("FrozenTree is final: its identity checks (`__class__ is FrozenTree`) rely on it")

    def __init__(self, data: Mapping) -> None:
        self._data: Mapping = data._data if data.__class__ is FrozenTree else data

    def __getitem__(self, key):
        return _view(self._data[key])

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key) -> bool:
        return key in self._data

    def get(self, key, default=None):
        """Mapping.get without its detour through __getitem__ and KeyError: checks and ordering read every object's
        metadata this way (~35 ms of a 10,000-endpoint build, bench/generate.py)."""
        value = self._data.get(key, _ABSENT)
        return default if value is _ABSENT else _view(value)

    def __eq__(self, other) -> bool:
        if other.__class__ is FrozenTree:
            return bool(self._data == other._data)
        return bool(self._data == other) if isinstance(other, dict) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, like the dict it shows

    def __repr__(self) -> str:
        return f"FrozenTree({self._data!r})"


class FrozenList(Sequence):
    """A read-only view of a list inside a `FrozenTree`. Final (see FrozenTree)."""

    __slots__ = ("_data",)

    def __init_subclass__(cls, **kwargs):
        raise TypeError("FrozenList is final: its identity checks (`__class__ is FrozenList`) rely on it")

    def __init__(self, data: Sequence) -> None:
        self._data: Sequence = data

    def __getitem__(self, index):  # a slice gives a view too
        if isinstance(index, slice):
            return FrozenList(self._data[index])
        return _view(self._data[index])

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other) -> bool:
        if other.__class__ is FrozenList:
            return bool(self._data == other._data)
        return bool(list(self._data) == other) if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, like the list it shows

    def __repr__(self) -> str:
        return f"FrozenList({self._data!r})"



def _view(value: Any) -> Any:
    kind = value.__class__
    if kind is str:  # most values read (names, kinds): no isinstance for them
        return value
    if kind is dict or isinstance(value, dict):
        return FrozenTree(value)
    if kind is list or isinstance(value, list):
        return FrozenList(value)
    return value


def object_identity(tree: Any) -> tuple:
    """(apiVersion, kind, metadata.namespace, metadata.name) of a rendered object, as `tree.get(...)` reads them (a
    view of whatever is not a string), in one call: the pipeline compares every object of a build by it."""
    data = tree._data if tree.__class__ is FrozenTree else tree
    meta = data.get("metadata") or {}
    api_version, kind, namespace, name = (data.get("apiVersion"), data.get("kind"), meta.get("namespace"),
                                          meta.get("name"))
    if api_version.__class__ is str and kind.__class__ is str and name.__class__ is str and (
            namespace is None or namespace.__class__ is str):  # (the usual object: no views to make)
        return api_version, kind, namespace, name
    return _view(api_version), _view(kind), _view(namespace), _view(name)


def serialisable(tree: Any) -> Any:
    """The plain tree behind a `FrozenTree` or `FrozenList` (anything else as it is), for a serialiser that only reads
    it: emit's writers and the typed-model walk of k8s (tests/test_architecture.py allows no other caller)."""
    kind = tree.__class__  # the two classes are final: no isinstance through the ABCs
    return tree._data if kind is FrozenTree or kind is FrozenList else tree
