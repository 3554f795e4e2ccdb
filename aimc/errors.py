"""One user-facing error type and the exit-code policy.

A user error (bad input) exits 1 with one line per problem; a usage error exits 2 (click);
anything else is a bug in aimc and exits 3.
"""

from __future__ import annotations

import re

from aimc.records import Record

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# Messages quote values the user wrote; a value longer than this is cut (a 5 MB name, a pasted secret), and a
# message longer than MAX_MESSAGE_CHARS too, whatever it quotes. The README's Robustness section documents both.
MAX_VALUE_CHARS = 80
MAX_MESSAGE_CHARS = 2000


def quote(value, limit: int = MAX_VALUE_CHARS) -> str:
    """`value` quoted as Python would (`'x'`), cut after `limit` characters with its length said."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... (cut: {len(text):,} characters)"


def describe(value) -> str:
    """A value as the user wrote it: `string 'x'`, `number 4`, `a list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {quote(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


# Characters a one-line text (a `# Source:` comment, the file of a diagnostic) cannot carry as they are: line breaks
# of YAML 1.1 and 1.2, characters YAML does not allow in a stream (C0 and C1 controls, lone surrogates,
# U+FFFE/U+FFFF), a byte-order mark, and the backslash that introduces the escapes (so the escaped text reads back
# unambiguously).
_COMMENT_UNSAFE = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a non-UTF-8 file name (Python's surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def comment_text(text: str) -> str:
    """`text` on one line, printable, valid UTF-8: C-style escapes for everything else (`\\n`, `\\x1b`, `\\xff` for
    a byte that is not UTF-8, `\\\\` for a backslash)."""
    return _COMMENT_UNSAFE.sub(_escape, text) if _COMMENT_UNSAFE.search(text) else text


class Diagnostic(Record, order=True):
    """A problem tied to a place in the inputs: `file:line: field: message`."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def format(self) -> str:
        """One line: a line break or an escape sequence in a file name, a field or a quoted value (a model id)
        would split it (breaking `file:line` for every reader of the log) or reach the terminal."""
        file, field, message = (_one_line(text) for text in (self.file, self.field, self.message))
        place = f"{cut(file, MAX_MESSAGE_CHARS)}:{self.line}" if self.line else cut(file, MAX_MESSAGE_CHARS)
        prefix = "warning: " if self.severity == "warning" else ""
        message = cut(message, MAX_MESSAGE_CHARS)
        if field:
            return f"{place}: {prefix}{cut(field, MAX_VALUE_CHARS)}: {message}"
        return f"{place}: {prefix}{message}"

    def as_warning(self) -> Diagnostic:
        return Diagnostic(self.file, self.line, self.field, self.message, "warning")

    def as_error(self) -> Diagnostic:
        """The warning as an error (--strict): advice on silencing a warning no longer fits."""
        message = self.message.replace(" to silence this warning", " instead: --strict makes this warning an error")
        return Diagnostic(self.file, self.line, self.field, message, "error")


def _one_line(text: str) -> str:
    if text.isprintable():  # the common case: nothing to escape, and a backslash stays one backslash
        return text
    return comment_text(text)


class UserError(Exception):
    """Bad input: carries every diagnostic found, reported together."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def fail(file: str, line: int, field: str, message: str) -> UserError:
    return UserError([Diagnostic(file, line, field, message)])


class Collector:
    """Gathers diagnostics across files so that one bad file does not hide the others."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.severity == "warning":
            self.warnings.append(diagnostic)
        else:
            self.errors.append(diagnostic)

    def extend(self, diagnostics) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def error(self, file: str, line: int, field: str, message: str) -> None:
        self.errors.append(Diagnostic(file, line, field, message))

    def warn(self, file: str, line: int, field: str, message: str) -> None:
        self.warnings.append(Diagnostic(file, line, field, message, "warning"))

    def warnings_as_errors(self) -> None:
        """--strict (CI, pre-commit): every warning collected so far fails the run. The one place that does this."""
        self.errors.extend(w.as_error() for w in self.warnings)
        self.warnings.clear()

    def raise_if_errors(self) -> None:
        if self.errors:
            # Warnings ride along: a failing build is fixed in one pass, not two.
            raise UserError(sorted(set(self.errors), key=_sort_key) + sorted(set(self.warnings), key=_sort_key))


def _sort_key(d: Diagnostic):
    return (d.file, d.line, d.field, d.message)


def did_you_mean(word: str, choices) -> str:
    """A ` (did you mean 'x'?)` suffix, or an empty string."""
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
