"""A flag's value read as a whole number, the one way the resolve checks read sizes and counts from a command line."""

from __future__ import annotations


def whole_number(value) -> int | None:
    """`value` (a flag's value: text, a number, None for an absent flag, a tuple for a repeated one) as an int, or
    None when it is not written as one (`true`, `1.5`, `2k` and a repeated flag are not; startup_checks reads vLLM's
    `32k` suffixes itself)."""
    if value is None or isinstance(value, tuple):  # absent or repeated: without raising and catching a ValueError
        return None
    try:
        return int(str(value))
    except ValueError:
        return None
