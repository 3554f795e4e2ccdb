"""Bounds on what aimc reads and writes, so hostile input ends in an error, never in a hang or an unbounded allocation.

- input: every file aimc opens is read here (`read_file`), at most the limit of its kind (KINDS: YAML inputs and stdin,
  checkpoint JSON, benchmark results, rendered files), read as at most that many bytes plus one (a `yes |` pipe or
  a link to /dev/zero is never read whole); only regular files (a FIFO would block, a device never ends);
- aliases: one document may expand to MAX_EXPANDED_NODES nodes (yaml_positions checks it), and all the documents
  with aliases that one load reads together to MAX_REPOSITORY_NODES: twenty small files each just under the
  per-document limit would otherwise cost minutes and hundreds of megabytes of output;
- output: a manifest stream stops with an error past MAX_OUTPUT_BYTES;
- programs: what git and Kustomize print is read through adapters/processes.py, bounded by the same KINDS.
The README's Robustness section lists these limits and the refusals.
"""

from __future__ import annotations

import os
import stat

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_REPOSITORY_NODES = 2_000_000
MAX_OUTPUT_BYTES = 512 * 1024 * 1024

# The one bounded reader: every file aimc opens is read by `read_file` (or `read_or_fail`), as one of these kinds,
# at most its size (the README's limits table lists them). Package data (schemas, built-in catalogs) is aimc's own,
# read from the package's folder (catalog/files.py), and is not input.
KINDS = {
    # kind: (at most this many bytes, what the message calls such files)
    "input": (MAX_INPUT_BYTES, "input files (and stdin)"),
    # A Hugging Face config.json is kilobytes; a weight index (model.safetensors.index.json) of the largest
    # checkpoints is a few megabytes (one line per tensor).
    "checkpoint": (32 * 1024 * 1024, "a checkpoint's config.json and weight index"),
    # A result of `vllm bench serve` or sglang.bench_serving without per-request details is kilobytes; a Job's log
    # holds one per run among the clients' messages.
    "benchmark results": (64 * 1024 * 1024, "benchmark result files and Job logs"),
    # A file `build -o DIR` or the pre-commit hook would replace, read to compare it with what would be written.
    "output": (MAX_OUTPUT_BYTES, "rendered files compared before they are replaced"),
    # What programs aimc runs print (adapters/processes.py). An overlay's objects are compiled like stdin is.
    "kustomize output": (MAX_INPUT_BYTES, "the objects `kustomize build` prints for an Argo CD overlay application"),
    # `aimc diff REV` extracts the revision's whole tree (git archive, a tar stream) to read its files: a
    # repository of specs is megabytes; this stops a tree of stray large files before it fills the disk.
    "revision tree": (1024 * 1024 * 1024, "revision trees that `aimc diff` extracts (`git archive`)"),
    # rev-parse and the like print a line.
    "git answer": (1024 * 1024, "answers of git commands other than `git archive`"),
}


class InputTooLarge(Exception):
    def __init__(self, size: int, exact: bool, kind: str = "input"):
        super().__init__(size)
        self.size, self.exact, self.kind = size, exact, kind

    def message(self) -> str:
        limit, what = KINDS[self.kind]
        amount = f"{self.size:,} bytes" if self.exact else f"more than {limit:,} bytes"
        return f"input is {amount}; {what} are limited to {limit // 1048576} MiB ({limit:,} bytes)"


class NotRegularFile(Exception):
    def __init__(self, mode: int):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode) else
                "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else
                "a folder" if stat.S_ISDIR(mode) else "not a regular file")
        super().__init__(kind)
        self.kind = kind

    def message(self) -> str:
        return f"{self.kind}, not a regular file: aimc reads only regular files"


def read_stream(stream, kind: str = "input", expected: int | None = None) -> bytes:
    """At most the kind's limit of a binary stream; InputTooLarge when it holds more. `expected`: the size the file
    says it has, asked for first (with one byte more, to see whether it holds more than it says)."""
    limit = KINDS[kind][0]
    # A read of limit + 1 bytes makes the reader allocate that much (20 MiB) before reading: for 1,000 small files
    # that was 26 ms of `aimc explain`'s 180 (issue 24). A file that holds more than it says is read on to the limit.
    first = limit + 1 if expected is None else min(expected, limit) + 1
    data = stream.read(first)
    if len(data) == first and first <= limit:
        data += stream.read(limit + 1 - first)
    if len(data) > limit:
        raise InputTooLarge(len(data), exact=False, kind=kind)
    return data


def read_file(path, kind: str = "input") -> bytes:
    """The bytes of a regular file (symbolic links followed), at most the kind's limit. NotRegularFile,
    InputTooLarge, or OSError from the system."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):  # before opening: opening a FIFO blocks, and some devices act on open
        raise NotRegularFile(mode)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced between the two looks
            raise NotRegularFile(info.st_mode)
        size = info.st_size
        if size > KINDS[kind][0]:
            raise InputTooLarge(size, exact=True, kind=kind)
        # The usual file holds what its size says: one read of it and one that finds the end (what read_stream
        # does, without its reader object: discover reads every file of a repository, issue 24).
        data = os.read(fd, size + 1)
        if len(data) == size:
            more = os.read(fd, 1)
            if not more:
                return data
            data += more
        return read_stream(_Descriptor(fd, data), kind, size)  # the size may grow, or lie (/proc files say 0)
    finally:
        os.close(fd)


# O_NONBLOCK: should a FIFO take a file's place after the look at its type, opening it does not wait for a writer.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class _Descriptor:
    """The reads of an open file, unbuffered: each file is read in one or two requests, and setting up a buffered
    reader for it cost more than the read (2.5 ms of 1,000 files' 8, issue 24)."""

    __slots__ = ("fd", "read_before")

    def __init__(self, fd: int, read_before: bytes = b""):
        self.fd = fd
        self.read_before = read_before  # what was read from the file already: the start of what `read` returns

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer only at the end of the file (as a buffered reader's read)."""
        chunks = [self.read_before[:size]]
        self.read_before, size = self.read_before[size:], size - len(chunks[0])
        while size > 0:
            chunk = os.read(self.fd, size)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def read_head(path, size: int) -> bytes:
    """The first `size` bytes of a regular file (NotRegularFile otherwise; OSError from the system): for a look at
    a file's first line without reading all of it."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotRegularFile(os.fstat(handle.fileno()).st_mode)
        return handle.read(size)


def read_or_fail(path, kind: str, shown: str | None = None) -> bytes:
    """`read_file`, with every refusal a UserError naming the file (as `shown`, without a line: the whole file):
    for commands that read one file and stop at the first problem."""
    from aimc.errors import Diagnostic, UserError

    shown = str(path) if shown is None else shown
    try:
        return read_file(path, kind)
    except (InputTooLarge, NotRegularFile) as exc:
        raise UserError([Diagnostic(shown, 0, "", f"cannot read: {exc.message()}")]) from None
    except OSError as exc:
        raise UserError([Diagnostic(shown, 0, "", f"cannot read: {exc.strerror or exc}")]) from None


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
