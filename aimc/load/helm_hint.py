"""A Helm chart's templates are not YAML until `helm template` renders them: when one among the inputs fails to parse,
say so and how to leave it out, rather than only quoting the YAML parser."""

from __future__ import annotations

import posixpath
import re

from aimc.errors import Diagnostic
from aimc.records import replace

# Go template actions Helm charts use: `{{ .Values.x }}`, `{{- include "..." . }}`, `{{ .Release.Name }}`.
_ACTION = re.compile(r"\{\{-?\s*(?:\.|include\b|template\b|if\b|range\b|with\b|define\b|toYaml\b|end\b|/\*)")


def with_hint(diagnostic: Diagnostic, text: str, source: str) -> Diagnostic:
    """`diagnostic` (a YAML error of the file whose text and input-relative path are given), with the hint when the
    file looks like a Helm template."""
    if not _ACTION.search(text):
        return diagnostic
    folder = posixpath.dirname(source)
    glob = folder if folder else source
    return replace(diagnostic, message=f"{diagnostic.message}; this looks like a Helm template ('{{{{ ... }}}}'): "
                                       f"aimc reads plain YAML, so leave it out with --exclude '{glob}' (or render "
                                       "the chart with `helm template` and pass its output)")
