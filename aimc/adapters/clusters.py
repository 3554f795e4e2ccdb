"""Repositories of several clusters: `clusters/dev/`, `clusters/prod/` each hold a ClusterInventory (and endpoints of
that cluster only), everything else (e.g. `endpoints/`) is shared by every cluster.

The rule (README, "Several clusters"): a folder that holds a ClusterInventory file is that cluster's folder; a
cluster's inputs are the inputs minus every other cluster's folder. `aimc validate` (the pre-commit hook, CI) checks
each cluster in turn; `build` and `diff` take one cluster at a time (`aimc build clusters/dev endpoints`), as Argo CD
does with one Application per cluster folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from aimc import pipeline
from aimc.errors import Collector, Diagnostic, UserError
from aimc.load import documents
from aimc.records import Record, replace


class Cluster(Record):
    folder: str  # the cluster's folder, as the inputs name it (relative to the working directory or the root)
    inventory: str  # the ClusterInventory file in it
    options: pipeline.Options  # the compile of this cluster: the inputs minus the other clusters' folders


def split(options: pipeline.Options) -> list[Cluster]:
    """One entry per cluster when the inputs hold several ClusterInventory files, each in its own folder and none
    inside another's; [] otherwise (one inventory, --inventory given, stdin, or a layout the rule does not cover, for
    which the usual "several ClusterInventory documents" error stands)."""
    if options.inventory or "-" in options.paths or options.objects:
        return []
    scratch = Collector()  # problems of the files are reported by the per-cluster compiles
    files = documents.discover(options.paths, scratch, exclude=options.exclude, root=options.root)
    # Only the inventories matter here: a file whose text does not name the kind cannot hold one (a backslash may be
    # an escape that spells it), so the endpoints' files are not parsed twice per validate (issue 24).
    docs = documents.load([f for f in files if "ClusterInventory" in f.text or "\\" in f.text], scratch)
    inventories = sorted({os.path.normpath(d.file) for d in docs if d.kind == "inventory"})
    folders = [os.path.dirname(f) or "." for f in inventories]
    if len(inventories) < 2 or len(set(folders)) != len(folders):
        return []
    if any(a != b and _inside(b, a) for a in folders for b in folders):
        return []
    out = []
    for folder, inventory in zip(folders, inventories, strict=True):
        others = [f for f in folders if f != folder]
        paths = tuple(p for p in options.paths if not any(_inside(os.path.normpath(p), o) for o in others))
        exclude = tuple(options.exclude) + tuple(
            os.path.relpath(o, os.path.normpath(p)).replace(os.sep, "/")
            for p in paths for o in others if _inside(o, os.path.normpath(p)))
        out.append(Cluster(folder, inventory, replace(options, paths=paths, exclude=exclude)))
    return out


def _inside(path: str, folder: str) -> bool:
    return (folder == "." and not path.startswith("..")) or path == folder or path.startswith(folder.rstrip("/") + "/")


def check_each(clusters: list[Cluster], check: Callable[[pipeline.Options], pipeline.Result]
               ) -> tuple[tuple[Diagnostic, ...], str]:
    """Run `check` (a compile that raises UserError) for every cluster: the warnings and a summary line, or a
    UserError with every cluster's problems. A problem found in some clusters only names them; one found in every
    cluster (e.g. a typo in a shared endpoint) is reported once."""
    found: dict[Diagnostic, list[str]] = {}
    counts = []
    for cluster in clusters:
        try:
            result = check(cluster.options)
        except UserError as error:
            diagnostics = error.diagnostics
            counts.append(f"{cluster.folder}: invalid")
        else:
            diagnostics = result.warnings
            endpoints = len(result.inputs.endpoints)
            counts.append(f"{cluster.folder}: {endpoints} endpoint{'s' if endpoints != 1 else ''}, "
                          f"{len(result.objects)} objects")
        for diagnostic in diagnostics:
            found.setdefault(diagnostic, []).append(cluster.folder)
    tagged = [d if len(where) == len(clusters) else replace(d, message=f"{d.message} (cluster {', '.join(where)})")
              for d, where in found.items()]
    if any(d.severity == "error" for d in tagged):
        raise UserError(tagged)
    return tuple(tagged), f"aimc: {len(clusters)} clusters ({'; '.join(counts)}): valid"
