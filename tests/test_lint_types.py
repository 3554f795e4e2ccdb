"""The lint and type gate: `ruff check` and `mypy` (configured in pyproject.toml) report nothing.

These run in the fast loop, so a finding fails the loop a developer runs, not only CI. Both tools are in the `test`
extra; a missing tool fails (a skipped gate would pass silently). Each costs about a second, mypy with its cache
(`.mypy_cache`) a few more on a cold start. `-m "not lint"` leaves them out of a quick local run.
Ruff's PGH003 makes every `# type: ignore` name its code; the last test asks for the reason beside it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINTED = ("aimc", "tests", "tools", "bench")

pytestmark = pytest.mark.lint


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=600, check=False)


def _ruff_codes(source: str, filename: str) -> set[str]:
    """The rule codes ruff reports for `source` as if it were the file `filename` of this repository."""
    run = _run("ruff", "check", "--no-cache", "--output-format", "concise", "--stdin-filename", filename, "-",
               stdin=source)
    return {line.split(" ")[1] for line in run.stdout.splitlines() if line.startswith(filename)}


def test_ruff_reports_nothing():
    run = _run("ruff", "check", *LINTED)
    assert run.returncode == 0, f"ruff check {' '.join(LINTED)}:\n{run.stdout}{run.stderr}"


def test_ruff_applies_the_chosen_rules_not_only_the_defaults():
    """The gate is the rule set pyproject.toml chooses: bugbear, import order, typed ignores and no print in aimc/."""
    source = ("import sys\nimport os\n\n\ndef f(x=[]):  # type: ignore\n    print(os.sep, sys.argv)\n    return x\n")
    codes = _ruff_codes(source, "aimc/lint_probe.py")
    assert {"I001", "B006", "PGH003", "T201"} <= codes, codes
    assert "T201" not in _ruff_codes(source, "tools/lint_probe.py")  # scripts print


def test_mypy_reports_nothing():
    run = _run("mypy")  # files and options: [tool.mypy] in pyproject.toml
    assert run.returncode == 0, f"mypy:\n{run.stdout}{run.stderr}"


def test_mypy_sees_records_as_frozen_and_typed(tmp_path):
    """A record subclass is a frozen dataclass to mypy (aimc/records.py), without a plugin or an ignore: assigning a
    field is an error, and so is constructing it with a value of the wrong type."""
    probe = ("from aimc.records import Record\n\n\nclass Point(Record):\n    x: int\n    label: str = ''\n\n\n"
             "point = Point(1)\npoint.x = 2\nPoint('one')\n")
    (tmp_path / "probe.py").write_text(probe)
    run = _run("mypy", "--no-error-summary", str(tmp_path / "probe.py"))
    assert "Non-frozen dataclass" not in run.stdout, run.stdout
    assert 'Property "x" defined in "Point" is read-only' in run.stdout, run.stdout
    assert 'Argument 1 to "Point" has incompatible type "str"; expected "int"' in run.stdout, run.stdout


def test_every_type_ignore_in_aimc_names_its_code_and_reason():
    """`# type: ignore[code]  # why`: an ignore is for an untyped third-party library, and says so beside it."""
    bare = []
    for path in sorted((ROOT / "aimc").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not re.search(r"#\s*type:\s*ignore\[[a-z-, ]+\]\s+#\s*\S", line):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "\n".join(bare)
