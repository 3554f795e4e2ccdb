"""The runtime catalog (`aimc/catalog/runtime.yaml`): images, the engine versions inside them, the architectures they
are built for, the default image per engine and architecture, the shipped flag sets per version, flags that are
no-ops once removed, and precision support per architecture.

Read once per process (`runtime()` is cached); every view is immutable. Choosing an image for an endpoint is
`resolve/images.py`; this module only knows the facts.
"""

from __future__ import annotations

import re
from functools import cache

from aimc.catalog.files import read_yaml
from aimc.memo import per_compile
from aimc.records import Record

_VERSION_PART = re.compile(r"(\d+)|([a-z]+)")
# An engine version inside an image tag: `vllm_0.10.2`, `v0.5.5.post3`, `sglang-0.5.4`.
_TAG_VERSION = re.compile(r"(?:^|[^0-9.])v?(\d+\.\d+(?:\.\d+)?(?:\.?post\d+|rc\d+)?)(?=$|[^0-9])")


class ImageFacts(Record):
    image: str
    engine: str
    version: str
    architectures: tuple[str, ...]
    environment: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # arch -> ((name, value), ...)
    rocm: str = ""  # the ROCm release the image is built on
    source: str = ""  # where the facts above are written
    # The KV transfer backends of disaggregated serving the image ships, its default first (resolve/disaggregation.py)
    transfer_backends: tuple[str, ...] = ()
    transfer_source: str = ""  # where that is written
    # The architectures its transfer backends are known to run on (empty: every one the image is built for)
    transfer_architectures: tuple[str, ...] = ()

    def env_for(self, arch: str | None) -> tuple[tuple[str, str], ...]:
        return dict(self.environment).get(arch, ()) if arch is not None else ()


class NoOpFlag(Record):
    """A flag a release removed and that does nothing there: dropped (with a warning) when a recipe sets it."""

    flag: str
    removed_in: str
    why: str


class RenamedFlag(Record):
    """A flag a release renamed: a recipe's old name is written as the new one (with a warning) from `since` on."""

    flag: str
    to: str
    since: str
    why: str


class EngineFacts(Record):
    engine: str
    name: str  # how people write it: vLLM, SGLang
    flag_set_versions: tuple[str, ...]  # ascending
    no_op_when_removed: tuple[NoOpFlag, ...]
    renamed: tuple[RenamedFlag, ...] = ()

    def renamed_at(self, flag: str, version: str) -> RenamedFlag | None:
        """The flag's rename when `version` is at or after the release that renamed it."""
        for entry in self.renamed:
            if entry.flag == flag and version_key(version) >= version_key(entry.since):
                return entry
        return None

    def no_op(self, flag: str, version: str) -> NoOpFlag | None:
        """The flag's entry when `version` is at or after the release that removed it."""
        for entry in self.no_op_when_removed:
            if entry.flag == flag and version_key(version) >= version_key(entry.removed_in):
                return entry
        return None


class Runtime(Record):
    images: tuple[ImageFacts, ...]
    defaults: tuple[tuple[tuple[str, str], str], ...]  # (engine, arch) -> image
    engines: tuple[tuple[str, EngineFacts], ...]
    precision: tuple[tuple[str, tuple[tuple[str, ...], tuple[str, ...]]], ...]  # -> (architectures, dequantizedBy)

    def image(self, reference: str) -> ImageFacts | None:
        return next((facts for facts in self.images if facts.image == reference), None)

    # The look-ups below scan their few pairs: the resolve of every candidate asks, and building a dict from the
    # pairs on each call cost more than the scan (~15 ms at 1,000 endpoints, bench/generate.py).
    def default_image(self, engine: str, arch: str | None) -> ImageFacts | None:
        reference = next((image for key, image in self.defaults if key == (engine, arch)), None)
        return self.image(reference) if reference else None

    def default_architectures(self, engine: str) -> tuple[str, ...]:
        return tuple(arch for (name, arch), _ in self.defaults if name == engine)

    def engine(self, engine: str) -> EngineFacts:
        found = next((facts for name, facts in self.engines if name == engine), None)
        if found is None:
            raise KeyError(engine)
        return found

    def precision_architectures(self, precision: str | None, engine: str) -> tuple[str, ...] | None:
        """The architectures on which `engine` runs a precision, or None when every architecture does."""
        wanted = str(precision or "").lower()
        rule = next((rule for name, rule in self.precision if name == wanted), None)
        if rule is None or engine in rule[1]:
            return None
        return rule[0]


