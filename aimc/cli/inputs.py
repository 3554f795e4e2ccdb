"""The inputs of a compiling command, from its parsed options: no click here, so that `aimc build`'s own parser
(`fast`) can use them without importing it."""

from __future__ import annotations

import sys


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
