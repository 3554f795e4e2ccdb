"""Load rendered objects into the `kubernetes` package's typed models and report fields they do not know.

Only `validate` imports this, and the `kubernetes` package (~0.2 s to import) only for the objects the table of
model_shapes.py cannot vouch for. We use the models' own `openapi_types` / `attribute_map`, never the API client.
"""

from __future__ import annotations

import re

from aimc.errors import Diagnostic
from aimc.k8s import model_shapes
from aimc.load.yaml_positions import line_of
from aimc.records import serialisable

# apiVersion/kind -> model class name, for the kinds aimc renders or users commonly pass through.
_GROUP_PREFIX = {"": "V1", "v1": "V1"}


def candidate_names(api_version: str, kind: str) -> list[str]:
    """The package's model names an apiVersion/kind may have, the first found wins: `V1Deployment`, and for a group
    `V1NetworkingIngress`-style names first."""
    group, _, version = api_version.rpartition("/")
    version_prefix = version[0].upper() + version[1:]
    candidates = [f"{version_prefix}{kind}"]
    if group:
        group_word = "".join(p.capitalize() for p in group.split(".")[0].split("-"))
        candidates.insert(0, f"{version_prefix}{group_word}{kind}")
    return candidates


def model_class(api_version: str, kind: str):
    from kubernetes.client import models

    for name in candidate_names(api_version, kind):
        cls = getattr(models, name, None)
        if cls is not None:
            return cls
    return None


def to_model(data, type_name: str, path: str, unknown: list, parts: tuple = ()):
    """Build a typed model from plain data, recording unknown fields as (path, message, parts): `parts` is the path
    as keys and indexes, to find the field's line in a passed-through document."""
    return _Walker().to_model(data, type_name, path, unknown, parts)


_SCALAR_TYPES = frozenset({"str", "int", "float", "bool", "object", "datetime", "date", "bytes"})
# Type names: `list[X]` / `dict(str, X)` in older releases of the package, `List[X]` / `Dict[str, X]` in newer.
_LIST_TYPE = re.compile(r"[Ll]ist\[(.*)\]")
_DICT_TYPE = re.compile(r"dict\([^,]*, (.*)\)|Dict\[[^,]*, (.*)\]")


class _Walker:
    """One check's walk. What it remembers is read from the `kubernetes` package (how each of its type names reads,
    each model's JSON names), never from the objects walked, and lives as long as the check: a 1,000-endpoint
    validate otherwise parsed the same few hundred type names half a million times (issue 24)."""

    def __init__(self) -> None:
        from kubernetes.client import models

        self.models = models
        self.types: dict[str, tuple] = {}

    def _type(self, type_name: str) -> tuple:
        """("list", inner) | ("dict", inner) | ("scalar",) | ("model", class, JSON name -> attribute)."""
        known = self.types.get(type_name)
        if known is None:
            if match := _LIST_TYPE.fullmatch(type_name):
                known = ("list", match.group(1))
            elif match := _DICT_TYPE.fullmatch(type_name):
                known = ("dict", match.group(1) or match.group(2))
            elif type_name in _SCALAR_TYPES:
                known = ("scalar",)
            else:
                cls = getattr(self.models, type_name)
                known = ("model", cls, {v: k for k, v in cls.attribute_map.items()})
            self.types[type_name] = known
        return known

    def to_model(self, data, type_name: str, path: str, unknown: list, parts: tuple = ()):
        if data is None:
            return None
        known = self._type(type_name)
        shape = known[0]
        if shape == "list":
            if not isinstance(data, list):
                unknown.append((path, f"expected a list, got {type(data).__name__}", parts))
                return None
            return [self.to_model(v, known[1], f"{path}[{i}]", unknown, (*parts, i)) for i, v in enumerate(data)]
        if shape == "dict":
            if not isinstance(data, dict):
                unknown.append((path, f"expected a mapping, got {type(data).__name__}", parts))
                return None
            return {k: self.to_model(v, known[1], f"{path}.{k}", unknown, (*parts, k)) for k, v in data.items()}
        if shape == "scalar":
            return data
        cls, json_to_attr = known[1], known[2]
        if not isinstance(data, dict):
            unknown.append((path, f"expected a mapping for {type_name}", parts))
            return None
        kwargs = {}
        for key, value in data.items():
            attr = json_to_attr.get(key)
            if attr is None:
                unknown.append((f"{path}.{key}" if path else key, f"unknown field for {type_name}", (*parts, key)))
                continue
            kwargs[attr] = self.to_model(value, cls.openapi_types[attr], f"{path}.{key}" if path else key, unknown,
                                         (*parts, key))
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:  # the models validate types (pydantic in recent releases)
            unknown.append((path or "(object)", f"rejected by {type_name}: {str(exc).splitlines()[0]}", parts))
            return None


def from_model(model):
    """Plain data back from a typed model (the JSON names, not the Python attribute names)."""
    if isinstance(model, list):
        return [from_model(v) for v in model]
    if isinstance(model, dict):
        return {k: from_model(v) for k, v in model.items()}
    if hasattr(model, "attribute_map") and hasattr(model, "openapi_types"):
        out = {}
        for attr, key in model.attribute_map.items():
            value = getattr(model, attr)
            if value is not None:
                out[key] = from_model(value)
        return out
    return model


def check_objects(objects) -> list[Diagnostic]:
    """Every object's unknown fields and rejections by the package's models. Objects the table of model_shapes
    certifies skip the models (and their import): the models would accept them without a word."""
    problems: list[Diagnostic] = []
    shapes = model_shapes.Shapes.for_installed_package()
    walker = None
    for item in objects:
        obj = serialisable(item.obj)  # read only: walked against the typed models
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        if shapes is not None and _certified(shapes, obj, api_version, kind):
            continue
        walker = walker or _Walker()
        problems += _problems(walker, item, obj, api_version, kind)
    return problems


def _certified(shapes: model_shapes.Shapes, obj: dict, api_version: str, kind: str) -> bool:
    """True when the table vouches for the object: its model takes it whole, or the package has no model for it."""
    for name in candidate_names(api_version, kind):
        found = shapes.lookup(name)
        if found == "model":
            return shapes.accepts(obj, name)
        if found == "other":
            return False
    return True  # a kind the kubernetes package has no model for (CRDs): nothing to check against


def _problems(walker: _Walker, item, obj: dict, api_version: str, kind: str) -> list[Diagnostic]:
    cls = model_class(api_version, kind)
    if cls is None:
        return []  # a kind the kubernetes package has no model for (CRDs): nothing to check against
    unknown: list = []
    walker.to_model(obj, cls.__name__, "", unknown)
    problems = []
    name = (obj.get("metadata") or {}).get("name", "?")
    for path, message, parts in unknown:
        # A passed-through object keeps its positions: point at the field itself (rendered ones, at their spec).
        where = item.positions if getattr(item, "positions", None) is not None else obj
        problems.append(Diagnostic(item.file or item.source, line_of(where, parts, item.line), path,
                                   f"{message} ({obj.get('kind')} '{name}')"))
    return problems
