"""The image one engine of one endpoint runs, the engine version inside it, and the flag set its arguments are
checked against.

Where the image comes from, first match wins: the endpoint's `spec.image`; the inventory's
`spec.defaults.images.<engine>.<HARDWARE>`, then `spec.defaults.images.<engine>`; aimc's default for the engine and
the node pool's GPU architecture (runtime.yaml). The engine version: the runtime catalog's for an image it knows;
else the `engineVersion` the image declares; else the version its tag names, or the default image's, with a warning
(an error under --strict). Arguments are checked against the shipped flag set of that version, or of the nearest one.
"""

from __future__ import annotations

from aimc.catalog import runtime as rt
from aimc.catalog.flag_sets import PINNED
from aimc.catalog.model_facts import hardware as hardware_facts
from aimc.errors import Diagnostic
from aimc.load.yaml_positions import format_path
from aimc.memo import per_compile
from aimc.model.inputs import Endpoint, EngineRequest, ImageRef, Inventory, NodePool
from aimc.model.plan import ImageChoice
from aimc.validate.kube_values import image_problem


def architecture(hardware: str | None) -> str | None:
    known = hardware_facts().get(str(hardware or "").upper())
    return known.arch if known else None


def hardware_of(arch: str) -> str:
    """`gfx942` -> `MI300A, MI300X, ...`: the catalog's hardware of one architecture, for messages."""
    return ", ".join(sorted(name for name, gpu in hardware_facts().items() if gpu.arch == arch))


def choose(endpoint: Endpoint, request: EngineRequest, pool: NodePool,
           inventory: Inventory | None) -> tuple[ImageChoice | None, tuple[Diagnostic, ...]]:
    """The image of one engine on one node pool, or None with the errors; warnings ride along either way."""
    engine, arch = request.engine, architecture(pool.hardware)
    supplied, file = _supplied(endpoint, engine, pool.hardware, inventory)
    if supplied is None:
        return _default(endpoint, request, pool, arch)
    line = _line(endpoint, inventory, supplied)
    field = format_path(supplied.path)

    def diagnostic(message: str, severity: str = "error") -> Diagnostic:
        return Diagnostic(file, line, field, message, severity)

    problem = image_problem(supplied.image)
    if problem:
        return None, (diagnostic(problem),)
    catalog = rt.runtime()
    facts = catalog.image(supplied.image)
    known_versions = catalog.engine(engine).flag_set_versions
    warnings = []
    if facts is not None:
        if facts.engine != engine:
            return None, (diagnostic(f"image '{supplied.image}' holds {facts.engine}, not {engine}: give {engine} "
                                     "its own image (in a multi-engine endpoint, per engine in the inventory's "
                                     f"spec.defaults.images.{engine})"),)
        if arch not in facts.architectures:
            return None, (diagnostic(_wrong_architecture(facts, engine, pool, arch)),)
        if supplied.engine_version and rt.version_key(supplied.engine_version) != rt.version_key(facts.version):
            return None, (diagnostic(f"image '{supplied.image}' holds {engine} {facts.version}, not "
                                     f"{supplied.engine_version}: correct engineVersion or remove it"),)
        version, how = facts.version, "runtime catalog"
    elif supplied.engine_version:
        version, how = supplied.engine_version, "declared"
    else:
        from_tag = rt.version_in_tag(supplied.image)
        version, how = (from_tag, "from the tag") if from_tag else (PINNED[engine], "assumed")
    flag_version = rt.nearest_version(known_versions, version)
    if facts is None and (how != "declared" or flag_version != version):
        warnings.append(diagnostic(_version_warning(supplied.image, engine, version, how, flag_version,
                                                    known_versions), "warning"))
    reference = facts or catalog.default_image(engine, arch)  # an unknown image gets what the engine needs there
    environment = reference.env_for(arch) if reference else ()
    return ImageChoice(supplied.image, engine, version, flag_version, arch, environment, field, how), tuple(warnings)


def _version_warning(image: str, engine: str, version: str, how: str, flag_version: str,
                     known: tuple[str, ...]) -> str:
    """Why an image's flags are checked against another release's flag set, and how to say what it holds."""
    declare = f"declare the version it holds as {{image: {image}, engineVersion: \"<version>\"}}"
    if how == "declared" and rt.version_key(version) > rt.version_key(known[-1]):
        return (f"image '{image}' declares {engine} {version}, newer than every release aimc ships a flag set for: "
                f"its flags are checked against {engine} {flag_version}, the newest known; flags {engine} "
                f"{version} added are refused and flags it removed pass. Add its flag set (tools/refresh_engine.py "
                f"{engine} {version}), or supply an image of {engine} {flag_version}")
    reason = (f"declares {engine} {version}, for which aimc ships no flag set" if how == "declared" else
              "is not in aimc's runtime catalog and declares no engineVersion"
              + (f" (its tag names {version})" if how == "from the tag" else ""))
    return (f"image '{image}' {reason}: its flags are checked against {engine} {flag_version}, the nearest known "
            f"version ({', '.join(known)}); {declare}")


