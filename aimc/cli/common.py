"""Options and helpers that several commands share: the input options, stdin, warnings on stderr."""

from __future__ import annotations

import sys

import click

FORMATS = click.Choice(["yaml", "json"])


def compile_options(paths, inventory, recipes, namespace=None, strict=False, exclude=(), stdin_text=None,
             allow_overcommit=False):
    from aimc.pipeline import Options

    paths = tuple(paths) or (".",)
    if "-" in paths and stdin_text is None:
        stdin_text = read_stdin()
    return Options(paths=paths, inventory=inventory, recipe_dirs=tuple(recipes), stdin_text=stdin_text,
                   default_namespace=namespace, strict=strict, exclude=tuple(exclude),
                   allow_overcommit=allow_overcommit)


def read_stdin() -> str:
    """Stdin as bytes, carried losslessly in a str (surrogateescape): the pipeline checks its encoding like a file's.
    At most the input limit plus one byte is read (`yes | aimc build -` must not fill the memory)."""
    from aimc.errors import Diagnostic, UserError
    from aimc.load import limits

    if sys.stdin is None:  # closed (`<&-`): nothing to read
        return ""
    buffer = getattr(sys.stdin, "buffer", None)
    try:
        if buffer is None:  # a text stream (tests replace stdin)
            text = sys.stdin.read(limits.MAX_INPUT_BYTES + 1)
            if len(text) > limits.MAX_INPUT_BYTES:
                raise limits.InputTooLarge(len(text), exact=False)
            return text
        return limits.read_stream(buffer).decode("utf-8", "surrogateescape")
    except limits.InputTooLarge as exc:
        raise UserError([Diagnostic("<stdin>", 1, "", exc.message())]) from None


def print_warnings(warnings) -> None:
    for warning in warnings:
        click.echo(warning.format(), err=True)


def input_options(function):
    """Options shared by every command that compiles."""
    function = click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))(function)
    function = click.option("--inventory", "-i", type=click.Path(dir_okay=False),
                            help="ClusterInventory file (default: the one found among the inputs).")(function)
    function = click.option("--recipes", "-r", multiple=True, type=click.Path(file_okay=False),
                            help="Folder of repository-local recipes or AIM profiles (repeatable).")(function)
    function = click.option("--namespace", "-n", default=None,
                            help="Namespace for endpoints that name none (after the inventory's default).")(function)
    function = click.option("--exclude", multiple=True, metavar="GLOB",
                            help="Skip input files matching GLOB, relative to the input folder (repeatable).")(function)
    return click.option("--strict", is_flag=True, help="Treat every warning as an error (CI, pre-commit).")(function)


def allow_overcommit_option(function):
    return click.option("--allow-overcommit", is_flag=True,
                        help="A node pool whose maximum GPU demand exceeds its capacity is a warning, not an error."
                        )(function)
