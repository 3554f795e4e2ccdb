"""Encodings around the input: text that is not UTF-8 but would otherwise be called binary (UTF-16 and UTF-32, which
Windows editors and PowerShell's `>` write, carry NUL bytes), and file names, read as UTF-8 whatever the locale."""

from __future__ import annotations

import os

_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


def other_unicode(raw: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when `raw` looks like that encoding, else None."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    sample = raw[:4096]
    if len(sample) >= 8:
        # Without a byte-order mark: ASCII text in UTF-16 has a NUL in every other byte, and only there.
        for zeros, others in ((sample[0::2], sample[1::2]), (sample[1::2], sample[0::2])):
            if zeros.count(0) >= len(zeros) * 0.9 and others.count(0) == 0:
                return "UTF-16"
    return None


def utf8_file_name(name: str) -> str:
    """A file name read as UTF-8 whatever the locale: under `LC_ALL=C PYTHONUTF8=0` Python decodes names as ASCII
    (non-ASCII bytes become surrogate escapes), which would change `# Source:` comments and messages."""
    if name.isascii():  # the same in every locale (most names): no round trip
        return name
    try:
        return os.fsencode(name).decode("utf-8", "surrogateescape")
    except UnicodeError:  # pragma: no cover - a name Python could not have decoded in the first place
        return name
