"""`--help` of every command: an Examples section whose commands use real options, and whole one-line summaries in
the command lists (click cuts them mid-sentence with '...' by default). Issue 25."""

from __future__ import annotations

import re
import shlex

import click
from click.testing import CliRunner

from aimc.cli import cli
from aimc.cli.examples import EXAMPLES


def every_command():
    def walk(command, ctx, words):
        yield words, command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                yield from walk(sub, click.Context(sub, info_name=name, parent=ctx), [*words, name])
    yield from walk(cli, click.Context(cli, info_name="aimc", **cli.context_settings), [])


def help_of(words):
    result = CliRunner().invoke(cli, [*words, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_shows_examples():
    missing = []
    for words, _command in every_command():
        text = help_of(words)
        parts = re.split(r"\n\s*Examples:\n", text, maxsplit=1)
        examples = parts[1] if len(parts) == 2 else ""
        command_lines = [line for line in examples.splitlines() if line.strip() and not line.strip().startswith("#")]
        if not any(re.search(r"(^|\s|\")aimc ", line) for line in command_lines):
            missing.append(" ".join(["aimc", *words]))
    assert not missing, f"--help without an Examples section: {missing}"


def test_no_summary_in_a_command_list_is_cut_off():
    for words, command in every_command():
        if not isinstance(command, click.Group):
            continue
        listing = help_of(words).split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
        entries = re.split(r"\n  (?=\S)", "\n" + listing)
        for entry in filter(str.strip, entries):
            assert not entry.rstrip().endswith("..."), f"aimc {' '.join(words)}: summary cut off: {entry.strip()}"


def test_every_example_uses_options_the_command_has():
    commands = {" ".join(words): command for words, command in every_command()}
    for path, pairs in EXAMPLES.items():
        for _comment, line in pairs:
            for part in re.split(r"\s*(?:\||&&|<|>)\s*", line.replace('"aimc krm"', "| aimc krm")):
                words = shlex.split(part)
                while words and "=" in words[0]:
                    words = words[1:]  # environment assignments
                if not words or words[0] != "aimc":
                    continue
                words = words[1:]
                depth = 0
                while " ".join(words[:depth + 1]) in commands and depth < len(words):
                    depth += 1
                command = commands[" ".join(words[:depth])]
                known = {opt for p in command.params for opt in [*p.opts, *p.secondary_opts]} | {"-h", "--help"}
                for word in words[depth:]:
                    if word.startswith("-") and word != "-":
                        assert word.split("=")[0] in known, f"example of {path!r}: {line}: {word} is no option"
