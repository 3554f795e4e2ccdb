"""kubernetes-validate's strict schemas, with each schema file read once per process.

`kubernetes_validate.validate(obj, version, strict=True)` reads and parses its schema files (the kind's and the
multi-megabyte `_definitions.json`) on every call (kubernetes_validate/utils.py, `validate` -> `schema_contents`):
most of the time of a test that checks a few hundred objects. `validate` here runs that same function with the files'
contents kept, so the check is the library's own, unchanged.
"""

from __future__ import annotations

from functools import cache
from unittest import mock


@cache
def _kept_schema_contents():
    """kubernetes_validate's own file reader, remembering what it read (taken before `validate` patches it in)."""
    from kubernetes_validate import utils

    return cache(utils.schema_contents)


def validate(obj: dict, version: str) -> None:
    """`kubernetes_validate.validate(obj, version, strict=True)`: raises its ValidationError when `obj` is invalid."""
    import kubernetes_validate
    from kubernetes_validate import utils

    with mock.patch.object(utils, "schema_contents", _kept_schema_contents()):
        kubernetes_validate.validate(obj, version, strict=True)