@cache
def runtime() -> Runtime:
    data = read_yaml("runtime.yaml")
    images = tuple(ImageFacts(
        image=raw["image"], engine=raw["engine"], version=str(raw["version"]),
        architectures=tuple(raw["architectures"]),
        environment=tuple((arch, tuple((k, str(v)) for k, v in env.items()))
                          for arch, env in sorted((raw.get("environment") or {}).items())),
        rocm=str(raw.get("rocm", "")), source=str(raw.get("source", "")),
        transfer_backends=tuple((raw.get("transfer") or {}).get("backends") or ()),
        transfer_source=str((raw.get("transfer") or {}).get("source", "")),
        transfer_architectures=tuple((raw.get("transfer") or {}).get("architectures") or ()),
    ) for raw in data["images"])
    defaults = tuple(((engine, arch), image) for engine, per_arch in data["defaults"].items()
                     for arch, image in per_arch.items())
    engines = tuple((engine, EngineFacts(
        engine=engine, name=raw["name"],
        flag_set_versions=tuple(sorted((str(v) for v in raw["flagSets"]), key=version_key)),
        no_op_when_removed=tuple(NoOpFlag(flag, str(entry["removedIn"]), entry["why"])
                                 for flag, entry in (raw.get("noOpWhenRemoved") or {}).items()),
        renamed=tuple(RenamedFlag(flag, entry["to"], str(entry["since"]), entry["why"])
                      for flag, entry in (raw.get("renamed") or {}).items()),
    )) for engine, raw in data["engines"].items())
    precision = tuple((name, (tuple(rule["architectures"]), tuple(rule.get("dequantizedBy") or ())))
                      for name, rule in data["precision"].items())
    return Runtime(images, defaults, engines, precision)


def version_key(version: str) -> tuple:
    """`0.5.5.post3` -> ((0, 0), (0, 5), (0, 5), (1, 'post'), (0, 3)): numbers compare as numbers, and a release with
    a suffix sorts after the plain release."""
    return tuple((0, int(num)) if num else (1, text) for num, text in _VERSION_PART.findall(str(version).lower()))


# Memoised for the compile: the fit asks for every candidate (1,077 at 1,000 endpoints, bench/generate.py) and each
# answer parses and compares every shipped version (the memo saves ~25 ms); a repository names a handful of versions.
@per_compile(limit=1024)
def nearest_version(known: tuple[str, ...], version: str) -> str:
    """The known version closest to `version`: on the same major.minor line if there is one (0.11.2 -> 0.11.1,
    0.10.1 -> 0.10.2), else the newest older one, else the oldest known. `known` is ascending."""
    key = version_key(version)
    same_line = [v for v in known if version_key(v)[:2] == key[:2]]
    if same_line:
        return min(same_line, key=lambda v: (_distance(version_key(v), key), v))
    older = [v for v in known if version_key(v) <= key]
    return older[-1] if older else known[0]


def _distance(a: tuple, b: tuple) -> tuple:
    return tuple(abs(x[1] - y[1]) if x[0] == y[0] == 0 else int(x != y)
                 for x, y in zip(a, b, strict=False)) + (len(a) != len(b),)


def version_in_tag(image: str) -> str | None:
    """The engine version an image's tag names, if it names one (`rocm/vllm:rocm7.0.0_vllm_0.10.2_2025` -> 0.10.2)."""
    tag = image.rpartition(":")[2] if "@" not in image else ""
    found = [m.group(1) for m in _TAG_VERSION.finditer(tag)]
    # ROCm's own version comes first in AMD's tags (`rocm7.0.0_vllm_0.11.1`): the engine's is the last one.
    return found[-1] if found else None
