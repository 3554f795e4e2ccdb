"""The `aimc` console script and `python -m aimc`: switch off the cyclic garbage collector, then run the command line.

A run of aimc is a short-lived process whose data (parsed documents, resolved plans, rendered objects) holds no
reference cycles worth collecting: reference counting frees it all the same. With the collector on, every
generation-2 pass walks the whole heap, so the cost per endpoint grew with the size of the repository (about a
quarter of the CPU time of a 10,000-endpoint build; peak memory is the same without it), and the collections
triggered while Python imports click, PyYAML and aimc add to the start-up of small builds. Only the command line
does this, before anything is imported: a program that imports aimc as a library keeps its collector.
"""

import gc
import sys


def main() -> None:
    gc.disable()
    from aimc.cli import fast

    code = fast.main(sys.argv[1:])  # `aimc build`, read without importing click when it can be (cli/fast.py)
    if code is not None:
        sys.exit(code)
    from aimc.cli import entry

    entry()


if __name__ == "__main__":
    main()
