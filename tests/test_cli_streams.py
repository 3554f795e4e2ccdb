"""cli/streams: click's broken-pipe wrapper is recognised under its name in every click aimc allows (>= 8.1)."""

from __future__ import annotations

import io
import sys
import warnings
from types import SimpleNamespace

import click
import click.utils

from aimc.cli import streams


class _Wrapper:
    def __init__(self, wrapped):
        self.wrapped = wrapped


def _unwraps(monkeypatch, wrapper_class) -> bool:
    inner = io.StringIO()
    monkeypatch.setattr(sys, "stdout", wrapper_class(inner))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # click 8.5 warns when its deprecated public name is asked for
        saw = streams.click_saw_broken_pipe()
    return saw and sys.stdout is inner


def test_the_installed_clicks_wrapper_is_recognised_and_removed(monkeypatch):
    installed = getattr(click.utils, "_PacifyFlushWrapper", None) or click.utils.PacifyFlushWrapper
    assert _unwraps(monkeypatch, installed)


class _Click85Utils:
    """click.utils as of click 8.5: the class is private, and asking for the public name warns."""

    _PacifyFlushWrapper = _Wrapper

    def __getattr__(self, name):
        if name == "PacifyFlushWrapper":
            warnings.warn("'click.utils.PacifyFlushWrapper' is deprecated", DeprecationWarning, stacklevel=2)
            return _Wrapper
        raise AttributeError(name)


def test_click_8_5_names_it_private(monkeypatch):
    """click >= 8.5: `_PacifyFlushWrapper`; the public `PacifyFlushWrapper` warns (and goes away in click 9)."""
    monkeypatch.setattr(click, "utils", _Click85Utils())
    assert _unwraps(monkeypatch, _Wrapper)


def test_click_before_8_5_names_it_public(monkeypatch):
    monkeypatch.setattr(click, "utils", SimpleNamespace(PacifyFlushWrapper=_Wrapper))
    assert _unwraps(monkeypatch, _Wrapper)


def test_any_other_stdout_is_left_alone(monkeypatch):
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert not streams.click_saw_broken_pipe() and sys.stdout is stdout
