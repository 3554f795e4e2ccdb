"""The shell snippets of a Markdown page, as a newcomer would paste them (used by tests/test_docs_snippets.py).

A snippet is a ```sh fenced block. One that cannot run here (it needs the network, a cluster, or runs this very test
suite) is marked on the line before its fence:

    <!-- snippet: skip (why) -->

and, when a later snippet needs what it would have made, the marker says what the test does instead:

    <!-- snippet: skip (why); the test copies SRC to DEST instead -->

SRC is relative to the repository, DEST to the folder the snippets run in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
MARKER = re.compile(r"<!-- snippet: (.*?) -->\s*$")
STAND_IN = re.compile(r"the test copies (\S+) to (\S+) instead")


@dataclass(frozen=True)
class Snippet:
    line: int             # 1-based line of the opening fence
    text: str
    skip_reason: str      # empty: the snippet runs
    stand_in: tuple[str, str] | None = None


def snippets(markdown: str) -> list[Snippet]:
    found = []
    for match in FENCE.finditer(markdown):
        before = markdown[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = markdown.count("\n", 0, match.start()) + 1
        marker = MARKER.search(before)
        if marker is None:
            found.append(Snippet(line, match.group(1), ""))
            continue
        words = marker.group(1)
        if not words.startswith("skip (") or ")" not in words:
            raise ValueError(f"line {line - 1}: unknown snippet marker {words!r}: expected 'skip (why)'")
        stand_in = STAND_IN.search(words)
        found.append(Snippet(line, match.group(1), words, (stand_in.group(1), stand_in.group(2)) if stand_in else None))
    return found


def script(page: list[Snippet], repo: str) -> str:
    """One bash script of the page's runnable snippets, in order, stopping at the first failing command."""
    parts = ["set -eo pipefail"]
    for snippet in page:
        parts.append(f"echo '--- snippet at line {snippet.line}' >&2")
        if snippet.skip_reason:
            if snippet.stand_in:
                source, dest = snippet.stand_in
                parts.append(f'mkdir -p "$(dirname {dest})" && cp "{repo}/{source}" {dest}')
            continue
        parts.append(snippet.text)
    return "\n".join(parts) + "\n"
