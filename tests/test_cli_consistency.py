"""What every command shares (issue 13, "Consistency"): options, help, version, exit codes, colour."""

from __future__ import annotations

import click
import pytest
from conftest import REPO


def _commands():
    from aimc.cli import cli

    ctx = click.Context(cli)
    out = []

    def walk(command, path):
        out.append((" ".join(path), command))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])

    walk(cli, ["aimc"])
    return out


COMMANDS = _commands()


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_option_has_help_text(path, command):
    missing = [p.opts for p in command.params if isinstance(p, click.Option) and not p.hidden and not p.help]
    assert not missing, f"{path}: options without help: {missing}"


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_inventory_short_option_is_a_file_everywhere(path, command):
    for param in command.params:
        if isinstance(param, click.Option) and "-i" in param.opts:
            assert isinstance(param.type, click.Path) and not param.type.dir_okay, path


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS if p != "aimc"])
def test_version_works_on_every_command(aimc, path):
    result = aimc(*path.split()[1:], "--version")
    assert result.code == 0 and result.out.startswith("aimc, version "), (path, result)


def test_traceback_is_in_the_top_level_help(aimc):
    result = aimc("--help")
    assert result.code == 0 and "--traceback" in result.out


def test_explain_accepts_allow_overcommit_like_build_and_plan(aimc):
    case = REPO / "tests/cases/error-overcommit"
    assert aimc("explain", "inputs", cwd=case).code == 1
    allowed = aimc("explain", "inputs", "--allow-overcommit", cwd=case)
    assert allowed.code == 0, allowed
    assert "overcommitted" in allowed.out  # still reported, as a warning


@pytest.mark.parametrize("args", [
    ["build", "MISSING"], ["validate", "MISSING"], ["plan", "MISSING"], ["explain", "MISSING"],
    ["bench", "jobs", "MISSING"], ["bench", "report", "MISSING"], ["recipes", "validate", "MISSING"],
    ["precommit", "rendered", "--rendered", "out", "MISSING"], ["build", "-i", "MISSING", "."],
])
def test_a_missing_input_file_is_exit_1_in_every_command(aimc, tmp_path, args):
    args = [str(tmp_path / "nope.yaml") if a == "MISSING" else a for a in args]
    result = aimc(*args, cwd=tmp_path)
    assert result.code == 1, (args, result)
    assert "nope.yaml" in result.err + result.out


def test_color_always_wins_over_no_color_and_the_readme_says_so(aimc):
    readme = " ".join((REPO / "docs" / "integrations" / "ci-diffs.md").read_text().split())
    assert "an explicit `--color always` wins over `NO_COLOR`" in readme
    from aimc.cli.diff import diff

    colour = next(p for p in diff.params if p.name == "colour")
    assert "always wins over NO_COLOR" in colour.help
