"""Start-up: what `aimc build` imports and how the command line runs (bench/run.py measures the time itself)."""

import re
import subprocess
import sys
import tomllib

import click
import pytest
from conftest import REPO


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.e2e
def test_build_imports_no_other_command_family():
    """Commands load their module on look-up: a build pays neither for the adapters, diff, recipes and schema
    commands nor for what those import."""
    code = ("import sys; from aimc.cli import main; rc = main(['build', 'examples']);"
            "bad = sorted(m for m in sys.modules if m.startswith(('aimc.cli.adapters', 'aimc.cli.diff', "
            "'aimc.cli.recipes', 'aimc.cli.schema', 'aimc.adapters', 'aimc.reports', 'jinja2', 'deepdiff', "
            "'kubernetes')));"
            "print(bad, file=sys.stderr); sys.exit(rc or (1 if bad else 0))")
    run = _python(code)
    assert run.returncode == 0, run.stderr


# What only a disaggregated endpoint or one with spec.objective needs: the roles' resolver and renderers, the
# performance model (issue 24: 15 of a plain build's 143 aimc modules).
FEATURE_MODULES = ("aimc.resolve.disaggregation", "aimc.resolve.objective", "aimc.perf.disaggregated",
                   "aimc.perf.physics", "aimc.render.disaggregation", "aimc.catalog.routers")


@pytest.mark.e2e
@pytest.mark.parametrize("exclude, loaded", [(["--exclude", "endpoints/qwen3-32b-disaggregated.yaml"], False),
                                             ([], True)])
def test_a_build_loads_disaggregation_and_the_performance_model_only_when_an_endpoint_uses_them(exclude, loaded):
    code = (f"import sys; from aimc.cli import fast; rc = fast.main(['build', 'examples', *{exclude!r}]); "
            f"print([m in sys.modules for m in {FEATURE_MODULES!r}], file=sys.stderr); sys.exit(rc)")
    run = _python(code)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.splitlines()[-1] == str([loaded] * len(FEATURE_MODULES))


def test_help_lists_every_command_under_its_own_name(aimc):
    from aimc.cli import COMMANDS, cli

    listed = aimc("--help").out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]  # the Examples section follows
    # A summary too long for one line wraps onto lines indented further than the command names.
    assert [line.split()[0] for line in listed.splitlines() if re.match(r"  \S", line)] == sorted(COMMANDS)
    for name in COMMANDS:
        assert cli.get_command(click.Context(cli), name).name == name


@pytest.mark.e2e
def test_console_script_runs_without_the_cyclic_collector():
    """The process is short-lived and its data acyclic: the collector's passes over a growing heap only cost time."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["aimc"] == "aimc.__main__:main"
    code = ("import gc, aimc.cli; aimc.cli.entry = lambda: print(gc.isenabled());"
            "from aimc.__main__ import main; main()")
    assert _python(code).stdout == "False\n"
    code = "import gc, runpy, sys; sys.argv = ['aimc', '--version']; runpy.run_module('aimc', run_name='__main__')"
    assert _python(code).stdout.startswith("aimc, version")


@pytest.mark.e2e
def test_importing_aimc_as_a_library_keeps_the_collector():
    code = "import gc, aimc.__main__, aimc.cli, aimc.pipeline; print(gc.isenabled())"
    assert _python(code).stdout == "True\n"
