"""The `aimc` console script and `python -m aimc`: switch off the cyclic garbage collector, then run the command line.

A run of aimc is a short-lived process whose data (parsed documents, resolved plans, rendered objects) holds no
reference cycles worth collecting: reference counting frees it all the same. With the collector on, every
generation-2 pass walks the whole heap, so the cost per endpoint grew with the size of the repository (about a
quarter of the CPU time of a 10,000-endpoint build; peak memory is the same without it), and the collections
triggered while Python imports click, PyYAML and aimc add to the start-up of small builds. Only the command line
does this, before anything is imported: a program that imports aimc as a library keeps its collector.

For the same reason a finished `aimc build` (and `aimc explain`, which `fast` reads too) ends without Python's
teardown (`_Ending`): freeing the build's objects one by one and then every module costs about 6 % of a
1,000-endpoint build's CPU (bench/generate.py), and the operating system takes the whole process back at once. Its
output is flushed and the exit handlers registered while it ran run first; under a tracer (coverage, a debugger)
Python's own exit runs instead.
"""

import atexit
import gc
import os
import sys


def main() -> None:
    gc.disable()
    ending = _Ending()
    atexit.register(ending.finish)  # registered first, so it runs last: after every exit handler of the build
    from aimc.cli import fast

    code = fast.main(sys.argv[1:], ending.kept)  # `aimc build|explain`, read without click when it can be
    if code is not None:
        ending.code = code
        sys.exit(code)
    atexit.unregister(ending.finish)  # another command: Python's own exit
    from aimc.cli import entry

    entry()


class _Ending:
    """The end of a build: what it made stays referenced (`kept`) until, after the other exit handlers, the
    process ends with its exit code, its streams flushed, and without the interpreter's teardown. When a stream
    cannot be flushed, Python's own exit goes on, as before (it reports a broken pipe the way the commands expect)."""

    def __init__(self) -> None:
        self.code: int | None = None
        self.kept: list = []

    def finish(self) -> None:
        if self.code is None or sys.gettrace() is not None:  # a tracer (coverage, a debugger) reports at its exit
            return
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except (OSError, ValueError):
            return
        os._exit(self.code)


if __name__ == "__main__":
    main()
