"""Certify, without importing the `kubernetes` package, the objects its typed models certainly accept.

`aimc validate` loads every rendered object into the package's pydantic models (typed_models.py). Importing them
costs ~0.2 s, and building ~3,700 objects' models another ~0.5 s at 1,000 endpoints: 1.8x a build (issue 24). The
table model_shapes.json, written by tools/gen_k8s_shapes.py from the package's own models, says for each model which
JSON fields it has, of which type, which may be null and which are required. An object that fits it in every field
is one the models accept without a message; any other object (an unknown field, a wrong type, a field the table does
not read, `?`) goes through the models themselves, which write the messages: the check rejects exactly what it
rejected before, with the same words (tests/test_k8s_shapes.py compares both over the goldens and hostile objects).

The table is for one release of the package; with any other release installed every object goes through the models.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

TABLE = Path(__file__).with_name("model_shapes.json")
_VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


def installed_kubernetes_version() -> str | None:
    """The installed package's `__version__`, read from its __init__.py without importing it (0.2 s)."""
    spec = importlib.util.find_spec("kubernetes")
    if spec is None or spec.origin is None:
        return None
    try:
        match = _VERSION_LINE.search(Path(spec.origin).read_text(encoding="utf-8"))
    except OSError:
        return None
    return match.group(1) if match else None


class Shapes:
    """One check's reading of the table: a model's fields and required names, as the package defines them."""

    def __init__(self, table: dict) -> None:
        self.models: dict[str, dict | None] = table["models"]  # None: a model the table does not read
        self.module_names = frozenset(table["module_names"])
        self.required: dict[str, tuple] = {}

    @classmethod
    def for_installed_package(cls) -> Shapes | None:
        """The table when it was written from the installed release of the package, else None."""
        table = json.loads(TABLE.read_text(encoding="utf-8"))
        return cls(table) if table["kubernetes"] == installed_kubernetes_version() else None

    def lookup(self, type_name: str) -> str:
        """`model`, `other` (a name of the package's models module that is not a model) or `absent`."""
        if type_name in self.models:
            return "model"
        return "other" if type_name in self.module_names else "absent"

    def accepts(self, data, type_name: str) -> bool:
        """True only when the model `type_name` takes `data` (JSON names) without an unknown field or a rejection."""
        fields = self.models.get(type_name)
        if fields is None or not isinstance(data, dict):  # the walk takes any dict (a passed-through PosDict too)
            return False
        for key, value in data.items():
            field = fields.get(key)
            if field is None:
                return False
            if value is None:
                if not field[1]:
                    return False
            elif not self._value(value, field[0]):
                return False
        required = self.required.get(type_name)
        if required is None:
            required = self.required[type_name] = tuple(k for k, f in fields.items() if f[2])
        return all(key in data for key in required)

    def _value(self, value, code: str) -> bool:
        """Does a non-null value fit a type of the table (see tools/gen_k8s_shapes.py for the codes)?"""
        kind = type(value)
        if code == "s":
            return kind is str
        if code == "i":
            return kind is int
        if code == "b":
            return kind is bool
        if code == "is":
            return kind is int or kind is str
        if code == "n":
            return kind is int or kind is float
        if code == "f":
            return kind is float
        if code == "a":
            return True
        if code == "d":
            return kind is dict and all(type(k) is str for k in value)
        # Lists and dicts of a type are rebuilt by the walk from any list or dict, so subclasses fit as they do there;
        # `d` (Dict[str, Any]) reaches pydantic as it is, so only a plain dict is certified.
        if code[0] == "[":
            inner = code[1:]
            return isinstance(value, list) and (inner == "a" or all(self._value(v, inner) for v in value))
        if code[0] == "{":
            inner = code[1:]
            return isinstance(value, dict) and all(type(k) is str and self._value(v, inner) for k, v in value.items())
        if code[0].isupper():
            return self.accepts(value, code)
        return False  # `?`: a type the table does not read; the models decide
