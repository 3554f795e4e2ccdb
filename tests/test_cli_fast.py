"""`aimc build` and `aimc explain` read without click (aimc/cli/fast.py): the same options, the same errors, the same
exit codes.

The fast parser either reads a command line exactly as click does or hands it to click; these tests check both
halves: on every command line it accepts, click accepts it too with the same parameters, and a build or an explain
run either way prints the same bytes and exits with the same code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.cli import fast


def click_params(argv: list[str]) -> dict:
    """The parameters click gives `aimc build` or `aimc explain` for this command line (raises click's error when it
    refuses it), with the command's name."""
    from aimc.cli.app import cli

    with cli.make_context("aimc", list(argv)) as root:
        name, command, rest = cli.resolve_command(root, [*root._protected_args, *root.args])
        assert name in ("build", "explain")
        with command.make_context(name, rest, parent=root) as ctx:
            return {"command": name, **ctx.params}


def fast_params(args: fast.BuildArgs | fast.ExplainArgs) -> dict:
    command = "build" if isinstance(args, fast.BuildArgs) else "explain"
    return {"command": command, **{name: getattr(args, name) for name in args.__struct_fields__}}


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("places")
    (root / "folder").mkdir()
    (root / "file.yaml").write_text("a: 1\n")
    return {"folder": str(root / "folder"), "file": str(root / "file.yaml"), "absent": str(root / "absent")}


OPTION_WORDS = [*fast.VALUE_OPTIONS, *fast.EXPLAIN_VALUE_OPTIONS, *fast.FLAG_OPTIONS, "--help", "-h", "--version",
                "--", "--traceback", "--strict=1", "--format=json", "--format=xml", "--inventory=x.yaml", "-ix",
                "-fjson", "--nope", "-x", "--output-dir=", "--endpoint=a", "-ea", "-"]
VALUE_WORDS = ["yaml", "json", "JSON", "x", "", "a b", "é", "\udcff", "-5", "*.tmp"]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_command_line_the_fast_parser_reads_click_reads_the_same(places, data):
    words = st.sampled_from([*OPTION_WORDS, *VALUE_WORDS, *places.values()])
    argv = (data.draw(st.sampled_from([[], ["--traceback"]])) + [data.draw(st.sampled_from(["build", "explain"]))]
            + data.draw(st.lists(words, max_size=8)))
    parsed = fast.parse(argv)
    if parsed is not None:  # accepted: click must accept it with the same values
        assert click_params(argv) == fast_params(parsed), argv


@pytest.mark.parametrize("argv", [
    ["build"],
    ["build", "examples"],
    ["build", "examples", "-"],
    ["--traceback", "build", "examples"],
    ["build", "-o", "out", "--strict", "examples", "extra"],
    ["build", "--format=json", "--inventory=examples/cluster.yaml", "examples"],
    ["build", "-f", "json", "-i", "examples/cluster.yaml", "-r", "examples", "-r", "docs", "-n", "team-a",
     "--exclude", "*.tmp", "--exclude", "old/*", "--allow-overcommit", "examples"],
    ["explain", "examples"],
    ["explain", "examples", "--endpoint", "qwen3-32b"],
    ["--traceback", "explain", "-e", "qwen3-32b", "-e", "mistral-small-24b", "--strict", "examples"],
    ["explain", "--endpoint=qwen3-32b", "-i", "examples/cluster.yaml", "-r", "examples", "-n", "team-a",
     "--exclude", "*.tmp", "--allow-overcommit", "examples"],
])
def test_the_usual_command_lines_take_the_fast_path_with_clicks_values(argv, monkeypatch):
    monkeypatch.chdir(REPO)
    parsed = fast.parse(argv)
    assert parsed is not None, argv
    assert click_params(argv) == fast_params(parsed)


@pytest.mark.parametrize("argv", [
    ["build", "--help"], ["build", "-h"], ["build", "--version"], ["--version"], ["validate", "examples"],
    ["build", "--format", "xml"], ["build", "-i"], ["build", "--nope"], ["build", "--", "examples"],
    ["build", "-iexamples/cluster.yaml"], ["build", "-n", "a", "-n", "b"], ["build", "--strict=yes"],
    ["build", "-i", "examples"],  # a folder where click.Path(dir_okay=False) wants a file
    ["build", "-o", "examples/cluster.yaml"],  # a file where a folder is wanted
    ["build", "-r", "examples/cluster.yaml"],
    ["build", "-n", "--strict"],  # a value that looks like an option
    ["build", "\udcff"],  # a byte of the command line that is not UTF-8
    ["explain", "--help"], ["explain", "--version"], ["explain", "-e"], ["explain", "-equ"],
    ["explain", "--format", "json"], ["explain", "-o", "out"],  # build's own options
    ["explain", "-e", "-x"], ["explain", "--", "examples"],
])
def test_whatever_the_fast_parser_is_unsure_of_goes_to_click(argv, monkeypatch):
    monkeypatch.chdir(REPO)
    assert fast.parse(argv) is None


def run_both(argv, capsys, monkeypatch, tmp_path):
    """(exit code, stdout, stderr) of `aimc ARGV` through click (app.main) and through the fast path."""
    from aimc.cli.app import main

    monkeypatch.chdir(REPO)
    outcomes = []
    for runner in (main, fast.main):
        capsys.readouterr()
        code = runner(list(argv))
        captured = capsys.readouterr()
        outcomes.append((code, captured.out, captured.err))
    return outcomes


