"""Shared test helpers: run the real CLI in-process, locate the repository and the shared fixtures."""

from __future__ import annotations

import multiprocessing.util
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Upstream files the tests check aimc against (CRDs, Argo CD manifests, AIM profiles, real config.json files, perf
# data), vendored so that a fresh clone runs the whole suite; tests/fixtures/PROVENANCE*.md say where each came from.
# AIMC_SHARED_FIXTURES points the tests at another copy of the same layout (e.g. a newer upstream snapshot).
SHARED_FIXTURES = Path(os.environ.get("AIMC_SHARED_FIXTURES") or REPO / "tests" / "fixtures")
# The engines' full flag dumps that tools/trim_flag_sets.py trims into aimc/catalog/engines (tests/test_catalog_flag_sets).
REFERENCE_ENGINES = REPO / "tests" / "fixtures" / "reference" / "engines"


def pytest_xdist_auto_num_workers(config):
    """pyproject.toml's addopts ask for `-n auto`: a run of the suite (or of folders) takes a worker per CPU, a run of
    named test files or tests stays in this process, where the workers' start-up (each one imports and collects
    again, ~2 s) would cost more than it saves. `-n` on the command line (`-n auto`, `-n 2`, `-n 0`) decides instead."""
    typed = any(arg.startswith(("-n", "--numprocesses")) for arg in config.invocation_params.args)
    named = bool(config.args) and all("::" in arg or arg.endswith(".py") for arg in config.args)
    return 0 if named and not typed else None  # None: xdist's count (PYTEST_XDIST_AUTO_NUM_WORKERS, else the CPUs)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/cases/*/expected.yaml and errors.txt from the current output")


# Every way a test could start a process: the fast loop (`-m "not e2e"`) starts none (see _no_process_outside_e2e).
PROCESS_STARTERS = ((subprocess.Popen, "_execute_child"), (os, "fork"), (os, "forkpty"), (os, "posix_spawn"),
                    (os, "posix_spawnp"), (os, "system"), (multiprocessing.util, "spawnv_passfds"))


@pytest.fixture(autouse=True)
def _no_process_outside_e2e(request, monkeypatch):
    """A test that starts a process (aimc, git, kubectl, a shell, Go's YAML reader...) is marked `e2e`.

    Each process costs ~0.15 s of CPU (a Python interpreter and its imports), and such tests once made up a third of
    the fast loop; the same check through the in-process `aimc` fixture costs ~10 ms. Failing here, at the first
    process, keeps a new test from slowing the fast loop unnoticed. The lint gate (`lint`: ruff and mypy) is the one
    deliberate exception.
    """
    if request.node.get_closest_marker("e2e") or request.node.get_closest_marker("lint"):
        return

    def refuse(*args, **kwargs):
        pytest.fail(f"{request.node.nodeid} starts a process (the fast loop starts none): mark the test "
                    "@pytest.mark.e2e, or check the same thing in this process (the `aimc` fixture)", pytrace=False)

    for owner, name in PROCESS_STARTERS:
        if hasattr(owner, name):
            monkeypatch.setattr(owner, name, refuse)


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"Run(code={self.code}, err={self.err!r})"


@pytest.fixture
def aimc(capsys, monkeypatch):
    """Call `aimc ARGS...` in-process from a working directory (default: the repository)."""
    from aimc.cli import main

    def run(*args, cwd: Path | None = None, stdin: str | None = None) -> Run:
        monkeypatch.chdir(cwd or REPO)
        if stdin is not None:
            import io

            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# Git for tests that need real repositories: a fixed identity, and no user or system configuration.
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    import subprocess

    run = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
