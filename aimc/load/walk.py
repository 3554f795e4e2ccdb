"""The folder walk of discover: every YAML file under a folder, in a stable order, without following links to
folders."""

from __future__ import annotations

import os
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")


def folders(root, problem=None):
    """(folder, its path relative to root with '/' ("." for root), sorted (YAML file name, is a symbolic link)) for
    every folder under root, in sorted order (os.walk's top-down order); hidden entries skipped; symbolic links to
    folders are never followed. `problem(kind, path, detail)` hears of folders that cannot be read ("error") and of
    those links ("link").

    os.scandir, not os.walk: each entry's type comes with the listing, so a repository of thousands of files costs no
    stat call per file to tell links apart."""
    pending = [(os.fspath(root), ".")]
    while pending:
        directory, rel = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            if problem:
                problem("error", exc.filename or directory, exc.strerror or str(exc))
            continue
        subfolders, names = [], []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir()  # follows a link, as os.walk does to sort entries
            except OSError:
                is_folder = False
            if is_folder:
                if entry.is_symlink():
                    if problem:
                        problem("link", entry.path, "")
                else:
                    subfolders.append(name)
            elif name.endswith(YAML_SUFFIXES):
                names.append((name, entry.is_symlink()))
        yield directory, rel, sorted(names)
        pending.extend((os.path.join(directory, name), name if rel == "." else f"{rel}/{name}")
                       for name in sorted(subfolders, reverse=True))


def yaml_files_under(root: Path):
    """Every input file under root, in the order discover reads them."""
    for directory, _, names in folders(root):
        for name, _ in names:
            yield Path(directory) / name
