"""Render one side of `aimc diff`: a Git revision (extracted with `git archive`), a folder, or the working tree.

Paths given to `aimc diff` are relative to the current directory; for a revision they mean the same folder inside
that revision, so `cd deploy && aimc diff origin/main -p endpoints` compares `deploy/endpoints` at both sides.
A path that does not exist at one side renders nothing there (a folder added by the change), which is why the
compile allows an empty result.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

from aimc import pipeline
from aimc.adapters import processes
from aimc.emit import output as emit
from aimc.errors import Diagnostic, UserError
from aimc.load import limits
from aimc.records import Record, replace

WORKING_TREE = "working tree"


class Side(Record):
    label: str  # shown in reports: the revision or folder as the user wrote it, or "working tree"
    root: Path  # the folder the paths are relative to
    where: str  # prefix for file names in diagnostics: "origin/main:" for a revision, "old/" for a folder, ""
    # Committed links the extraction refused (absolute, or leading out of the tree): paths from the top of the tree.
    refused_links: tuple[str, ...] = ()


def open_side(spec: str | None, scratch: Path) -> Side:
    """SPEC is a folder if one exists by that name, else a Git revision of the repository around the current
    directory; None is the working tree. Revisions are extracted below SCRATCH."""
    if spec is None:
        return Side(WORKING_TREE, Path.cwd(), "")
    if Path(spec).is_dir():
        return Side(spec, Path(spec).resolve(), spec.rstrip("/") + "/")
    commit = _resolve_revision(spec)
    target = scratch / f"rev-{commit[:12]}"
    refused = _extract(commit, target) if not target.exists() else ()
    prefix = _git("rev-parse", "--show-prefix").decode().strip()
    inside = tuple(name[len(prefix):] for name in refused if name.startswith(prefix))
    return Side(spec, target / prefix, f"{spec}:{prefix}", inside)


def render_side(side: Side, options: pipeline.Options) -> tuple[list[Mapping], list[Diagnostic]]:
    """The objects (dicts that may carry source positions) and warnings of one side; errors are raised with file
    names that say which side."""
    if not side.root.is_dir():  # the current folder is new: it does not exist at the base revision
        return [], []
    # Paths are relative to the side's root, shown as given: both sides name a file the same way.
    present = tuple(p for p in options.paths if (side.root / p).exists())
    if not present:
        return [], []
    try:
        result = pipeline.compile(replace(options, paths=present, allow_empty=True, root=str(side.root)))
    except UserError as error:
        raise UserError([_located(d, side) for d in error.diagnostics]) from None
    # Not copied to plain dicts here: `diff.compare` copies only the few objects that differ (a 10,000-endpoint diff
    # would otherwise hold a third copy of both sides).
    objects = [item.obj for item in emit.ordered(list(result.objects))]
    refused = [Diagnostic(side.where + name, 0, "", "symbolic link to an absolute path or out of the repository: "
                                                    "not read at this revision (commit the file itself, or a "
                                                    "relative link inside the repository)", "warning")
               for name in side.refused_links if any(_below(name, p) for p in present)]
    return objects, refused + [_located(w, side) for w in result.warnings]


def _below(name: str, path: str) -> bool:
    path = os.path.normpath(path)
    return path in (".", name) or name.startswith(path.rstrip("/") + "/")


def _located(diagnostic: Diagnostic, side: Side) -> Diagnostic:
    return replace(diagnostic, file=side.where + diagnostic.file) if side.where else diagnostic


def _resolve_revision(spec: str) -> str:
    try:
        return _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}").decode().strip()
    except _GitError as error:
        if error.not_a_repository:
            raise UserError([Diagnostic(spec, 0, "", "no such folder, and the current directory is not in a Git "
                                                     "repository (a revision needs one)")]) from None
        raise UserError([Diagnostic(spec, 0, "", "neither a folder nor a revision of this Git repository (in CI, "
                                                 "fetch it first, e.g. `git fetch origin main` or "
                                                 "actions/checkout with fetch-depth: 0)")]) from None


def _extract(commit: str, target: Path) -> tuple[str, ...]:
    """The tree of `commit` under `target`; returns the links it refused to create (absolute or leading out)."""
    # From a subfolder, git archive would take only that subfolder: archive the whole tree from the top.
    top = _git("rev-parse", "--show-toplevel").decode().strip()
    target.mkdir(parents=True)
    refused: list[str] = []

    def only_safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        try:
            return tarfile.data_filter(member, path)  # refuses links and paths that leave the folder
        except tarfile.FilterError:  # a committed absolute link (/etc/...) is legal in Git: skip it, say so
            refused.append(member.name)
            return None

    # Extracted as it arrives (a stream, "r|"): the archive is never held in memory, and is bounded.
    outcome: list[processes.Finished] = []
    command = ["git", "-C", top, "archive", "--format=tar", commit]
    try:
        # typeshed's tarfile.open wants a seekable, writable file object; stream mode ("r|") only reads from it.
        with processes.streamed(command, outcome, kind="revision tree", env=_git_environment()) as archive, \
                tarfile.open(fileobj=archive, mode="r|") as tar:  # type: ignore[call-overload]  # see above
            if hasattr(tarfile, "data_filter"):
                tar.extractall(target, filter=only_safe)
            else:  # pragma: no cover - Python before 3.11.4, without the extraction filters
                tar.extractall(target)
    except limits.InputTooLarge as exc:
        raise UserError([Diagnostic(commit[:12], 0, "", f"cannot read the revision: {exc.message()}")]) from None
    except tarfile.TarError as exc:  # git stopped early (its message says why), or printed something else
        if outcome and outcome[0].returncode > 0:
            raise _GitError(outcome[0].stderr.decode(errors="replace")) from None
        raise UserError([Diagnostic(commit[:12], 0, "", f"cannot read the revision: `git archive` printed an "
                                                        f"archive aimc cannot read ({exc})")]) from None
    if outcome[0].returncode != 0:
        raise _GitError(outcome[0].stderr.decode(errors="replace"))
    return tuple(sorted(refused))


def _git_environment() -> dict[str, str]:
    """Never a credential prompt: a revision that needs a fetch fails with git's message instead of waiting."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0"}


class _GitError(Exception):
    def __init__(self, stderr: str):
        super().__init__(stderr)
        self.not_a_repository = "not a git repository" in stderr.lower()


def _git(*args: str) -> bytes:
    try:
        run = processes.run(["git", *args], kind="git answer", env=_git_environment())
    except limits.InputTooLarge as exc:
        raise UserError([Diagnostic("git", 0, "", f"git {args[0]}: {exc.message()}")]) from None
    except FileNotFoundError:
        raise UserError([Diagnostic("git", 0, "", "the git command is not installed; compare two folders "
                                                  "instead")]) from None
    if run.returncode != 0:
        raise _GitError(run.stderr.decode(errors="replace"))
    return run.stdout
