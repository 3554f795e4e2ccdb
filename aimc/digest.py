"""SHA-256 of text, without loading OpenSSL.

Importing `hashlib` loads OpenSSL's libcrypto (`_hashlib`), ~3 ms of every start-up (issue 24), while aimc only hashes
a few short strings per object (label values, claim names, config checksums). CPython's own SHA-256 (`_sha2` from
3.12, `_sha256` before; the same digests, FIPS 180-4) is used when the interpreter is built with it, hashlib
otherwise. tests/test_digest.py checks the digests against hashlib's.

CPython's own SHA-256 is ~4x slower per byte than OpenSSL's, though: a compile that has hashed more than
`OPENSSL_AFTER_BYTES` (the pod templates' checksums of ~1,500 Deployments) loads OpenSSL for the rest, which then pays
for its import (the same digests either way).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from aimc.memo import compile_table


def _builtin_sha256() -> Callable[[bytes], Any]:
    for name in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    import hashlib  # an interpreter built without its own hashes (--without-builtin-hashlib-hashes)

    return hashlib.sha256


_SHA256 = _builtin_sha256()


# Bytes a compile hashes with CPython's SHA-256 before it loads OpenSSL's: ~2.5 ms to import, ~4 us less per
# kilobyte, measured with a build's checksums (a 10,000-endpoint build hashes ~8 MB, a 1,000-endpoint one ~0.8 MB).
OPENSSL_AFTER_BYTES = 1 << 20


def sha256_hex(text: str) -> str:
    """The hex SHA-256 of `text` written in UTF-8."""
    return sha256_hex_of_bytes(text.encode("utf-8"))


def sha256_hex_of_bytes(data: bytes) -> str:
    """The hex SHA-256 of `data`."""
    return str(_hasher(len(data))(data).hexdigest())


def _hasher(size: int) -> Callable[[bytes], Any]:
    """CPython's SHA-256, or OpenSSL's once this compile has hashed more than OPENSSL_AFTER_BYTES (outside a compile,
    for a single text that long)."""
    tally = compile_table(_hasher)
    hashed = tally.get("bytes", 0) + size
    tally["bytes"] = hashed
    if hashed <= OPENSSL_AFTER_BYTES:
        return _SHA256
    import hashlib

    return hashlib.sha256
