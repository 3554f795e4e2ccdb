"""Load rendered objects into the `kubernetes` package's typed models and report fields they do not know.

Only `validate` imports this (the `kubernetes` package takes ~0.4 s to import). We use the models' own
`openapi_types` / `attribute_map`, never the API client.
"""

from __future__ import annotations

import re

from aimc.errors import Diagnostic
from aimc.load.yaml_positions import line_of
from aimc.records import serialisable

# apiVersion/kind -> model class name, for the kinds aimc renders or users commonly pass through.
_GROUP_PREFIX = {"": "V1", "v1": "V1"}


def model_class(api_version: str, kind: str):
    from kubernetes.client import models

    group, _, version = api_version.rpartition("/")
    version_prefix = version[0].upper() + version[1:]
    candidates = [f"{version_prefix}{kind}"]
    if group:
        group_word = "".join(p.capitalize() for p in group.split(".")[0].split("-"))
        candidates.insert(0, f"{version_prefix}{group_word}{kind}")
    for name in candidates:
        cls = getattr(models, name, None)
        if cls is not None:
            return cls
    return None


def to_model(data, type_name: str, path: str, unknown: list, parts: tuple = ()):
    """Build a typed model from plain data, recording unknown fields as (path, message, parts): `parts` is the path
    as keys and indexes, to find the field's line in a passed-through document."""
    from kubernetes.client import models

    if data is None:
        return None
    # Type names: `list[X]` / `dict(str, X)` in older releases of the package, `List[X]` / `Dict[str, X]` in newer.
    match = re.fullmatch(r"[Ll]ist\[(.*)\]", type_name)
    if match:
        if not isinstance(data, list):
            unknown.append((path, f"expected a list, got {type(data).__name__}", parts))
            return None
        return [to_model(v, match.group(1), f"{path}[{i}]", unknown, (*parts, i)) for i, v in enumerate(data)]
    match = re.fullmatch(r"dict\([^,]*, (.*)\)|Dict\[[^,]*, (.*)\]", type_name)
    if match:
        if not isinstance(data, dict):
            unknown.append((path, f"expected a mapping, got {type(data).__name__}", parts))
            return None
        inner = match.group(1) or match.group(2)
        return {k: to_model(v, inner, f"{path}.{k}", unknown, (*parts, k)) for k, v in data.items()}
    if type_name in ("str", "int", "float", "bool", "object", "datetime", "date", "bytes"):
        return data
    cls = getattr(models, type_name)
    if not isinstance(data, dict):
        unknown.append((path, f"expected a mapping for {type_name}", parts))
        return None
    json_to_attr = {v: k for k, v in cls.attribute_map.items()}
    kwargs = {}
    for key, value in data.items():
        attr = json_to_attr.get(key)
        if attr is None:
            unknown.append((f"{path}.{key}" if path else key, f"unknown field for {type_name}", (*parts, key)))
            continue
        kwargs[attr] = to_model(value, cls.openapi_types[attr], f"{path}.{key}" if path else key, unknown,
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
    problems = []
    for item in objects:
        obj = serialisable(item.obj)  # read only: walked against the typed models
        cls = model_class(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        if cls is None:
            continue  # a kind the kubernetes package has no model for (CRDs): nothing to check against
        unknown: list = []
        to_model(obj, cls.__name__, "", unknown)
        name = (obj.get("metadata") or {}).get("name", "?")
        for path, message, parts in unknown:
            # A passed-through object keeps its positions: point at the field itself (rendered ones, at their spec).
            where = item.positions if getattr(item, "positions", None) is not None else obj
            problems.append(Diagnostic(item.file or item.source, line_of(where, parts, item.line), path,
                                       f"{message} ({obj.get('kind')} '{name}')"))
    return problems
