"""Values the schemas let through that would not fit the field of the rendered object they land in.

- `spec.model` becomes the value of the HTTPRoute header match that routes the model (Gateway API
  HTTPHeaderMatch.value: at most 4,096 characters, gateway.networking.k8s.io_httproutes.yaml), the engine's
  `--served-model-name` argument and the `aim.engine.amd.com/model` annotation: at most 4,096 characters and no
  control character (an HTTP header value cannot hold CR, LF or NUL, RFC 9110 5.5);
- a recipe's (or an AIM profile's) `model_id` and `huggingface_id` become the engine's `--model` argument and the
  cache path: no control character;
- NUL anywhere: no process argument, environment value (both C strings for execve) or header can carry it;
- an endpoint's annotations are copied onto its objects: Kubernetes refuses more than 256 KiB of annotations on one
  object (TotalAnnotationSizeLimitB, k8s.io/apimachinery/pkg/api/validation/objectmeta.go).
"""

from __future__ import annotations

import re

import msgspec

from aimc.errors import Diagnostic, quote
from aimc.load.yaml_positions import format_path, line_of

MAX_HEADER_VALUE = 4096
MAX_ANNOTATION_BYTES = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def problems(kind: str, data, file: str, line: int) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def add(path: tuple, message: str) -> None:
        out.append(Diagnostic(file, line_of(data, path, line), format_path(path), message))

    for path, text in (_nul_strings(data, ()) if _may_hold_nul(data) else ()):
        add(path, f"{quote(text)} holds a NUL character: no process argument, environment value or HTTP header can "
                  "carry one; remove it")
    if kind == "endpoint":
        spec = data.get("spec") or {}
        model = spec.get("model")
        if isinstance(model, str) and "\x00" not in model:
            problem = _model_id_problem(model, MAX_HEADER_VALUE)
            if problem:
                add(("spec", "model"), problem)
        annotations = (data.get("metadata") or {}).get("annotations") or {}
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
        if size > MAX_ANNOTATION_BYTES:
            add(("metadata", "annotations"), f"the annotations hold {size:,} bytes: Kubernetes accepts at most "
                                             f"{MAX_ANNOTATION_BYTES:,} bytes of annotations on one object")
    if kind in ("recipe", "profile"):
        for field in ("model_id", "huggingface_id"):
            value = data.get(field)
            if isinstance(value, str) and "\x00" not in value:
                problem = _model_id_problem(value, None)
                if problem:
                    add((field,), problem)
    return out


def _model_id_problem(model: str, limit: int | None) -> str | None:
    control = _CONTROL.search(model)
    if control:
        return (f"{quote(model)} holds the control character U+{ord(control.group()):04X}: a model id goes into HTTP "
                "header values, the engine's arguments and annotations, which cannot hold one")
    if limit is not None and len(model) > limit:
        return (f"{quote(model)} is longer than {limit:,} characters: the model id is the value of the HTTPRoute "
                f"header match that routes it (Gateway API allows at most {limit:,})")
    return None


def _may_hold_nul(data) -> bool:
    """False when no string of the document can hold a NUL, found without walking it in Python: JSON writes a NUL
    as `\\u0000` (RFC 8259 7: control characters are escaped), and msgspec writes the document in C, about five
    times faster than `_nul_strings` walks it. True also for a document JSON cannot write (a key that is no string
    or number), and for a text that only reads `\\u0000`: `_nul_strings` then decides."""
    try:
        return b"\\u0000" in msgspec.json.encode(data)
    except (TypeError, ValueError, OverflowError, RecursionError, msgspec.EncodeError):
        return True


def _nul_strings(value, path: tuple):
    if isinstance(value, str):
        if "\x00" in value:
            yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield (*path, key), key
            yield from _nul_strings(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _nul_strings(child, (*path, index))
