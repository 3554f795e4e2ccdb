"""customArgs for the property generators (tests/test_pipeline_properties.py): flags of the real flag set of the engine
version an endpoint will run (aimc's flag-set catalog, aimc/catalog/engines/*.json, read from each release's own
argument parser), each with values of its own type.

A fixed list of flags goes stale as the engines move: SGLang 0.5.16, the default SGLang image, removed
--hybrid-kvcache-ratio, which the old list still drew, so valid repositories stopped rendering once other draws
shifted the samples onto it. Here the flags come from the flag set of the version the endpoint's image holds (the
image it names, else aimc's default for the engine and the pool's GPU architecture: resolve/images.py's order), and
a flag is drawn only with values its parser takes:

- switches (store_true, BooleanOptionalAction): true, false (the `--no-` form, or left out) or null (the bare flag);
- whole numbers as numbers or as text, numbers as the values Python calls equal but YAML types apart (`1`, `1.0`,
  `"1"`: issue 21), choices from the parser's own choices; a flag whose value is optional also bare;
- free text and JSON flags are not drawn: their values mean paths, names or documents aimc cannot make up.

Flags aimc sets itself (the model, port, tensor- and pipeline-parallel sizes, a group's ranks, the adapter list) are
never drawn: customArgs may not set them (resolve/arg_merge.py, resolve/group_args.py, resolve/lora_flags.py and
resolve/world_size.py say which).
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from aimc.catalog import runtime as rt
from aimc.catalog.flag_sets import FlagSpec, flag_set
from aimc.resolve import group_args, lora_flags
from aimc.resolve.arg_merge import ADAPTER_OWNED, OWNED_FLAGS
from aimc.resolve.groups import PP_NAMES
from aimc.resolve.images import architecture

_COUNT = st.one_of(st.integers(1, 512), st.integers(1, 512).map(str))
# Values Python calls equal (`True == 1 == 1.0`) that render apart: a memo keyed on raw values once mixed them up.
_NUMBER = st.sampled_from([1, 1.0, "1", 0.5, "0.5"])
_SWITCH = st.sampled_from([True, False, None])
_HUMAN_COUNT = st.sampled_from(["1k", "32k", "2K"])  # vLLM's human_readable_int (catalog/flag_sets.py)


def aimc_owned(engine: str) -> frozenset[str]:
    """Flags customArgs may not set: aimc writes them from the endpoint's fields. The pipeline-parallel size is part
    of aimc's plan too: a group's is planned (resolve/group_args.py), a pod alone has tensor × pipeline = its GPUs
    with the tensor size aimc sets (resolve/world_size.py), so only 1 would do."""
    return frozenset(OWNED_FLAGS[engine]) | ADAPTER_OWNED | set(lora_flags.OWNED[engine]) | set(
        group_args.OWNED[engine]) | set(PP_NAMES)


def image_version(engine: str, hardware: str | None, image: str | None = None) -> str | None:
    """The shipped flag-set version an endpoint's engine is checked against: its image's (a catalog image), else the
    default image's for the hardware's architecture; None when aimc has no image there."""
    catalog = rt.runtime()
    facts = catalog.image(image) if image else catalog.default_image(engine, architecture(hardware))
    if facts is None or facts.engine != engine:
        return None
    return rt.nearest_version(catalog.engine(engine).flag_set_versions, facts.version)


def _shape(spec: FlagSpec) -> tuple | None:
    """What the value strategy of a flag depends on, or None for a flag not drawn."""
    if spec.is_boolean:
        return ("switch",)
    if spec.kind not in ("int", "float", "choice") or spec.nargs not in (None, "?"):
        return None
    return spec.kind, spec.takes_value == "optional", spec.choices, spec.human_readable_int


@cache  # catalog data: (engine, version) names a shipped file, the same in every test
def drawable(engine: str, version: str) -> dict[str, tuple]:
    """Flag -> shape of every flag of the release that customArgs may set with a value drawn by type."""
    owned = aimc_owned(engine)
    specs = {spec.name: spec for spec, _ in flag_set(engine, version).options.values()}
    shapes = {name: _shape(spec) for name, spec in sorted(specs.items()) if name not in owned}
    return {name: shape for name, shape in shapes.items() if shape is not None}


def _values(shape: tuple):
    if shape == ("switch",):
        return _SWITCH
    kind, optional, choices, human = shape
    values = {"int": _COUNT if not human else st.one_of(_COUNT, _HUMAN_COUNT), "float": _NUMBER,
              "choice": st.sampled_from(choices)}[kind]
    return st.one_of(st.none(), values) if optional else values


def custom_args(engine: str, versions):
    """customArgs of 0–2 flags that every one of `versions` has, with the same shape in each (an endpoint whose pool
    is not known may run any of them)."""
    tables = [drawable(engine, version) for version in sorted(set(versions))]
    common = sorted(name for name, shape in tables[0].items() if all(t.get(name) == shape for t in tables[1:]))
    return st.lists(st.sampled_from(common), max_size=2, unique=True).flatmap(
        lambda flags: st.fixed_dictionaries({flag: _values(tables[0][flag]) for flag in flags}))
