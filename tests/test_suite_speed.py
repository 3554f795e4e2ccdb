"""The test suite's own speed rules (docs/development.md): the fast loop (`-m "not e2e"`) starts no process."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("start", [
    lambda: subprocess.run([sys.executable, "-c", "pass"], check=False),
    lambda: os.system("true"),
    lambda: multiprocessing.get_context("spawn").Process(target=print).start(),
    lambda: multiprocessing.get_context("fork").Process(target=print).start(),
], ids=["subprocess", "os.system", "multiprocessing-spawn", "multiprocessing-fork"])
def test_a_test_outside_e2e_cannot_start_a_process(start):
    with pytest.raises(pytest.fail.Exception, match=r"starts a process .* mark the test @pytest.mark.e2e"):
        start()


@pytest.mark.e2e
def test_an_e2e_test_can():
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


@pytest.mark.parametrize("args, command_line, workers", [
    (["tests"], [], None),  # no arguments: pyproject's testpaths, the whole suite on xdist's count of CPUs
    (["tests/", "tests/test_memo.py"], ["tests/", "tests/test_memo.py"], None),
    (["tests/test_memo.py"], ["tests/test_memo.py"], 0),
    (["tests/test_memo.py::test_a", "tests/test_records.py"], ["tests/test_memo.py::test_a", "tests/test_records.py"], 0),
    (["tests/test_memo.py"], ["-n", "auto", "tests/test_memo.py"], None),  # asked for on the command line
    (["tests/test_memo.py"], ["--numprocesses=auto", "tests/test_memo.py"], None),
])
def test_the_suite_runs_on_every_cpu_and_named_files_in_this_process(args, command_line, workers):
    import tomllib
    from types import SimpleNamespace

    from conftest import REPO, pytest_xdist_auto_num_workers

    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "-n auto" in options
    config = SimpleNamespace(args=args, invocation_params=SimpleNamespace(args=tuple(command_line)))
    assert pytest_xdist_auto_num_workers(config) == workers
