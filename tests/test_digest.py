"""aimc.digest: SHA-256 without OpenSSL gives hashlib's digests, and a build does not load OpenSSL."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from aimc.digest import sha256_hex


@given(st.text())
def test_the_digest_is_hashlibs(text):
    try:
        expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: neither can hash it
        with pytest.raises(UnicodeEncodeError):
            sha256_hex(text)
        return
    assert sha256_hex(text) == expected


def test_the_digest_of_known_texts():
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.e2e
def test_a_build_does_not_load_openssl():
    code = ("import sys; from aimc.cli import fast; rc = fast.main(['build', 'examples']);"
            "print(sorted(m for m in ('_hashlib', 'hashlib', 'click') if m in sys.modules), rc, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.stderr.splitlines()[-1] == "[] 0", done.stderr[-2000:]


def test_a_compile_that_hashed_a_megabyte_goes_on_with_openssl_and_the_same_digests(monkeypatch):
    from aimc import digest
    from aimc.memo import one_compile

    chunk = "x" * 100_000
    used = []
    real = digest._hasher
    monkeypatch.setattr(digest, "_hasher", lambda size: used.append(real(size)) or used[-1])
    with one_compile():
        digests = [sha256_hex(chunk) for _ in range(12)]
    assert digests == [hashlib.sha256(chunk.encode()).hexdigest()] * 12
    assert used[:10] == [digest._SHA256] * 10 and used[10:] == [hashlib.sha256] * 2  # past 1 MiB of this compile
    with one_compile():  # a new compile starts counting again
        assert sha256_hex(chunk) == digests[0] and used[-1] is digest._SHA256
