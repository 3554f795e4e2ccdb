"""Conversions from schema-valid YAML values to record fields, shared by the builders of every input kind."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from aimc.errors import Collector, quote
from aimc.load.documents import Document
from aimc.model.inputs import ImageRef, ModelSource, ResourcesPerGpu, SecretKeyRef, StrPairs, YamlPairs
from aimc.model.origin import Origin
from aimc.validate.kube_values import image_problem


def origin_of(doc: Document) -> Origin:
    return Origin(doc.file, doc.source, doc.line, doc.data)


def pairs(mapping: dict[str, Any] | None) -> YamlPairs:
    """A mapping as written, as a tuple of pairs (immutable, order kept)."""
    return tuple((k, v) for k, v in (mapping or {}).items())


def str_pairs(mapping: dict[str, Any] | None) -> StrPairs:
    """A mapping with every value as text (labels, node selectors, environment variables), sorted by key: the key
    order of a mapping carries no meaning, and Kustomize sorts it, so the output must not depend on it."""
    return tuple(sorted((k, str(v)) for k, v in (mapping or {}).items()))


def canonical(value: Any) -> Any:
    """A Kubernetes sub-object passed through as given (an EnvVar, a Toleration) with every mapping's keys sorted,
    frozen (read-only mappings, tuples: records/frozen); list order is kept (it can matter: `$(VAR)` in an env value
    refers to earlier entries)."""
    if isinstance(value, dict):
        return MappingProxyType({k: canonical(value[k]) for k in sorted(value)})
    if isinstance(value, list):
        return tuple(canonical(item) for item in value)
    return value


def scalar_text(value: Any) -> str | None:
    """A recipe value as the engine reads it: `2.0` is `2`; None stays None (a bare flag)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def secret_key_ref(raw: dict[str, Any] | None) -> SecretKeyRef | None:
    """spec.hfTokenSecret (the schema requires `name`)."""
    return SecretKeyRef(raw["name"], raw.get("key")) if raw else None


def resources_per_gpu(raw: dict[str, Any] | None) -> ResourcesPerGpu | None:
    """spec.resources or spec.defaults.resources; None when absent or empty (an empty one changes nothing)."""
    if not raw:
        return None
    return ResourcesPerGpu(optional_text(raw.get("cpuPerGpu")), optional_text(raw.get("memoryPerGpu")),
                           optional_text(raw.get("memoryLimitPerGpu")))


def image_ref(raw: Any, path: tuple, engine: str | None = None, hardware: str | None = None) -> ImageRef | None:
    """An image as written: a reference, or `{image: ..., engineVersion: ...}` (the schema allows both)."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        version = raw.get("engineVersion")
        return ImageRef(raw["image"], None if version is None else str(version), path, hardware, engine)
    return ImageRef(str(raw), None, path, hardware, engine)


def image_defaults(raw: dict[str, Any] | None) -> tuple[ImageRef, ...]:
    """spec.defaults.images: engine -> an image, or hardware -> an image (hardware names upper-cased)."""
    out: list[ImageRef | None] = []
    for engine, value in (raw or {}).items():
        base = ("spec", "defaults", "images", engine)
        if isinstance(value, dict) and "image" not in value:
            out.extend(image_ref(image, (*base, hardware), engine, hardware.upper())
                       for hardware, image in value.items())
        else:
            out.append(image_ref(value, base, engine))
    return tuple(ref for ref in out if ref is not None)  # (None only for a null image, which the schema refuses)


def model_source(raw: dict | None, where: tuple, origin: Origin, collector: Collector,
                 from_inventory: bool = False) -> ModelSource | None:
    """spec.modelSource (or an inventory default) -> ModelSource; an image that is no pinned reference is an error at
    its line (a tag other than latest, or a digest: every pod of every sync mounts the same weights)."""
    if raw is None:
        return None
    problem = image_problem(raw["image"])
    if problem:
        path = (*where, "image")
        collector.error(origin.file, origin.line_of(*path), ".".join(map(str, path)), problem)
    folder = raw.get("path")
    if folder is not None and any(part in (".", "..") for part in folder.split("/")):
        path = (*where, "path")
        collector.error(origin.file, origin.line_of(*path), ".".join(map(str, path)),
                        f"{quote(folder)} is not a plain folder of the image: '..' would leave it (Kubernetes refuses "
                        "'..' in a subPath) and '.' names nothing; give the folder from the image's root, e.g. "
                        "models/qwen3")
    return ModelSource(raw["image"], folder, tuple(where), from_inventory)
