"""`aimc build` and `aimc explain` without importing click: the commands Argo CD, Kustomize and pre-commit run on
every sync or commit, and the one a user asks about one endpoint.

Importing click and dispatching through it is ~17 ms of a 10-endpoint build's ~130 ms, and ~7 ms of `explain
--endpoint`'s ~140 ms in a 1,000-endpoint repository (issue 24). `parse` reads a plain build or explain command line
itself, and only one it can read exactly as click would: an option, a value or a file it is not sure of (`--help`,
`--version`, `--`, `-iFILE`, a value starting with '-', a repeated single-valued option, a path click's checks would
refuse...) makes it answer None, and click parses the command line as it always has, so every error message, usage
error and exit code stays click's own. tests/test_cli_fast.py checks both parsers agree on every command line they
both accept, and that the fast path prints and exits exactly as the click path does.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable

from aimc.cli import streams
from aimc.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USER_ERROR, UserError
from aimc.records import Record

# Long and short option names of the input options every compiling command has (cli/common.input_options,
# allow_overcommit_option) -> the parameter they set; then each command's own (cli/build.build, cli/build.explain).
INPUT_OPTIONS = {"--inventory": "inventory", "-i": "inventory", "--recipes": "recipes", "-r": "recipes",
                 "--namespace": "namespace", "-n": "namespace", "--exclude": "exclude"}
VALUE_OPTIONS = {**INPUT_OPTIONS, "--format": "output_format", "-f": "output_format", "--output-dir": "output_dir",
                 "-o": "output_dir"}
EXPLAIN_VALUE_OPTIONS = {**INPUT_OPTIONS, "--endpoint": "endpoint_names", "-e": "endpoint_names"}
FLAG_OPTIONS = {"--strict": "strict", "--allow-overcommit": "allow_overcommit"}
REPEATABLE = {"recipes", "exclude", "endpoint_names"}
FORMAT_CHOICES = ("yaml", "json")  # cli/common.FORMATS
# click's regular expression of ANSI style codes, removed from what is written to a stream that is not a terminal
# (click/_compat.py `_ansi_re`, used by click.echo through strip_ansi).
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


class BuildArgs(Record):
    """The parameters of `aimc build`, as click passes them to cli/build.build."""

    paths: tuple[str, ...] = ()
    inventory: str | None = None
    recipes: tuple[str, ...] = ()
    namespace: str | None = None
    exclude: tuple[str, ...] = ()
    strict: bool = False
    allow_overcommit: bool = False
    output_format: str = "yaml"
    output_dir: str | None = None


class ExplainArgs(Record):
    """The parameters of `aimc explain`, as click passes them to cli/build.explain."""

    paths: tuple[str, ...] = ()
    inventory: str | None = None
    recipes: tuple[str, ...] = ()
    namespace: str | None = None
    exclude: tuple[str, ...] = ()
    strict: bool = False
    allow_overcommit: bool = False
    endpoint_names: tuple[str, ...] = ()


# Command -> (its value options, its parameters).
COMMANDS = {"build": (VALUE_OPTIONS, BuildArgs), "explain": (EXPLAIN_VALUE_OPTIONS, ExplainArgs)}


def parse(argv: list[str]) -> BuildArgs | ExplainArgs | None:
    """`[--traceback] build|explain [OPTIONS] [PATHS]...` as click would read it, or None for anything else."""
    words = argv[1:] if argv[:1] == ["--traceback"] else argv
    if words[:1] not in (["build"], ["explain"]) or not all(_plain_text(word) for word in argv):
        return None
    value_options, command = COMMANDS[words[0]]
    values: dict = {}
    paths: list[str] = []
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        if word == "-" or not word.startswith("-"):
            paths.append(word)
            continue
        name, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in FLAG_OPTIONS and not equals:
            values[FLAG_OPTIONS[name]] = True
        elif name in value_options:
            if not equals:
                if not rest:
                    return None
                value = rest.pop(0)
            param = value_options[name]
            if value.startswith("-") or (param in values and param not in REPEATABLE):
                return None
            values[param] = (*values.get(param, ()), value) if param in REPEATABLE else value
        else:
            return None
    args = command(paths=tuple(paths), **values)
    return args if _click_accepts(args) else None


def _plain_text(word: str) -> bool:
    """A word click reads as it is: text that UTF-8 can write (not an undecodable byte of the command line)."""
    if word.isascii():
        return True
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _click_accepts(args: BuildArgs | ExplainArgs) -> bool:
    """What click's option types would check: the format's choices, and the checks of `click.Path` on an existing
    path (a directory where a file is wanted and the reverse, a path that cannot be read)."""
    if isinstance(args, BuildArgs) and args.output_format not in FORMAT_CHOICES:
        return False
    paths = [(p, True, True) for p in args.paths if p != "-"]  # (path, file allowed, folder allowed)
    paths += [(p, False, True) for p in args.recipes]
    if args.inventory is not None:
        paths.append((args.inventory, True, False))
    if isinstance(args, BuildArgs) and args.output_dir is not None:
        paths.append((args.output_dir, False, True))
    return all(_path_accepted(*entry) for entry in paths)


def _path_accepted(path: str, file_okay: bool, dir_okay: bool) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True  # click.Path(exists=False) takes a path that is not there; the pipeline says what is missing
    except ValueError:
        return False  # (a NUL character): click's own handling decides
    if (not file_okay and stat.S_ISREG(mode)) or (not dir_okay and stat.S_ISDIR(mode)):
        return False
    return os.access(path, os.R_OK)


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo of a string (click/utils.py): the message and a newline, ANSI codes removed unless the stream is
    a terminal, flushed. The streams are UTF-8 already (streams.utf8_streams), so click would not re-wrap them."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = message + "\n" if nl else message
    if text and "\033" in text and not _isatty(stream):
        text = _ANSI.sub("", text)
    if text:
        stream.write(text)
    stream.flush()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 - click's isatty: a stream that cannot say is no terminal
        return False


def run_build(args: BuildArgs, write: Callable[..., None], kept: list | None = None) -> int:
    """Compile and print (the body of `aimc build`, whichever parser read its options); `write` is click.echo or
    `echo`. `kept`: receives the compile's result, which the console script keeps until the process ends
    (aimc/__main__.py) rather than free it object by object."""
    from aimc import pipeline
    from aimc.cli.inputs import compile_options
    from aimc.emit import output as emit
    from aimc.load import limits

    result = pipeline.compile(compile_options(args.paths, args.inventory, args.recipes, args.namespace, args.strict,
                                              args.exclude, allow_overcommit=args.allow_overcommit))
    if kept is not None:
        kept.append(result)
    for warning in result.warnings:
        write(warning.format(), err=True)
    if args.output_dir:
        written, removed = emit.write_tree(list(result.objects), args.output_dir, args.output_format)
        write(f"aimc: wrote {len(written)} files to {args.output_dir}"
              + (f", removed {len(removed)} stale ones" if removed else ""), err=True)
    elif args.output_format == "yaml":
        for chunk in limits.bounded_chunks(emit.yaml_stream_chunks(list(result.objects))):
            write(chunk, nl=False)
    else:
        for chunk in limits.bounded_chunks([emit.render_stream(list(result.objects), args.output_format)]):
            write(chunk, nl=False)
    return EXIT_OK


def run_explain(args: ExplainArgs, write: Callable[..., None]) -> int:
    """The body of `aimc explain`, whichever parser read its options; `write` is click.echo or `echo`."""
    from aimc.cli.inputs import compile_options
    from aimc.reports import explain as explain_mod

    text, ok = explain_mod.explain(compile_options(args.paths, args.inventory, args.recipes, args.namespace,
                                                   args.strict, args.exclude, allow_overcommit=args.allow_overcommit),
                                   args.endpoint_names)
    write(text, nl=False)
    return EXIT_OK if ok else EXIT_USER_ERROR


def main(argv: list[str], kept: list | None = None) -> int | None:
    """Run a build or an explain the fast way and return its exit code, or None when click must read this command
    line. What app.main does around a command, for what these commands can raise (click's own exceptions cannot
    occur here). `kept`: see `run_build`."""
    args = parse(argv)
    if args is None:
        return None
    show_traceback = "--traceback" in argv or os.environ.get("AIMC_TRACEBACK") == "1"
    streams.utf8_streams()
    closed = streams.closed_stdout_message()
    if closed:
        echo(closed, err=True)
        return EXIT_USER_ERROR
    try:
        try:
            code = run_build(args, echo, kept) if isinstance(args, BuildArgs) else run_explain(args, echo)
        except (EOFError, KeyboardInterrupt):  # inside a command, click echoes a newline and raises Abort
            echo(err=True)
            echo("aimc: aborted", err=True)
            return EXIT_USER_ERROR
        streams.flush_stdout()
        streams.confirm_read()
    except UserError as error:
        return user_error(error, echo)
    except OSError as exc:  # `| head -c 100000`, `> /dev/full`: the output did not arrive whole
        return output_error(exc, show_traceback, echo)
    except Exception as exc:  # noqa: BLE001 - the one place (with app.main) that turns a bug into exit 3
        return internal_error(exc, show_traceback, echo)
    return code


def user_error(error: UserError, write: Callable[..., None]) -> int:
    for diagnostic in error.diagnostics:
        write(diagnostic.format(), err=True)
    count = sum(1 for d in error.diagnostics if d.severity == "error")
    write(f"aimc: {count} error{'s' if count != 1 else ''}", err=True)
    return EXIT_USER_ERROR


def output_error(exc: OSError, show_traceback: bool, write: Callable[..., None]) -> int:
    message = streams.output_error_message(exc)
    if message is None:
        return internal_error(exc, show_traceback, write)
    streams.discard_stdout()
    write(message, err=True)
    return EXIT_USER_ERROR


def internal_error(exc: Exception, show_traceback: bool, write: Callable[..., None]) -> int:
    if show_traceback:
        import traceback

        traceback.print_exc()
    write(f"aimc: internal error: {type(exc).__name__}: {exc}", err=True)
    write("aimc: this is a bug in aimc; rerun with --traceback and report it", err=True)
    return EXIT_INTERNAL
