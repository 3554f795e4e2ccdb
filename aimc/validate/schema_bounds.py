"""The message of a schema's exclusive bound (exclusiveMinimum, exclusiveMaximum), for validate/schema.py."""

from __future__ import annotations


def exclusive_bound(error) -> str:
    """jsonschema says '0 is less than or equal to the minimum of 0', which names the bound but not what is allowed:
    say the nearest value that is (for an integer, the next whole number), with the field's description."""
    bound, value = error.validator_value, error.instance
    low = error.validator == "exclusiveMinimum"
    types = error.schema.get("type", ())
    types = (types,) if isinstance(types, str) else tuple(types)
    if "integer" in types and "number" not in types and isinstance(bound, int):  # whole numbers only
        allowed = f"at least {bound + 1}" if low else f"at most {bound - 1}"
    else:
        allowed = f"above {bound}" if low else f"below {bound}"
    hint = error.schema.get("description", "")
    return f"{value!r} is too {'small' if low else 'large'}: expected {allowed}" + (f" ({hint})" if hint else "")
