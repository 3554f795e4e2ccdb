"""Frozen records (aimc/records.py) of LoRA adapters as an endpoint declares them (`spec.adapters`).

An adapter is served on top of its endpoint's base model under its own model name: clients send that name as the
request's `model`. Its weights come from a Hugging Face repository (downloaded into the model cache once) or from a
folder already on the cache.
"""

from __future__ import annotations

from aimc.records import Record

HF_SCHEME = "hf://"
CACHE_SCHEME = "cache://"


class Adapter(Record):
    name: str  # the served model name of the adapter
    source: str  # as written: hf://ORG/REPO[@REVISION] or cache://PATH
    rank: int | None = None  # None: not given (the engine's default, or what it reads from the adapter's config)
    index: int = 0  # its place in spec.adapters, for error lines

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("spec", "adapters", self.index)

    @property
    def from_hub(self) -> bool:
        return self.source.startswith(HF_SCHEME)

    @property
    def repository(self) -> str | None:
        """`ORG/REPO` of a Hugging Face source; None for a cache path."""
        if not self.from_hub:
            return None
        return self.source[len(HF_SCHEME):].split("@", 1)[0]

    @property
    def revision(self) -> str | None:
        """The `@REVISION` of a Hugging Face source (a branch, tag or commit); None: the repository's default."""
        if not self.from_hub or "@" not in self.source:
            return None
        return self.source.split("@", 1)[1]

    @property
    def cache_path(self) -> str:
        """Where the adapter lives relative to the model cache's root: a cache source's own path; a Hugging Face
        source in `aimc-adapters/ORG/REPO/REVISION` (`main` when none), so each revision has its own folder and a
        changed revision downloads next to the old one instead of over it while pods still read it."""
        if not self.from_hub:
            return self.source[len(CACHE_SCHEME):]
        return f"{ADAPTER_FOLDER}/{self.repository}/{self.revision or 'main'}"


ADAPTER_FOLDER = "aimc-adapters"
