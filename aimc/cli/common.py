"""Options and helpers that several commands share: the input options, stdin, warnings on stderr."""

from __future__ import annotations

import click

from aimc.cli.inputs import compile_options, read_stdin

__all__ = ["FORMATS", "allow_overcommit_option", "compile_options", "input_options", "print_warnings", "read_stdin"]

FORMATS = click.Choice(["yaml", "json"])


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
