"""Where a schema pattern's `$` anchors end: at the very end of the text, as the schemas' own dialect (ECMA-262)
reads them, and as editors and Kubernetes' validation read them. Python's `re`, which jsonschema calls, reads `$`
as 'the end, or just before a final newline', so `^[a-z0-9]+$` would take `name\\n`: the validators are handed the
patterns with those anchors written `\\Z` (schema.strict_ends), and messages show them as the file writes them.
"""

from __future__ import annotations


def strict_end_pattern(pattern: str) -> str:
    """`pattern` with every `$` anchor (not escaped, not in a class) written `\\Z`: the very end of the text."""
    return "".join("\\Z" if anchor and token == "$" else token for token, anchor in _tokens(pattern))


def shown_pattern(pattern: str) -> str:
    """The pattern as the schema file writes it: `strict_end_pattern` undone, for messages."""
    return "".join("$" if anchor and token == "\\Z" else token for token, anchor in _tokens(pattern))


def _tokens(pattern: str):
    """(token, outside a class) for each escape (two characters) and other character of the pattern, as Python's
    `re` reads classes: a `]` right after `[` or `[^` is a literal."""
    index, in_class, class_start = 0, False, 0
    while index < len(pattern):
        char = pattern[index]
        size = 2 if char == "\\" else 1
        if in_class:
            yield pattern[index:index + size], False
            in_class = not (char == "]" and index != class_start)
        elif char == "[":
            class_start = index + (2 if pattern.startswith("[^", index) else 1)
            yield pattern[index:class_start], False
            in_class, size = True, class_start - index
        else:
            yield pattern[index:index + size], True
        index += size
