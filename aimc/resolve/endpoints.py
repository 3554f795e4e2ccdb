"""resolve: per endpoint and engine, pick a configuration, build its command line, image and placement.

Pure: inputs in, resolved endpoints (or diagnostics) out. Repository-wide checks run after every endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from aimc.resolve import engine_args
from aimc.resolve import env_checks
from aimc.catalog import flag_sets as flags
from aimc.resolve import recipe_checks
from aimc.resolve import candidates as select
from aimc.errors import Collector, Diagnostic
from aimc.model.inputs import Endpoint, Inputs, ResolvedEndpoint, ResolvedEngine
from aimc.load.yaml_positions import format_path
from aimc.validate import kube_values

# Images are pinned tags, never `latest`. Per engine; overridable in the inventory (spec.defaults.images) and the
# endpoint (spec.image). vLLM: AMD's ROCm build that the official AIM images use; SGLang: the ROCm 7.0 build of the
# same month.
DEFAULT_IMAGES = {
    "vllm": "rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103",
    "sglang": "lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x",
}

DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 63


@dataclass(frozen=True)
class Resolution:
    endpoints: tuple[ResolvedEndpoint, ...]
    selections: tuple  # every select.Selection, for `explain`
    warnings: tuple[Diagnostic, ...]


def resolve(inputs: Inputs, collector: Collector, default_namespace: str | None = None, checks=()) -> Resolution:
    """Resolve every endpoint. `checks` are extra candidate filters from other modules: callables
    (endpoint, request, candidate) -> (reason, detail) | None (see `select.select`)."""
    resolved, selections = [], []
    inventory = inputs.inventory
    for endpoint in inputs.endpoints:
        _check_names(endpoint, collector)
        engines = []
        for request in endpoint.engines:
            filters = tuple(partial(check, endpoint, request) for check in checks)
            selection = select.select(endpoint, request, inputs.catalog, inventory, filters)
            selections.append(selection)
            if selection.chosen is None:
                collector.add(select.no_candidate_error(selection, inputs.catalog, inventory))
                continue
            engine = _resolve_engine(endpoint, request, selection, inventory, collector)
            if engine is not None:
                engines.append(engine)
        if len(engines) == len(endpoint.engines):
            namespace = endpoint.namespace or (inventory.default_namespace if inventory else None) or default_namespace
            resolved.append(ResolvedEndpoint(endpoint, tuple(engines), namespace))
    return Resolution(tuple(resolved), tuple(selections), tuple(collector.warnings))


def _check_names(endpoint: Endpoint, collector: Collector) -> None:
    """Rendered names: the Service is the endpoint name (a DNS-1035 label), engine objects add `-<engine>`."""
    origin = endpoint.origin
    line = origin.line_of("metadata", "name")
    if not DNS_1035_LABEL.match(endpoint.name):
        collector.error(origin.file, line, "metadata.name",
                        f"'{endpoint.name}' cannot name a Service: it must start with a letter "
                        "(lowercase letters, digits and '-')")
    longest = max((len(endpoint.name) + 1 + len(r.engine) for r in endpoint.engines), default=0)
    if longest > MAX_NAME:
        collector.error(origin.file, line, "metadata.name",
                        f"'{endpoint.name}' is too long: aimc names objects '<name>-<engine>', which must fit in "
                        f"{MAX_NAME} characters; use at most {MAX_NAME - longest + len(endpoint.name)} characters")


def _resolve_engine(endpoint: Endpoint, request, selection, inventory, collector: Collector) -> ResolvedEngine | None:
    chosen = selection.chosen
    recipe, config, pool = chosen.recipe, chosen.config, chosen.pool
    origin = endpoint.origin

    def where(kind: str, flag: str):
        if kind == "recipe":
            return recipe_checks.arg_place(recipe, config, flag)
        if kind == "override":
            path = ("spec", "aimFrameworkOverrides", flag)
            return origin.file, origin.line_of(*path), format_path(path)
        if request.custom_args and any(f == flag for f, _ in request.custom_args):
            path = (*request.path, "customArgs", flag)
        else:
            path = ("spec", "customArgs", flag)
        return origin.file, origin.line_of(*path), format_path(path)

    custom_args = tuple(endpoint.custom_args) + tuple(request.custom_args)
    huggingface_id = recipe.huggingface_id or endpoint.model
    command = engine_args.build_command(
        request.engine, dict(config.args), config.gpu_count, huggingface_id, endpoint.model,
        endpoint.overrides, custom_args, where)
    env_problems = env_checks.check_config_env(recipe, config, pool.hardware)
    collector.extend(command.diagnostics)
    collector.extend(env_problems)
    if any(d.severity == "error" for d in (*command.diagnostics, *env_problems)):
        return None
    image = _image(endpoint, request.engine, inventory, collector)
    if image is None:
        return None
    trace = tuple(f"{c.label()}: {'selected' if c is chosen else ('kept' if not c.rejected else 'rejected (' + c.rejected + ')')}"
                  + (f" — {c.detail}" if c.detail else "") for c in selection.candidates)
    return ResolvedEngine(
        endpoint=endpoint,
        engine=request.engine,
        recipe=recipe,
        config=config,
        pool=pool,
        gpu_count=config.gpu_count,
        replicas=request.replicas if request.replicas is not None else endpoint.replicas,
        args=command.args,
        env=tuple(recipe.env) + tuple(config.env),
        image=image,
        port=engine_args.PORTS[request.engine],
        trace=trace + tuple(f"note: {n}" for n in command.notes),
        facts=(("engine flags checked against", flags.flag_set(request.engine).label),),
    )


def _image(endpoint: Endpoint, engine: str, inventory, collector: Collector) -> str | None:
    image = endpoint.image or dict(inventory.images).get(engine) or DEFAULT_IMAGES[engine]
    problem = image_problem(image)
    if problem:
        if endpoint.image:
            collector.error(endpoint.origin.file, endpoint.origin.line_of("spec", "image"), "spec.image", problem)
        else:
            origin = inventory.origin
            collector.error(origin.file, origin.line_of("spec", "defaults", "images", engine),
                            f"spec.defaults.images.{engine}", problem)
        return None
    return image


def image_problem(image: str) -> str | None:
    """Images must be references the runtime parses, and pinned: a tag other than `latest`, or a digest."""
    if kube_values.image_reference_problem(image):
        return kube_values.image_reference_problem(image)
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return f"image '{image}' has no tag: pin a version (e.g. '{image}:<version>') or a digest"
    if tag == "latest":
        return f"image '{image}' uses the 'latest' tag: pin a version or a digest so every sync runs the same bits"
    return None
