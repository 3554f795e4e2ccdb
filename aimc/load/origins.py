"""Where an object handed over by another tool came from, read from the annotations that tool adds.

- Kustomize with `buildMetadata: [originAnnotations]` writes `config.kubernetes.io/origin`, a YAML text:
  `path: endpoints/qwen.yaml` (relative to the kustomization folder), plus `repo:` and `ref:` for a remote base.
  It names no line and no document index.
- KRM orchestrators write `internal.config.kubernetes.io/path` and `.../index` (older ones `config.kubernetes.io/...`).
  kpt writes the real file, relative to the package; Kustomize running a KRM function writes made-up names
  (`aimendpoint_qwen3-32b.yaml`), which is why a path only counts when a file there holds the object.
"""

from __future__ import annotations

import yaml

from aimc.records import Record

ORIGIN = "config.kubernetes.io/origin"
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
# Kustomize remembers the names an object had before namePrefix/nameSuffix or a patch renamed it.
PREVIOUS_NAMES = "internal.config.kubernetes.io/previousNames"


class Annotated(Record):
    """What the annotations of one object say about its source."""

    paths: tuple[str, ...]  # candidate files, most trusted first (relative to the tool's root)
    remote: str | None  # `repo//path?ref=...` for an object from a remote Kustomize base (not readable here)
    tracked_path: str | None  # the KRM path annotation as given (for KRM results' `file.path`)
    tracked_index: int | None  # the KRM index annotation: the document's index within `tracked_path`
    names: tuple[str, ...]  # the object's name now and before any renaming


def annotated(resource: dict) -> Annotated:
    meta = resource.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    annotations = meta.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    origin = _origin(annotations.get(ORIGIN))
    paths, remote = [], None
    if origin.get("path"):
        if origin.get("repo"):
            remote = f"{origin['repo']}//{origin['path']}" + (f"?ref={origin['ref']}" if origin.get("ref") else "")
        else:
            paths.append(str(origin["path"]))
    tracked_path = next((str(annotations[a]) for a in PATH_ANNOTATIONS if annotations.get(a)), None)
    index_text = next((str(annotations[a]) for a in INDEX_ANNOTATIONS if annotations.get(a) is not None), "")
    index = int(index_text) if index_text.isdigit() else None
    if tracked_path and tracked_path not in paths:
        paths.append(tracked_path)
    name = meta.get("name")
    names = [str(name)] if name is not None else []
    names += [n for n in str(annotations.get(PREVIOUS_NAMES, "")).split(",") if n and n not in names]
    return Annotated(tuple(paths), remote, tracked_path, index, tuple(names))


def _origin(text) -> dict:
    if not isinstance(text, str):
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def matches(document, resource: dict, names: tuple[str, ...]) -> bool:
    """A document of the source file is the object when kind and one of its names agree (overlays may patch
    everything else, the namespace included)."""
    if not isinstance(document, dict):
        return False
    meta = document.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return document.get("kind") == resource.get("kind") and name is not None and str(name) in names
