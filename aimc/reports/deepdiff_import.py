"""Importing deepdiff without the numpy and pydantic imports its helper module makes at start-up.

`deepdiff.helper` imports numpy (to compare arrays) and pydantic (to compare models) when they are installed:
pydantic always is beside aimc (the kubernetes package requires it), numpy often is. Together they are ~0.18 s of
CPU, ~10 % of an `aimc diff HEAD` of 1,000 endpoints (issue 24), for types `aimc diff` never compares: its two sides
are plain YAML data (mappings, lists, strings, numbers, booleans, null). So while deepdiff is imported, and only
if nothing imported them before, both names are marked absent in `sys.modules` (an `import numpy` then raises
ImportError, which deepdiff handles: its fallbacks say "numpy not available" and compare no model class); the marks
are removed as soon as the import returns, so any later `import numpy` or `import pydantic` in the process gets the
real package. What deepdiff decided at import stays decided for the process: a program that uses aimc as a library
and then asks deepdiff itself to compare numpy arrays or pydantic models should import deepdiff before aimc's diff.
tests/test_reports_deepdiff_import.py checks that the diff is the same and that neither package is left marked.
"""

from __future__ import annotations

import importlib
import sys
import types

LEFT_OUT = ("numpy", "pydantic")


def deepdiff_module() -> types.ModuleType:
    """The `deepdiff` module, imported (once per process, as every import) without numpy and pydantic when nothing
    else imported them."""
    if "deepdiff" in sys.modules:
        return sys.modules["deepdiff"]
    marked = [name for name in LEFT_OUT if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's own "known absent" mark
    try:
        return importlib.import_module("deepdiff")
    finally:
        for name in marked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
