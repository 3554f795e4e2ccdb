"""SHA-256 of text, without loading OpenSSL.

Importing `hashlib` loads OpenSSL's libcrypto (`_hashlib`), ~3 ms of every start-up (issue 24), while aimc only hashes
a few short strings per object (label values, claim names, config checksums). CPython's own SHA-256 (`_sha2` from
3.12, `_sha256` before; the same digests, FIPS 180-4) is used when the interpreter is built with it, hashlib
otherwise. tests/test_digest.py checks the digests against hashlib's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _builtin_sha256() -> Callable[[bytes], Any]:
    for name in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    import hashlib  # an interpreter built without its own hashes (--without-builtin-hashlib-hashes)

    return hashlib.sha256


_SHA256 = _builtin_sha256()


def sha256_hex(text: str) -> str:
    """The hex SHA-256 of `text` written in UTF-8."""
    return str(_SHA256(text.encode("utf-8")).hexdigest())


def sha256_hex_of_bytes(data: bytes) -> str:
    """The hex SHA-256 of `data`."""
    return str(_SHA256(data).hexdigest())
