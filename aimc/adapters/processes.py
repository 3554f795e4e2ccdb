"""Run the programs aimc calls (git, Kustomize) with what they print bounded, like every file aimc reads.

Their output is input: a Kustomize overlay's objects are compiled, a revision's tree is extracted and read. A program
that prints without end (a hostile kustomization generating objects, a revision holding a huge tree) would otherwise
be read whole into memory. Standard output is read as at most the limit of its kind in `load.limits.KINDS`, plus one
byte; past it the program is killed and `InputTooLarge` raised. Standard error keeps its first STDERR_KEPT bytes for
messages and the rest is drained, so a chatty program never blocks on a full pipe. Standard input is /dev/null: a
program that asks a question (a credential prompt) reads end-of-file instead of waiting for a terminal.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

from aimc.load.limits import KINDS, InputTooLarge
from aimc.records import Record

# Messages are cut far shorter than this before anyone sees them (errors keep 500 characters of Kustomize's).
STDERR_KEPT = 64 * 1024
_CHUNK = 64 * 1024


class Finished(Record):
    returncode: int
    stdout: bytes
    stderr: bytes


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping at most `keep` bytes; `overflowed` once more came (then `on_overflow` runs)."""

    def __init__(self, pipe: IO[bytes], keep: int, on_overflow=None):
        super().__init__(daemon=True)
        self.pipe, self.keep, self.on_overflow = pipe, keep, on_overflow
        self.data = bytearray()
        self.overflowed = False

    def run(self) -> None:
        while chunk := self.pipe.read(_CHUNK):
            room = self.keep - len(self.data)
            self.data += chunk[:max(room, 0)]
            if len(chunk) > room and not self.overflowed:
                self.overflowed = True
                if self.on_overflow is not None:
                    self.on_overflow()


def run(command: Sequence[str], *, kind: str, cwd=None, env: Mapping[str, str] | None = None,
        timeout: float | None = None) -> Finished:
    """Run `command` to its end; its standard output at most the limit of `kind` (InputTooLarge past it, the
    program killed). subprocess.TimeoutExpired after `timeout` seconds (the program killed); FileNotFoundError when
    the program does not exist."""
    limit = KINDS[kind][0]
    with subprocess.Popen(list(command), cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        out = _Drain(process.stdout, limit, process.kill)
        err = _Drain(process.stderr, STDERR_KEPT)
        out.start()
        err.start()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            out.join()
            err.join()
    if out.overflowed:
        raise InputTooLarge(limit + 1, exact=False, kind=kind)
    return Finished(process.returncode, bytes(out.data), bytes(err.data))


class _CappedReader:
    """A program's standard output as a file to read from, at most `limit` bytes: InputTooLarge past it."""

    def __init__(self, pipe: IO[bytes], limit: int, kind: str):
        self.pipe, self.left, self.kind = pipe, limit, kind

    def read(self, size: int = -1) -> bytes:
        # Never more than one byte past what is allowed, whatever the caller asks for.
        want = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        data = self.pipe.read(want)
        self.left -= len(data)
        if self.left < 0:
            raise InputTooLarge(KINDS[self.kind][0] + 1, exact=False, kind=self.kind)
        return data


@contextmanager
def streamed(command: Sequence[str], outcome: list[Finished], *, kind: str, cwd=None,
             env: Mapping[str, str] | None = None) -> Iterator[_CappedReader]:
    """Run `command`, handing its standard output to the caller as a bounded stream (for output too large to hold,
    e.g. a tar archive extracted as it arrives). When the block ends, what the caller left unread is read (still
    bounded) and dropped; if the block raises, the program is killed. Either way `outcome` then receives the
    program's Finished (returncode and the stderr kept; stdout empty)."""
    with subprocess.Popen(list(command), cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        err = _Drain(process.stderr, STDERR_KEPT)
        err.start()
        reader = _CappedReader(process.stdout, KINDS[kind][0], kind)
        try:
            yield reader
            while reader.read(_CHUNK):  # a tar reader stops at the end-of-archive blocks; git may pad after them
                pass
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
            err.join()
            outcome.append(Finished(process.returncode, b"", bytes(err.data)))
