"""Importing jsonschema-rs without the `email.utils` import its extension module makes at start-up.

jsonschema-rs's Rust module builds, when it is imported, a `__build__` dictionary of facts about its own build (the
`built` crate's Python bindings, pyo3-built): it turns the build's time, an RFC 2822 date such as
`Thu, 12 Nov 2026 07:50:16 +0000`, into a `datetime` by calling `email.utils.parsedate_to_datetime`. Importing
`email.utils` brings `socket`, `calendar`, `locale` and the `email` charset modules with it: ~5.5 ms of CPU, about
5 % of a 10-endpoint `aimc build`, for a date nobody reads (issue 24). aimc validates with jsonschema-rs in every
compile, so it imports it here instead: `email.utils` is, while the extension module initialises and only if no one
imported it before, a stand-in module whose `parsedate_to_datetime` gives the same `datetime` for a date in that
form (and asks the real function for any other text); any other name read from it is the real module's. The
stand-in leaves `sys.modules` as soon as the import returns, so any later `import email.utils` (the `jsonschema`
messages, a program using aimc as a library) gets the real module. tests/test_validate_schema_engine.py checks that
the module so imported holds exactly what a plain import gives.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from datetime import UTC, datetime

STAND_IN = "email.utils"
# RFC 2822 date-time in UTC as pyo3-built writes it (chrono's to_rfc2822 of a UTC time).
# (Matched with re's own cache of patterns: compiled once, when the import asks, not when this module loads.)
_UTC_DATE = (r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
             r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) \+0000")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def import_jsonschema_rs() -> types.ModuleType:
    """The `jsonschema_rs` module, imported (once per process, as every import) without importing `email.utils`
    when nothing else has."""
    if "jsonschema_rs" in sys.modules or STAND_IN in sys.modules:
        return importlib.import_module("jsonschema_rs")
    sys.modules[STAND_IN] = _stand_in()
    try:
        return importlib.import_module("jsonschema_rs")
    finally:
        if isinstance(sys.modules.get(STAND_IN), _StandIn):
            del sys.modules[STAND_IN]


def parsedate_to_datetime(text: str) -> datetime:
    """`email.utils.parsedate_to_datetime(text)` for `Day, DD Mon YYYY HH:MM:SS +0000`; any other text is parsed by
    the real function."""
    found = re.fullmatch(_UTC_DATE, text) if isinstance(text, str) else None
    if found is None:
        return _real_attribute("parsedate_to_datetime")(text)
    day, month, year, hour, minute, second = found.groups()
    return datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second),
                    tzinfo=UTC)


class _StandIn(types.ModuleType):
    """`email.utils` for the time of the import: `parsedate_to_datetime` of a UTC date without the real module; any
    other name is the real module's."""

    parsedate_to_datetime = staticmethod(parsedate_to_datetime)

    def __getattr__(self, name: str):
        return _real_attribute(name)


def _stand_in() -> _StandIn:
    return _StandIn(STAND_IN)


def _real_attribute(name: str):
    """A name of the real `email.utils` (imported now, in place of the stand-in)."""
    if isinstance(sys.modules.get(STAND_IN), _StandIn):
        del sys.modules[STAND_IN]
    return getattr(importlib.import_module(STAND_IN), name)
