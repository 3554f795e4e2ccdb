"""Golden cases: one folder each under tests/cases/.

A case holds `args` (the command line, one argument per line, paths relative to the case folder unless they start with
`@repo/`), optional input files under `inputs/`, and either `expected.yaml` (stdout of a successful run) or
`errors.txt` (stderr of a failing run, exit 1). `pytest --update-golden` rewrites them from the current output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


def _args(case: Path) -> list[str]:
    """`@repo/X` becomes X relative to the case folder, so outputs that quote a path are the same on every machine."""
    lines = (case / "args").read_text().split("\n") if (case / "args").exists() else ["build", "inputs"]
    out = []
    for line in (l.strip() for l in lines):
        if not line:
            continue
        out.append(os.path.relpath(REPO / line[6:], case) if line.startswith("@repo/") else line)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, aimc, update_golden):
    result = aimc(*_args(case), cwd=case)
    expected_out, expected_err = case / "expected.yaml", case / "errors.txt"
    if update_golden:
        if result.code == 0:
            expected_out.write_text(result.out)
            expected_err.unlink(missing_ok=True)
        else:
            expected_err.write_text(result.err)
            expected_out.unlink(missing_ok=True)
        return
    if expected_err.exists():
        assert result.code == 1, result
        assert result.out == "", "a failing build must print no manifests"
        assert result.err == expected_err.read_text()
    else:
        assert result.code == 0, result
        assert result.out == expected_out.read_text()
