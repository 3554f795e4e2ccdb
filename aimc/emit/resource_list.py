"""The text of a KRM ResourceList (`aimc krm`'s output): YAML as PyYAML writes it without `allow_unicode`, or JSON.

Its items are the rendered objects as the pipeline hands them out (read-only `FrozenTree`s) and the objects passed
on as they came: they are read where they are, not copied to plain dicts first (a copy of every object was ~5 % of
the function's time for 100 endpoints, issue 24).
"""

from __future__ import annotations

import json
import re

from aimc.emit import yaml_text as yamlout
from aimc.emit.output import plain
from aimc.emit.scalars import SafeDumper
from aimc.records import serialisable

# PyYAML's escapes of characters beyond ASCII: \N (U+85), \_ (U+A0), \L, \P (U+2028/9), \xXX, \uXXXX, \UXXXXXXXX.
_NON_ASCII_ESCAPE = re.compile(r"\\[NLPxuU_]")


def text(resource_list: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(plain(resource_list), indent=2, ensure_ascii=False) + "\n"
    # aimc's own writer lays out what PyYAML would (PyYAML's dumper was 58 % of the function's time, issue 24). It
    # writes with allow_unicode, this function's output has always been without: the two differ only in how they write
    # characters beyond ASCII, literally or as one of the escapes above (PyYAML's emitter, ESCAPE_REPLACEMENTS and
    # write_double_quoted). ASCII text without those escapes came from ASCII input; for anything else PyYAML writes.
    items = resource_list.get("items")
    readable = resource_list if not isinstance(items, list) else {**resource_list,
                                                                  "items": [serialisable(i) for i in items]}
    fast = yamlout.Writer().dump(readable)
    if fast is not None and fast.isascii() and not _NON_ASCII_ESCAPE.search(fast):
        return fast
    import yaml

    # The Dumper that also quotes what go-yaml (Kustomize) reads as numbers or booleans, like every YAML aimc writes.
    return yaml.dump(plain(resource_list), Dumper=SafeDumper, sort_keys=False, default_flow_style=False,
                     width=yamlout.WIDTH)
