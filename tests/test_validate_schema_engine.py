"""jsonschema-rs imported without `email.utils` (aimc/validate/schema_engine.py, issue 24): the same module, fewer
imports, and the real `email.utils` for everyone after."""

from __future__ import annotations

import email.utils
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.validate import schema_engine

# Both print the extension module's build facts (where the date lands) and the modules imported.
_REPORT = ("import sys; m = sys.modules['jsonschema_rs.jsonschema_rs']; "
           "print(repr(m.__build__)); print(sorted(n for n in ('email.utils', 'socket', 'calendar') "
           "if n in sys.modules))")
PLAIN = "import jsonschema_rs; " + _REPORT
THROUGH_AIMC = ("from aimc.validate.schema_engine import import_jsonschema_rs; import_jsonschema_rs(); " + _REPORT
                + "; import email.utils; print(email.utils.format_datetime.__module__, "
                  "type(sys.modules['email.utils']).__name__)")


def _run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.e2e
def test_jsonschema_rs_imported_by_aimc_is_the_same_module_without_email_utils():
    plain_build, plain_modules = _run(PLAIN)
    build, modules, after = _run(THROUGH_AIMC)
    assert build == plain_build and "info-time" in build  # the build date parsed to the same datetime
    assert plain_modules == "['calendar', 'email.utils', 'socket']"  # what the stand-in saves
    assert modules == "[]"
    assert after == "email.utils module"  # a later import gets the real module


@pytest.mark.e2e
def test_a_compile_validates_with_jsonschema_rs_without_importing_email_utils(tmp_path):
    code = ("import sys; from aimc import pipeline; pipeline.compile(pipeline.Options(paths=('examples',))); "
            "print('jsonschema_rs' in sys.modules, 'email.utils' in sys.modules)")
    from conftest import REPO

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["True", "False"]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_the_stand_in_parses_a_utc_date_as_email_utils_does(moment):
    text = email.utils.format_datetime(moment.replace(microsecond=0, tzinfo=UTC))
    assert text.endswith(" +0000")
    ours, real = schema_engine.parsedate_to_datetime(text), email.utils.parsedate_to_datetime(text)
    assert ours == real and ours.tzinfo == real.tzinfo and repr(ours) == repr(real)


def test_any_other_date_is_parsed_by_the_real_function():
    for text in ("Thu, 12 Nov 2026 07:50:16 -0500", "Thu, 12 Nov 2026 07:50:16 GMT", "12 Nov 2026 07:50:16 +0000",
                 "Thu, 12 Nov 2026 07:50:16 -0000"):
        assert repr(schema_engine.parsedate_to_datetime(text)) == repr(email.utils.parsedate_to_datetime(text))
    east = schema_engine.parsedate_to_datetime("Thu, 12 Nov 2026 07:50:16 +0130")
    assert east.utcoffset() == timedelta(hours=1, minutes=30)


def test_the_stand_in_hands_every_other_name_to_the_real_module(monkeypatch):
    stand_in = schema_engine._stand_in()
    monkeypatch.setitem(sys.modules, "email.utils", stand_in)
    assert stand_in.formataddr is email.utils.formataddr
    assert sys.modules["email.utils"] is email.utils  # the stand-in left: the real module took its place
