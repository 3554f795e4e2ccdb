"""Scalars that every YAML reader reads back the same: YAML 1.1 (PyYAML), YAML 1.2 and Go's YAML libraries.

PyYAML quotes a string only when YAML 1.1 would read it as another type. The readers on the other side of aimc's
output read more strings as numbers or booleans: `kubectl`, Kustomize, Argo CD and the API server use go-yaml
(`sigs.k8s.io/yaml`, `gopkg.in/yaml.v2`/`v3`), which reads `5e-5`, `0o17`, `0x1F`, `08`, `1_0`, `0_x1f` and `y` / `n`
as numbers and booleans, and YAML 1.2 readers read `1e3` as a float. A string written plain as one of those reaches
the cluster as a number: an env value or a label aimc called valid is then refused, or silently changed.

`SafeDumper` is PyYAML's safe dumper whose resolver also knows those forms, so PyYAML quotes them (single quotes, as
it quotes its own); `typed_elsewhere` is the same test for the fast writer in yaml_text. The rules over-approximate
go-yaml's (which strips every `_` before trying `strconv.ParseInt(s, 0, 64)` and its YAML float pattern): quoting a
string that did not need it changes nothing a reader sees.

`inline_scalar` writes a value on one line of a document written line by line (`aimc models import`, `aimc recipes
generate`); with `comment_text` (aimc/errors.py: comments and messages) it is the one escaping path for text that
comes from a path, a file or a value: nothing aimc prints puts such a text into YAML any other way.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import yaml

from aimc.errors import comment_text

if TYPE_CHECKING:  # checked against the pure-Python dumper's API, which the C one shares
    _BaseDumper = yaml.SafeDumper
else:
    try:
        _BaseDumper = yaml.CSafeDumper
    except AttributeError:  # pragma: no cover - depends on the PyYAML build
        _BaseDumper = yaml.SafeDumper

_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# go-yaml's resolve map (booleans of YAML 1.1 including y/n, null, .inf/.nan, merge) and YAML 1.2's, any case.
_WORDS = frozenset({"", "~", "null", "y", "yes", "n", "no", "true", "false", "on", "off", ".nan", ".inf", "+.inf",
                    "-.inf", "<<"})
# After removing underscores: Go's integer literals (base prefixes 0x, 0o, 0b, and a leading 0 for octal) and the
# YAML 1.2 / go-yaml float pattern; also a leading dot (go-yaml tries strconv.ParseFloat on those).
_NUMBER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)"
                     r"(?:[eE][-+]?[0-9]+)?)|\.[0-9].*")
_NUMBER_START = frozenset("0123456789+-.")


def typed_elsewhere(value: str) -> bool:
    """Whether a YAML 1.2 or go-yaml reader would read this plain scalar as something other than a string."""
    if len(value) <= 6 and value.lower() in _WORDS:
        return True
    # Numbers have no length limit (go-yaml reads 70 digits and an exponent as a float): test every candidate.
    return value[:1] in _NUMBER_START and _NUMBER.fullmatch(value.replace("_", "")) is not None


class SafeDumper(_BaseDumper):
    """PyYAML's safe dumper (the C emitter when available) that also quotes what YAML 1.2 and go-yaml read as
    another type."""

    def resolve(self, kind, value, implicit):
        tag = super().resolve(kind, value, implicit)
        if tag == _STR_TAG and kind is yaml.ScalarNode and implicit[0] and typed_elsewhere(value):
            return _FLOAT_TAG  # any tag but str: the emitter then refuses the plain style and quotes the string
        return tag


_STR_RESOLVER = yaml.resolver.Resolver()


def resolves_to_str(value: str) -> bool:
    """Whether every reader reads this plain scalar as the string it is."""
    return _STR_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG and not typed_elsewhere(value)


class UnwritableValue(ValueError):
    """A value no YAML document can carry: NaN or an infinity (no JSON form, and aimc's own schemas refuse it), a
    lone surrogate (not Unicode text), or a type that is not a scalar."""


def inline_scalar(value) -> str:
    """`value` (a string, a whole or finite number, a boolean or None) as one line of YAML that PyYAML, YAML 1.2 and
    go-yaml all read back as that value: plain where that is unambiguous, quoted as PyYAML quotes it otherwise, and
    double-quoted with escapes (`\\n`, `\\e`, `\\L`) when PyYAML would spread it over several lines."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UnwritableValue(f"{value!r} has no JSON form")
    if not (value is None or isinstance(value, (str, int, float))):
        raise UnwritableValue(f"{type(value).__name__} is not a scalar")
    try:
        text = _one_scalar(value, None)
        # Line breaks (also U+2028, U+0085) and control characters only in the double-quoted style's escapes.
        return text if text.isprintable() else _one_scalar(value, '"')
    except UnicodeEncodeError as exc:  # the C emitter writes UTF-8, which has no lone surrogates
        raise UnwritableValue(f"{value!r} is not Unicode text: {exc.reason}") from None


def _one_scalar(value, style: str | None) -> str:
    text = yaml.dump(value, Dumper=SafeDumper, default_style=style, allow_unicode=True, width=1 << 30)
    return text[:-5] if text.endswith("\n...\n") else text[:-1]


# Markdown (CommonMark and GitHub's) that a text could start inline: emphasis, code, links, images, HTML, tables,
# strike-through, entities, math, and `_` where it can open or close emphasis (not inside a word: `1_gpu`).
_MARKDOWN_INLINE = re.compile(r"[\\`*\[\]<>|#!~&{}$^]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# ... and at the start of a list item's text, a nested block (`1.`, `-`, `+`, `=`).
_MARKDOWN_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def markdown_text(text: str, starts_block: bool = False) -> str:
    """`text` as literal Markdown in a table cell or a list item: on one line and printable (`comment_text`), with a
    backslash before every character CommonMark would read as markup, so `|`, `*`, `<b>`, `[x](y)` show as typed.
    `starts_block`: the text starts a list item's content, where `1.` or `-` would start a nested list."""
    escaped = _MARKDOWN_INLINE.sub(lambda match: "\\" + match.group(), comment_text(text))
    if not starts_block:
        return escaped
    return _MARKDOWN_BLOCK_START.sub(lambda match: (match.group(1) + "\\" + match.group(2)) if match.group(1)
                                     else "\\" + match.group(3), escaped)


def markdown_code(text: str, in_table: bool = False) -> str:
    """`text` as one Markdown code span: on one line and printable (a CR would end a table row), fenced with more
    backticks than any run inside it (CommonMark), pipes escaped inside a table (GitHub splits cells at every
    unescaped `|`, even in code)."""
    text = text if text.isprintable() else comment_text(text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_block(text: str, info: str = "") -> str:
    """`text` as a fenced code block whose fence is longer than any run of backticks in it: no line closes it."""
    fence = "`" * max(3, max((len(run) + 1 for run in re.findall("`{3,}", text)), default=0))
    return f"{fence}{info}\n{text}\n{fence}"
