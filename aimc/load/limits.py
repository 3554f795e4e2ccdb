"""Bounds on what aimc reads and writes, so hostile input ends in an error, never in a hang or an unbounded allocation.

- input: at most MAX_INPUT_BYTES per file and on stdin, read as at most that many bytes plus one (a `yes |` pipe or
  a link to /dev/zero is never read whole); only regular files (a FIFO would block, a device never ends);
- aliases: one document may expand to MAX_EXPANDED_NODES nodes (yaml_positions checks it), and all the documents
  with aliases that one load reads together to MAX_REPOSITORY_NODES: twenty small files each just under the
  per-document limit would otherwise cost minutes and hundreds of megabytes of output;
- output: a manifest stream stops with an error past MAX_OUTPUT_BYTES.
The README's Robustness section lists these limits and the refusals.
"""

from __future__ import annotations

import os
import stat

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_REPOSITORY_NODES = 2_000_000
MAX_OUTPUT_BYTES = 512 * 1024 * 1024


class InputTooLarge(Exception):
    def __init__(self, size: int, exact: bool):
        super().__init__(size)
        self.size, self.exact = size, exact

    def message(self) -> str:
        amount = f"{self.size:,} bytes" if self.exact else f"more than {MAX_INPUT_BYTES:,} bytes"
        return (f"input is {amount}; input files (and stdin) are limited to {MAX_INPUT_BYTES // 1048576} MiB "
                f"({MAX_INPUT_BYTES:,} bytes)")


class NotRegularFile(Exception):
    def __init__(self, mode: int):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode) else
                "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else
                "a folder" if stat.S_ISDIR(mode) else "not a regular file")
        super().__init__(kind)
        self.kind = kind

    def message(self) -> str:
        return f"{self.kind}, not a regular file: aimc reads only regular files"


def read_stream(stream, limit: int = MAX_INPUT_BYTES) -> bytes:
    """At most `limit` bytes of a binary stream; InputTooLarge when it holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputTooLarge(len(data), exact=False)
    return data


def read_file(path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file (symbolic links followed), at most `limit`. NotRegularFile, InputTooLarge, or
    OSError from the system."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):  # before opening: opening a FIFO blocks, and some devices act on open
        raise NotRegularFile(mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):  # replaced between the two looks
            raise NotRegularFile(info.st_mode)
        if info.st_size > limit:
            raise InputTooLarge(info.st_size, exact=True)
        return read_stream(handle, limit)  # the size may grow, or lie (files under /proc say 0)


class ExpansionBudget:
    """Nodes that documents with aliases may still expand to, over every file of one load. One per load call: it
    is the only mutable state, owned by the caller."""

    def __init__(self, nodes: int = MAX_REPOSITORY_NODES):
        self.total = self.remaining = nodes

    def spend(self, nodes: int) -> bool:
        """Take `nodes` from the budget; False when that exceeds it."""
        self.remaining -= nodes
        return self.remaining >= 0


def bounded_chunks(chunks, limit: int = MAX_OUTPUT_BYTES):
    """Yield the pieces of an output stream; UserError once they add up to more than `limit` characters (what was
    written stays partial, and the exit code says so)."""
    from aimc.errors import Diagnostic, UserError

    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise UserError([Diagnostic("<output>", 0, "", f"the manifest stream exceeds {limit:,} characters: "
                                                           "refusing to write more (split the repository)")])
        yield chunk
