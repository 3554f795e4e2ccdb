"""The click application: every command, and `main`, which owns the exit codes.

Commands live in the modules of this package by family (`COMMANDS`), each loaded when it is looked up."""

from __future__ import annotations

import importlib
import os
import sys

import click

from aimc import __version__
from aimc.cli import fast, streams
from aimc.cli.examples import add_help_extras, examples_text
from aimc.errors import EXIT_OK, EXIT_USAGE, EXIT_USER_ERROR, UserError

# Command name -> "module:function". A command's module (and what it imports) loads only when that command is looked
# up: `aimc build`, the start-up-bound command that Argo CD and pre-commit run, does not pay for the other families.
COMMANDS = {
    "argocd": "aimc.cli.adapters:argocd",
    "bench": "aimc.cli.bench:bench",
    "build": "aimc.cli.build:build",
    "diff": "aimc.cli.diff:diff",
    "estimate": "aimc.cli.estimate:estimate",
    "explain": "aimc.cli.build:explain",
    "krm": "aimc.cli.adapters:krm",
    "kustomize": "aimc.cli.adapters:kustomize",
    "models": "aimc.cli.models:models",
    "plan": "aimc.cli.build:plan",
    "precommit": "aimc.cli.adapters:precommit",
    "recipes": "aimc.cli.recipes:recipes",
    "schema": "aimc.cli.schema:schema",
    "validate": "aimc.cli.build:validate",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module on first look-up (`--help` looks every command up)."""

    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, function = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), function)
            _with_version(command)
            add_help_extras(command, cmd_name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


def _with_version(command: click.Command) -> None:
    """`--version` on every command and subcommand too (the README says "everywhere"), not only on `aimc`."""
    if not any(isinstance(p, click.Option) and "--version" in p.opts for p in command.params):
        click.version_option(__version__, prog_name="aimc")(command)
    for sub in getattr(command, "commands", {}).values():
        _with_version(sub)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=examples_text(""))
@click.version_option(__version__, prog_name="aimc")
@click.option("--traceback", is_flag=True,
              help="Show the Python traceback of an internal error (exit 3), for a bug report; also AIMC_TRACEBACK=1.")
@click.pass_context
def cli(ctx, traceback):
    """aimc: compile AIMEndpoint specs into plain Kubernetes manifests for AMD Instinct GPUs."""
    ctx.obj = {"traceback": traceback}



def main(argv=None, prog_name="aimc") -> int:
    """Entry point: user errors exit 1 with one line each, usage errors 2, bugs 3 (with --traceback for details)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv or os.environ.get("AIMC_TRACEBACK") == "1"
    streams.utf8_streams()
    closed = streams.closed_stdout_message()
    if closed:
        click.echo(closed, err=True)
        return EXIT_USER_ERROR
    try:
        code = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
        streams.flush_stdout()
        streams.confirm_read()
    except UserError as error:
        return fast.user_error(error, click.echo)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aimc: aborted", err=True)
        return EXIT_USER_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_USER_ERROR
    except SystemExit:
        if not streams.click_saw_broken_pipe():
            raise
        return fast.output_error(BrokenPipeError(), show_traceback, click.echo)
    except OSError as exc:  # `| head -c 100000`, `> /dev/full`: the output did not arrive whole
        return fast.output_error(exc, show_traceback, click.echo)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        return fast.internal_error(exc, show_traceback, click.echo)
    return code if isinstance(code, int) else EXIT_OK


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
