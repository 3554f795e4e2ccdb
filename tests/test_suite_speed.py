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
