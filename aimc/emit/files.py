"""Replacing a file aimc edits in place (`bench report --write-recipe`): locked against concurrent writers, written
whole to a temporary file in the same folder and renamed over the original, so a failed or interrupted write leaves
the original as it was and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock for editing `path` (a blocking fcntl.flock). The lock is a separate, hidden file beside
    it, `.<name>.lock`, which is never replaced: a lock on the edited file itself would be lost at the rename, and a
    second writer that opened the old file would then edit an old copy. The lock file stays (removing it would let
    two writers hold locks on two different files)."""
    lock_path = path.parent / f".{path.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def replace_text(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path` (same permissions), flush it to disk, rename it over `path`.
    OSError when any step fails; the temporary file is removed and `path` is untouched."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
