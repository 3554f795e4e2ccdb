"""aimc/reports/deepdiff_import.py: deepdiff imported without numpy and pydantic, nothing left marked absent, and
the same answers as a plain import (issue 24: ~0.18 s of an `aimc diff`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.e2e  # each test starts a fresh interpreter: what an import does is seen only there

PROBE = """
import json, sys
from aimc.reports.deepdiff_import import deepdiff_module
module = deepdiff_module()
loaded = {name: name in sys.modules for name in ("numpy", "pydantic")}
marked = [name for name in ("numpy", "pydantic") if name in sys.modules and sys.modules[name] is None]
from aimc.reports import diff
changes = diff.field_changes({"a": [1, {"b": True}], "c": "x"}, {"a": [1, {"b": 1}], "d": "y"})
print(json.dumps({"loaded": loaded, "marked": marked, "same": module is sys.modules["deepdiff"],
                  "changes": [[c.path, c.change, repr(c.old), repr(c.new)] for c in changes]}))
"""
PLAIN = PROBE.replace("from aimc.reports.deepdiff_import import deepdiff_module\nmodule = deepdiff_module()",
                      "import deepdiff as module")


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(done.stdout)


def test_deepdiff_is_imported_without_numpy_and_pydantic_and_nothing_stays_marked():
    probe = _run(PROBE)
    assert probe["loaded"] == {"numpy": False, "pydantic": False}
    assert probe["marked"] == [] and probe["same"]


def test_the_field_changes_are_those_of_a_plain_import():
    probe, plain = _run(PROBE), _run(PLAIN)
    assert probe["changes"] == plain["changes"]
    assert ["a[1].b", "changed", "True", "1"] in probe["changes"]  # a change of YAML type only (issue 21)


def test_a_later_import_gets_the_real_packages():
    import importlib.util

    code = PROBE + "\nimport pydantic\nprint(json.dumps(pydantic.__name__))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    if importlib.util.find_spec("pydantic") is None:  # pragma: no cover - the kubernetes package requires it
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == '"pydantic"'


def test_an_earlier_import_is_left_alone():
    """A process that imported pydantic before keeps deepdiff's support of it (nothing is marked absent then)."""
    code = "import pydantic\n" + PROBE + (
        "import deepdiff.helper\nprint(json.dumps(deepdiff.helper.PydanticBaseModel is pydantic.BaseModel))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "true"
