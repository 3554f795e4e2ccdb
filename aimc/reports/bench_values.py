"""The fields of a benchmark result that `aimc bench report` reads, checked before they are sorted, compared or
printed.

A result file is whatever a file says: `"completed": "abc"`, `NaN`, a `max_concurrency` that is a string in one
result and a number in the next, a 5,000-digit count. A count or load that is not of its type is an error at the
result's `file:line` naming the field. A metric that is not a finite number is a figure the client could not
measure (vLLM writes NaN for a percentile of no request): it is shown as missing, never printed as `NaN`, which is
not JSON. Text fields keep their value; every printer escapes them (emit/scalars.py).
"""

from __future__ import annotations

import math

from aimc.errors import Diagnostic, quote

MAX_COUNT = 2**53  # a count beyond a float's exact integers is no benchmark's: refused, not rounded


def whole(data: dict, key: str, source: str, problems: list, minimum: int, default=None):
    """data[key] as a whole number >= minimum (an integral float such as 32.0 counts), default when absent or null."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_COUNT:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_COUNT:
        return value
    problems.append(_problem(source, key, value, f"expected a whole number from {minimum} to {MAX_COUNT:,}"))
    return default


def rate(data: dict, key: str, source: str, problems: list) -> str:
    """The request rate as the table shows it: "inf" or the number (absent: inf, the clients' default)."""
    value = data.get(key, "inf")
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return "inf"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and not math.isnan(value):
        if value == math.inf:
            return "inf"
        if value <= MAX_COUNT:
            return str(int(value)) if float(value).is_integer() else f"{value:g}"
    problems.append(_problem(source, key, value, "expected a number of requests per second above 0, or inf"))
    return "inf"


def figure(value) -> float | None:
    """A metric: a finite number, else None (not measured)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return number if math.isfinite(number) else None
    return None


def text(data: dict, key: str, source: str, problems: list) -> str | None:
    """A text field (date): a string, else an error; absent or null: None."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and _is_text(value)):
        return value
    problems.append(_problem(source, key, value, "expected a string of Unicode text"))
    return None


def identity_value(value, source: str, key: str, problems: list) -> str:
    """An identity field (`aimc_endpoint`, the model id, a tag pair) as text: a string, number or boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and figure(value) is not None and abs(value) <= MAX_COUNT:
        return str(value)
    if isinstance(value, str) and _is_text(value):
        return value
    problems.append(_problem(source, key, value, "expected a string"))
    return ""


def _is_text(value: str) -> bool:
    return not any(0xD800 <= ord(char) <= 0xDFFF for char in value)  # a lone surrogate (`"\udc80"`) is no text


def _problem(source: str, key: str, value, expected: str) -> Diagnostic:
    shown = f"a number of {len(str(abs(value))):,} digits" if isinstance(value, int) and abs(value) > 10**20 \
        else quote(repr(value) if not isinstance(value, str) else value)
    return problem_at(source, key, f"{shown} is not valid: {expected}")


def problem_at(source: str, key: str, message: str) -> Diagnostic:
    """A problem of the result at `source` (file:line)."""
    file, _, line = source.rpartition(":")
    return Diagnostic(file, int(line), key, message)
