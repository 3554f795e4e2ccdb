"""Tag resolution for the position loader, memoised.

libyaml parses, but PyYAML's C loader still asks the pure-Python resolver for the tag of every node: for a plain
scalar that is a walk over the implicit resolvers' regular expressions (is it a bool, an int, a float, null, a
timestamp?). Keys and values repeat across a repository's files (`apiVersion`, `name`, `vllm`, `true`), so the tag of
each plain scalar is remembered by its text, per loader class, for one compile (`memo.compile_table`: a loader made
outside a compile remembers for its own document stream only). It depends on nothing else as long as no path
resolver is registered (`resolve` then reads only the text of a plain scalar and the class's implicit resolvers,
which are all added when the class is defined). Measured at 1,000 endpoints (bench/generate.py): loading the
repository takes ~330 ms with the memo, ~600 ms without.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from aimc.memo import compile_table

if TYPE_CHECKING:  # what the mixin is mixed into: the checker then knows `super().resolve` and the path resolvers
    _Resolver = yaml.resolver.Resolver
else:
    _Resolver = object

MAX_REMEMBERED = 100_000  # distinct plain scalars per loader class (names are unique per endpoint): then start over


class MemoisedTags(_Resolver):
    """A mixin before PyYAML's Resolver in a loader's bases: the same tags, each plain scalar's resolved once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plain_tags: dict[str, str] = compile_table(type(self))

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tags = self.plain_tags
            tag = tags.get(value)
            if tag is None:
                if len(tags) >= MAX_REMEMBERED:
                    tags.clear()
                tag = tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)
