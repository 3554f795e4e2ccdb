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