def _default(endpoint: Endpoint, request: EngineRequest, pool: NodePool,
             arch: str | None) -> tuple[ImageChoice | None, tuple[Diagnostic, ...]]:
    engine = request.engine
    choice = default_choice(engine, arch)
    if choice is not None:
        return choice, ()
    catalog = rt.runtime()
    origin = endpoint.origin
    name = catalog.engine(engine).name
    built = "; ".join(f"{arch_} ({hardware_of(arch_)})" for arch_ in catalog.default_architectures(engine))
    others = [e for e, _ in catalog.engines if e != engine and catalog.default_image(e, arch) is not None]
    other = f"serve it with {' or '.join(others)}, which aimc has an image for on {pool.hardware}" if others \
        else "serve it on other hardware"
    message = (f"endpoint '{endpoint.name}': aimc knows no {name} image for {pool.hardware} "
               f"({arch or 'unknown architecture'}); {name} images exist for {built}. Two ways out: {other}, "
               f"or supply your own {name} image built for {arch or pool.hardware} in spec.image or the inventory's "
               f"spec.defaults.images.{engine}.{pool.hardware}, e.g. {{image: <your image>, engineVersion: "
               f"\"{catalog.engine(engine).flag_set_versions[-1]}\"}}")
    return None, (Diagnostic(origin.file, origin.line_of(*request.path), format_path(request.path), message),)


# Memoised for the compile: every endpoint without an image of its own gets one of a few (engine, arch). Measured at
# 1,000 endpoints (bench/generate.py): 1,121 calls, 5 distinct; the memo saves ~70-100 ms, its keys cost ~0.2 ms.
@per_compile(limit=256)
def default_choice(engine: str, arch: str | None) -> ImageChoice | None:
    """aimc's default image of an engine on an architecture (runtime.yaml), or None; a frozen record, shared."""
    catalog = rt.runtime()
    facts = catalog.default_image(engine, arch)
    if facts is None:
        return None
    flag_version = rt.nearest_version(catalog.engine(engine).flag_set_versions, facts.version)
    return ImageChoice(facts.image, engine, facts.version, flag_version, arch, facts.env_for(arch),
                       f"aimc default for {arch}", "runtime catalog")


def _wrong_architecture(facts: rt.ImageFacts, engine: str, pool: NodePool, arch: str | None) -> str:
    built = ", ".join(f"{a} ({hardware_of(a)})" for a in facts.architectures)
    default = rt.runtime().default_image(engine, arch)
    instead = f"use {default.image} there, or leave the image unset" if default else \
        "use an image built for it"
    return (f"image '{facts.image}' is built for {built} only; pool '{pool.name}' is {pool.hardware} "
            f"({arch or 'unknown architecture'}): {instead}")


def supplied(endpoint: Endpoint, engine: str, hardware: str, inventory: Inventory | None) -> ImageRef | None:
    """The image the inputs give for this engine on this hardware: the endpoint's, else the inventory's default."""
    return _supplied(endpoint, engine, hardware, inventory)[0]


def _supplied(endpoint: Endpoint, engine: str, hardware: str,
              inventory: Inventory | None) -> tuple[ImageRef | None, str]:
    """The image the inputs give for this engine on this hardware (endpoint first), and the file it is written in."""
    if endpoint.image is not None:
        return endpoint.image, endpoint.origin.file
    if inventory is None:
        return None, ""
    mine = [ref for ref in inventory.images if ref.engine == engine]
    exact = next((ref for ref in mine if ref.hardware == str(hardware).upper()), None)
    chosen = exact or next((ref for ref in mine if ref.hardware is None), None)
    return chosen, inventory.origin.file


def _line(endpoint: Endpoint, inventory: Inventory | None, ref: ImageRef) -> int:
    if ref is endpoint.image:
        return endpoint.origin.line_of(*ref.path)
    assert inventory is not None  # an image reference not the endpoint's is one of the inventory's defaults
    return inventory.origin.line_of(*ref.path)
