"""What Kustomize may load in Argo CD mode: files of the repository only, never a remote base.

Kustomize's own `--load-restrictor LoadRestrictionsRootOnly` (its default) keeps each kustomization's files under
that kustomization's folder, but lets `resources` and `components` name a folder anywhere (`../../../outside`, a
symbolic link to `/etc`) and load bases over the network (a URL, a `git@` or `github.com/...?ref=` reference,
`helmCharts` with a `repo`). aimc reads nothing outside the repository, so before Kustomize runs, every reference of
the application's kustomization, and of every kustomization it reaches, must name an existing file or folder whose
real path (symbolic links resolved) is inside the repository; anything else is an error naming the reference and its
file and line. A reference that does not exist is refused too: Kustomize would try it as a remote base.

The fields are those of sigs.k8s.io/kustomize api/types/kustomization.go that name files or folders (inline YAML in
`patchesStrategicMerge`, `generators`, `transformers` and `validators` is not a reference).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from aimc.errors import Diagnostic, UserError, quote
from aimc.load import limits
from aimc.load.yaml_positions import PosDict, format_path, line_of, load_all

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields holding a list of paths (files, or folders holding a kustomization).
PATH_LISTS = ("resources", "components", "bases", "crds", "configurations", "patchesStrategicMerge", "generators",
              "transformers", "validators")
# Fields holding a list of mappings with a `path`.
PATH_ENTRIES = ("patches", "patchesJson6902", "replacements")
GENERATORS = ("configMapGenerator", "secretGenerator")
# A reference Kustomize would fetch: a URL, an scp-like git address, a host name followed by a path.
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|[\w.-]+\.[a-z]{2,}/|[^?]*\?(?:ref|version|timeout)=)", re.I)


def check(start: Path, root: Path, shown_from: Path) -> None:
    """UserError listing every reference of the kustomization in `start` (and those it reaches) that leaves `root`
    or is remote; paths in messages are relative to `shown_from`."""
    problems: list[Diagnostic] = []
    real_root = os.path.realpath(root)
    pending, seen = [Path(start)], set()
    while pending:
        folder = pending.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        file = next((folder / name for name in KUSTOMIZATION_FILES if (folder / name).is_file()), None)
        if file is None:
            continue
        shown = os.path.relpath(file, shown_from)
        data = _load(file, shown)
        for path, reference in _references(data):
            target, problem = _target(reference, folder, real_root)
            if problem:
                problems.append(Diagnostic(shown, line_of(data, path, 1), format_path(path), f"{quote(reference)} "
                                           f"{problem}: aimc reads nothing outside the repository (vendor it into the "
                                           "repository and refer to it by a relative path)"))
            elif target is not None and target.is_dir():
                pending.append(target)
    if problems:
        raise UserError(problems)


def _load(file: Path, shown: str) -> PosDict:
    raw = limits.read_or_fail(file, "input", shown)
    try:
        documents = [data for _, data in load_all(raw.decode("utf-8"))]
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise UserError([Diagnostic(shown, 1, "", f"cannot read this kustomization: {exc}")]) from None
    data = documents[0] if documents else None
    return data if isinstance(data, PosDict) else PosDict()


def _references(data: PosDict):
    """(field path, reference) of every file or folder the kustomization names."""
    for field in PATH_LISTS:
        for index, item in enumerate(_list(data.get(field))):
            if isinstance(item, str) and "\n" not in item:  # a multi-line string is an inline patch
                yield (field, index), item
    for field in PATH_ENTRIES:
        for index, item in enumerate(_list(data.get(field))):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield (field, index, "path"), item["path"]
    for field in GENERATORS:
        for index, item in enumerate(_list(data.get(field))):
            if not isinstance(item, dict):
                continue
            for key in ("files", "envs"):
                for number, entry in enumerate(_list(item.get(key))):
                    if isinstance(entry, str):
                        yield (field, index, key, number), entry.split("=", 1)[-1]  # `key=path` or `path`
            if isinstance(item.get("env"), str):
                yield (field, index, "env"), item["env"]
    for index, chart in enumerate(_list(data.get("helmCharts"))):
        if isinstance(chart, dict) and chart.get("repo"):
            yield (("helmCharts", index, "repo"), str(chart["repo"]))
    globals_ = data.get("helmGlobals")
    if isinstance(globals_, dict) and isinstance(globals_.get("chartHome"), str):
        yield ("helmGlobals", "chartHome"), globals_["chartHome"]
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield ("openapi", "path"), openapi["path"]


def _target(reference: str, folder: Path, real_root: str) -> tuple[Path | None, str | None]:
    """(local target, None) or (None, why it is refused)."""
    if _REMOTE.match(reference):
        return None, "is a remote reference (Kustomize would fetch it over the network)"
    if os.path.isabs(reference):
        return None, "is an absolute path"
    target = Path(os.path.normpath(folder / reference))
    try:
        exists = target.exists()
    except OSError:
        exists = False
    if not exists:
        return None, "names nothing in the repository (Kustomize would try it as a remote base)"
    real = os.path.realpath(target)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        how = "leads out of the repository" if not os.path.islink(target) and ".." in reference else (
            "resolves (through a symbolic link) outside the repository")
        return None, how
    return target, None


def _list(value) -> list:
    return value if isinstance(value, list) else []
