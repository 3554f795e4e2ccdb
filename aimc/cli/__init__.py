"""The command line: parse options, call the pipeline, print, return an exit code. No logic lives here.

The click application (`cli`, `main`, `entry`) lives in `app`; its names are read from here on first use, so that
`aimc build`'s own parser (`fast`, which runs before click is imported) can live in this package without paying for
click. Every command lives in a module of this package by family."""

from __future__ import annotations

import importlib
from typing import Any

# The names of the click application read through this package (any other name is a submodule, or missing: the
# import system asks for `streams` before importing it, and that must not import click).
APPLICATION_NAMES = frozenset({"COMMANDS", "LazyGroup", "cli", "entry", "main"})


def __getattr__(name: str) -> Any:
    """`from aimc.cli import main` (and cli, entry, COMMANDS): the click application's names (PEP 562)."""
    if name not in APPLICATION_NAMES:
        raise AttributeError(f"module 'aimc.cli' has no attribute {name!r}")
    return getattr(importlib.import_module("aimc.cli.app"), name)
