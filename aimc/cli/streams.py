"""Standard output as a contract: UTF-8 whatever the locale, and never a silent success when it could not be written.

Argo CD, Kustomize and CI read aimc's stdout. A closed stdout (`>&-`), a reader that went away (`| head -c 100000`)
or a full disk (`> /dev/full`) means the manifests did not arrive whole: that is exit 1 with a message, never exit 0
with a truncated (or no) stream, and never exit 3 (it is not a bug of aimc).
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any

# How long aimc waits, after its last write to a pipe, for the reader to take what is still in the pipe's buffer.
READ_WAIT_SECONDS = 10.0
POLL_MILLISECONDS = 10
# Errors a write to a stream (no file name attached) reports when the stream, not aimc, is the problem.
_OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EBADF, getattr(errno, "EDQUOT", -1)}


def utf8_streams() -> None:
    """stdout and stderr write UTF-8 (file names, model ids, labels) under any locale (`LC_ALL=C PYTHONUTF8=0`,
    `PYTHONIOENCODING=latin-1`): the output's bytes must not depend on the machine."""
    for stream, errors in ((sys.stdout, "strict"), (sys.stderr, "backslashreplace")):
        if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower().replace("-", "") != "utf8":
            try:
                stream.reconfigure(encoding="utf-8", errors=errors)
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change any more
                pass


def closed_stdout_message() -> str | None:
    if sys.stdout is None:
        return "aimc: standard output is closed: nothing could be written (exit 1, so no one takes it for success)"
    return None


def output_error_message(exc: BaseException) -> str | None:
    """The message for an error that came from writing stdout, or None when `exc` is something else."""
    if isinstance(exc, BrokenPipeError):
        return "aimc: standard output was closed before all of it was written (broken pipe): the output is incomplete"
    if isinstance(exc, OSError) and exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
        return f"aimc: cannot write to standard output: {exc.strerror or exc}: the output is incomplete"
    return None


def click_saw_broken_pipe() -> bool:
    """click turns a broken pipe inside a command into `sys.exit(1)`, silently, after wrapping stdout to quiet its
    last flush. True when that happened (the wrapper is removed again: main may run more than once in a process)."""
    wrapper = sys.stdout
    if isinstance(wrapper, _pacify_flush_wrapper()):
        sys.stdout = wrapper.wrapped
        return True
    return False


def _pacify_flush_wrapper() -> tuple[type[Any], ...]:  # (its `wrapped` is the stream it wraps)
    """click's stdout wrapper class: private since click 8.5 (`_PacifyFlushWrapper`; the public name warns and goes
    away in click 9), public before (`PacifyFlushWrapper`), click/utils.py. Empty if click has neither."""
    import click.utils

    for name in ("_PacifyFlushWrapper", "PacifyFlushWrapper"):  # the first found: asking for the second warns
        if hasattr(click.utils, name):
            return (getattr(click.utils, name),)
    return ()


def flush_stdout() -> None:
    """Flush inside the command's error handling: the last piece of a stream fails here, not at interpreter exit."""
    if sys.stdout is not None:
        sys.stdout.flush()


def confirm_read(wait_seconds: float = READ_WAIT_SECONDS) -> None:
    """When stdout is a pipe, wait until its reader has taken everything aimc wrote; BrokenPipeError when the reader
    closed its end with bytes still unread. A write that fits in the pipe's buffer (64 KiB on Linux) succeeds
    whether or not anyone ever reads it, so without this a reader that stops after 100 bytes of a small stream
    would leave aimc exiting 0. A reader that neither reads nor closes within `wait_seconds` is not waited for."""
    fd = _pipe_fd()
    if fd is None:
        return
    import select
    import time

    poller = select.poll()
    poller.register(fd, 0)  # no event asked for: poll reports POLLERR on a pipe's write end once no reader is left
    deadline = time.monotonic() + wait_seconds
    while _unread(fd):
        gone = any(events & select.POLLERR for _, events in poller.poll(POLL_MILLISECONDS))
        if gone and _unread(fd):
            raise BrokenPipeError(errno.EPIPE, "the reader closed the pipe with output unread")
        if gone or time.monotonic() > deadline:
            return


def _pipe_fd() -> int | None:
    import stat

    try:
        fd = sys.stdout.fileno()
        return fd if stat.S_ISFIFO(os.fstat(fd).st_mode) else None
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return None


def _unread(fd: int) -> int:
    """Bytes written to the pipe that its reader has not read yet (FIONREAD works on either end on Linux, fs/pipe.c
    pipe_ioctl); 0 where the system cannot say."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, count, True)
    except OSError:
        return 0
    return count[0]


def discard_stdout() -> None:
    """After a failed write, point stdout at /dev/null: Python's own flush at exit would fail again and print a
    traceback-like 'Exception ignored' message."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