ERRORS = {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
          "a.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: a}\n"
                    "spec: {model: x, gpuCount: 0}\n",
          "c.yaml": "key: [unclosed\n"}


@pytest.mark.parametrize("argv, code", [
    (["explain", "examples", "--endpoint", "qwen3-32b"], 0),
    (["explain", "examples", "-e", "qwen3-32b", "-e", "mistral-small-24b"], 0),
    (["explain", "examples"], 0),
    (["explain", "examples", "--endpoint", "nope"], 1),  # not found: every endpoint listed, exit 1
    (["explain", "no-such-folder"], 1),
])
def test_an_explain_prints_and_exits_the_same_either_way(argv, code, capsys, monkeypatch, tmp_path):
    by_click, by_fast = run_both(argv, capsys, monkeypatch, tmp_path)
    assert by_fast == by_click
    assert by_fast[0] == code and by_fast[1]


@pytest.mark.parametrize("case", ["yaml", "json", "strict", "errors", "empty", "output-dir"])
def test_a_build_prints_and_exits_the_same_either_way(case, capsys, monkeypatch, tmp_path):
    from conftest import write_tree

    argv = {"yaml": ["build", "examples"], "json": ["build", "-f", "json", "examples"],
            "strict": ["build", "--strict", "examples"], "errors": ["build", str(tmp_path / "errors")],
            "empty": ["build", str(tmp_path / "empty")],
            "output-dir": ["build", "-o", str(tmp_path / "out"), "examples"]}[case]
    write_tree(tmp_path / "errors", ERRORS)
    (tmp_path / "empty").mkdir()
    by_click, by_fast = run_both(argv, capsys, monkeypatch, tmp_path)
    assert by_fast == by_click
    assert by_fast[0] == (1 if case in ("errors", "empty") else 0)


def test_an_internal_error_exits_3_the_same_either_way(capsys, monkeypatch, tmp_path):
    from aimc import pipeline

    def broken(options):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "compile", broken)
    by_click, by_fast = run_both(["build", "examples"], capsys, monkeypatch, tmp_path)
    assert by_fast == by_click and by_fast[0] == 3


def test_the_echo_removes_ansi_codes_as_click_does(capsys):
    import click

    text = "a \033[31mred\033[0m word \033[?25l"
    click.echo(text, err=True)
    from_click = capsys.readouterr().err
    fast.echo(text, err=True)
    assert capsys.readouterr().err == from_click == "a red word \n"


@pytest.mark.e2e
@pytest.mark.parametrize("command, runner, starts", [
    ("'build', 'examples'", "run_build", "---\n"),
    ("'explain', 'examples', '--endpoint', 'qwen3-32b'", "run_explain", "endpoint qwen3-32b "),
])
def test_python_m_aimc_build_and_explain_do_not_import_click(command, runner, starts):
    # A finished build ends without the interpreter's teardown (aimc/__main__.py), after the exit handlers
    # registered while it ran: one registered by the command reports what it imported.
    code = (f"import atexit, runpy, sys; sys.argv = ['aimc', {command}]; import aimc.cli.fast as fast\n"
            f"def run(*args, _run=fast.{runner}):\n"
            "    atexit.register(lambda: print('click' in sys.modules, file=sys.stderr))\n"
            "    return _run(*args)\n"
            f"fast.{runner} = run\n"
            "runpy.run_module('aimc', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.splitlines()[-1] == "False", done.stderr[-2000:]
    assert done.stdout.startswith(starts)


@pytest.mark.e2e
def test_a_build_ends_without_teardown_with_its_output_whole_and_its_exit_code():
    """The console script skips Python's teardown after a build: every byte is still written (through a pipe, the
    usual reader), the exit handlers registered while it ran still run, an error still exits 1 with its message;
    under a tracer Python's own exit runs."""
    whole = subprocess.run([sys.executable, "-c", "from aimc.cli import main; main(['build', 'examples'])"],
                           cwd=REPO, capture_output=True, text=True)
    code = ("import atexit, sys; import aimc.cli.fast as fast\n"
            "def build(*args, _run=fast.run_build):\n"
            "    atexit.register(lambda: print('handlers ran', file=sys.stderr))\n"
            "    return _run(*args)\n"
            "fast.run_build = build\n"
            "atexit.register(lambda: print('teardown', file=sys.stderr))\n"
            "if sys.argv[1] == 'traced':\n    sys.settrace(lambda *a: None); del sys.argv[1]\n"
            "sys.argv = ['aimc'] + sys.argv[1:]; from aimc.__main__ import main; main()")
    done = subprocess.run([sys.executable, "-c", code, "build", "examples"], cwd=REPO, capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout == whole.stdout and len(done.stdout) > 10_000
    assert done.stderr.endswith("handlers ran\n")  # and not the handler from before aimc started: no teardown
    failed = subprocess.run([sys.executable, "-c", code, "build", "no-such-folder"], cwd=REPO, capture_output=True,
                            text=True)
    assert failed.returncode == 1 and "no-such-folder" in failed.stderr and failed.stdout == ""
    assert failed.stderr.endswith("handlers ran\n")
    traced = subprocess.run([sys.executable, "-c", code, "traced", "build", "examples"], cwd=REPO,
                            capture_output=True, text=True)
    assert traced.returncode == 0 and traced.stdout == whole.stdout and traced.stderr.endswith("teardown\n")
