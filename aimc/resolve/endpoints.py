"""resolve: per endpoint and engine, pick a configuration, build its command line, image and placement.

Pure: inputs in, resolved endpoints (or diagnostics) out. Repository-wide checks run after every endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from aimc.errors import Collector, Diagnostic
from aimc.load.yaml_positions import format_path
from aimc.model.inputs import Endpoint, EngineRequest, Inputs, JsonPath
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine, Selection, TraceEntry
from aimc.records import Record, replace
from aimc.resolve import candidates as select
from aimc.resolve import (
    checkpoint,
    engine_args,
    env_checks,
    group_args,
    groups,
    images,
    lora_architectures,
    lora_checks,
    lora_expert_parallel,
    lora_flags,
    lora_rocm,
    model_source,
    pinned_pool,
    precision,
    release_env,
    rollout,
)
from aimc.resolve.arg_merge import ArgSource

if TYPE_CHECKING:  # disaggregation and spec.objective load their modules (the performance model) only when used
    from aimc.resolve.disaggregation import RoleArgs

DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 63


class Resolution(Record):
    endpoints: tuple[ResolvedEndpoint, ...]
    selections: tuple[Selection, ...]  # every selection, for `explain`
    warnings: tuple[Diagnostic, ...]


def resolve(inputs: Inputs, collector: Collector, default_namespace: str | None = None,
            checks: tuple[Callable[[Endpoint, EngineRequest, TraceEntry], TraceEntry], ...] = (),
            explain_hint: bool = True) -> Resolution:
    """Resolve every endpoint. `checks` are extra candidate filters from other modules, given the endpoint and the
    engine request first (see `candidates.select`). `explain_hint` False: errors do not advise `aimc explain`
    (they are shown inside it)."""
    resolved: list[ResolvedEndpoint] = []
    selections: list[Selection] = []
    inventory = inputs.inventory
    if inventory is None:  # nowhere to place an endpoint: the pipeline reports that before it resolves
        assert not inputs.endpoints, "endpoints without an inventory reached resolve"
        return Resolution((), (), tuple(collector.warnings))
    screen = select.Screen(inputs.catalog, inventory)  # one memo of the built-in filters for every endpoint

    def engines_into(into: Collector, chosen: list[Selection]) -> Callable[..., ResolvedEngine | None]:
        """Resolves one engine request, its diagnostics and selections going to `into` and `chosen`."""
        def one(view: Endpoint, request: EngineRequest, extra_checks: tuple = (),
                role: RoleArgs | None = None) -> ResolvedEngine | None:
            return _select_and_resolve(view, request, inputs, checks + extra_checks, screen, into, chosen,
                                       explain_hint, role)
        return one

    def ranked(view: Endpoint, request: EngineRequest) -> Selection:
        """The selection in the static ranking's order (before an objective re-ranks it)."""
        return select.select(view, request, inputs.catalog, inventory, _filters(view, request, checks), screen)

    one_engine = engines_into(collector, selections)

    for endpoint in inputs.endpoints:
        _check_names(endpoint, collector)
        precision_errors = precision.endpoint_problems(endpoint)
        if precision_errors:
            collector.extend(precision_errors)
            continue
        pool_problem = pinned_pool.problem(endpoint, inventory)
        if pool_problem is not None:
            collector.add(pool_problem)
            continue
        if endpoint.disaggregation is not None:
            from aimc.resolve import disaggregation

            outcome = disaggregation.resolve(endpoint, inventory, one_engine, collector, inputs.models)
            if outcome is not None:
                namespace = endpoint.namespace or inventory.default_namespace or default_namespace
                resolved.append(ResolvedEndpoint(endpoint, outcome.roles, namespace, outcome.plan))
            continue
        if endpoint.objective is not None and len(endpoint.engines) == 1:  # it may choose disaggregated serving
            from aimc.resolve import serving_objective  # and the layout search: only for an endpoint with an objective

            scenarios = inputs.benchmarks.scenarios if inputs.benchmarks else ()
            decision = serving_objective.decide(endpoint, inventory, inputs.models, scenarios, engines_into, ranked,
                                                collector, selections)
            if decision is not None:
                resolved.append(_decided(decision, inventory, default_namespace))
            continue
        engines = [engine for engine in (one_engine(endpoint, request) for request in endpoint.engines) if engine]
        if len(engines) == len(endpoint.engines):
            endpoint, engines = _objective_replicas(endpoint, engines)
            namespace = endpoint.namespace or (inventory.default_namespace if inventory else None) or default_namespace
            resolved.append(ResolvedEndpoint(endpoint, tuple(engines), namespace))
    return Resolution(tuple(resolved), tuple(selections), tuple(collector.warnings))


def _select_and_resolve(endpoint: Endpoint, request: EngineRequest, inputs: Inputs, checks: tuple, screen,
                        collector: Collector, selections: list[Selection], explain_hint: bool,
                        role: RoleArgs | None = None) -> ResolvedEngine | None:
    """Select a configuration for one engine request of an endpoint (or of a disaggregated role's view), then build
    its command line, image and placement; None with the errors collected."""
    inventory = inputs.inventory
    assert inventory is not None
    filters = _filters(endpoint, request, checks)
    selection = select.select(endpoint, request, inputs.catalog, inventory, filters, screen)
    if endpoint.objective is not None:  # re-ranked by the prediction against spec.objective
        from aimc.resolve import objective

        outcome = objective.apply(selection, endpoint, request, inputs.models,
                                  inputs.benchmarks.scenarios if inputs.benchmarks else ())
        collector.extend(outcome.diagnostics)
        selection = outcome.selection
        if outcome.failed:
            selections.append(selection)
            return None
    selections.append(selection)
    if selection.chosen is None:
        from aimc.resolve import selection_errors  # and difflib: only when an endpoint gets no candidate

        error = selection_errors.no_candidate_error(selection, inputs.catalog, inventory, explain_hint)
        if endpoint.node_pool and inventory is not None:
            unpinned = select.select(replace(endpoint, node_pool=None), request, inputs.catalog, inventory,
                                     filters, screen)
            error = pinned_pool.unserved(error, endpoint, inventory, unpinned)
        collector.add(error)
        return None
    return _resolve_engine(endpoint, request, selection, inputs, collector, role)


def _filters(endpoint: Endpoint, request: EngineRequest, checks: tuple) -> tuple:
    return tuple(partial(check, endpoint, request) for check in (precision.precision_check, *checks))


def _decided(decision, inventory, default_namespace: str | None) -> ResolvedEndpoint:
    """The endpoint as the objective's serving choice (resolve/serving_objective.Decision) resolved it: aggregated
    (its replicas from the objective) or disaggregated (its roles)."""
    endpoint = decision.endpoint
    namespace = endpoint.namespace or inventory.default_namespace or default_namespace
    if decision.disaggregated is not None:
        outcome = decision.disaggregated
        return ResolvedEndpoint(endpoint, outcome.roles, namespace, outcome.plan, decision.lines)
    endpoint, engines = _objective_replicas(endpoint, list(decision.engines))
    return ResolvedEndpoint(endpoint, tuple(engines), namespace, serving=decision.lines)


def _objective_replicas(endpoint: Endpoint, engines: list[ResolvedEngine]) -> tuple[Endpoint, list[ResolvedEngine]]:
    """spec.objective without a GPU count chose the replica count: it becomes the engine's replicas, and with
    autoscaling on the autoscaler's minimum (its maximum never below it)."""
    chosen = [e.objective for e in engines if e.objective is not None and not select.wanted_gpu_count(
        endpoint, next(r for r in endpoint.engines if r.engine == e.engine))]
    if not chosen:
        return endpoint, engines
    replicas = max(a.replicas for a in chosen)
    scaling = endpoint.autoscaling
    if scaling.enabled:
        endpoint = replace(endpoint, autoscaling=replace(scaling, min_replicas=replicas,
                                                         max_replicas=max(scaling.max_replicas, replicas)))
    return endpoint, [replace(e, endpoint=endpoint, replicas=replicas if e.objective is not None else e.replicas)
                      for e in engines]


def _check_names(endpoint: Endpoint, collector: Collector) -> None:
    """Rendered names: the Service is the endpoint name (a DNS-1035 label), engine objects add `-<engine>`."""
    origin = endpoint.origin  # the line is looked up only for an error: most names are fine
    if not DNS_1035_LABEL.match(endpoint.name):
        collector.error(origin.file, origin.line_of("metadata", "name"), "metadata.name",
                        f"'{endpoint.name}' cannot name a Service: it must start with a letter "
                        "(lowercase letters, digits and '-')")
    longest = 0
    for request in endpoint.engines:  # (a loop: a generator costs more than the one or two engines it visits)
        longest = max(longest, len(endpoint.name) + 1 + len(request.engine))
    if longest > MAX_NAME:
        collector.error(origin.file, origin.line_of("metadata", "name"), "metadata.name",
                        f"'{endpoint.name}' is too long: aimc names objects '<name>-<engine>', which must fit in "
                        f"{MAX_NAME} characters; use at most {MAX_NAME - longest + len(endpoint.name)} characters")


def _resolve_engine(endpoint: Endpoint, request: EngineRequest, selection: Selection, inputs: Inputs,
                    collector: Collector, role: RoleArgs | None = None) -> ResolvedEngine | None:
    inventory = inputs.inventory
    assert inventory is not None  # resolve() returns before any engine without an inventory
    chosen = selection.chosen
    assert chosen is not None and chosen.pool is not None  # called for a selected candidate, which has its pool
    recipe, config, pool = chosen.recipe, chosen.config, chosen.pool
    origin = endpoint.origin

    def where(source: ArgSource, flag: str) -> tuple[str, int, str]:
        if source is ArgSource.RECIPE:
            return recipe.arg_place(config, flag)
        path: JsonPath
        if source is ArgSource.OVERRIDE:
            path = ("spec", "aimFrameworkOverrides", flag)
            return origin.file, origin.line_of(*path), format_path(path)
        if source is ArgSource.ADAPTERS:
            path = ("spec", "adapters")
            return origin.file, origin.line_of(*path), format_path(path)
        if source is ArgSource.DISAGGREGATION:
            path = ("spec", "disaggregation")
            return origin.file, origin.line_of(*path), format_path(path)
        if request.custom_args and any(f == flag for f, _ in request.custom_args):
            path = (*request.path, "customArgs", flag)
        else:
            path = ("spec", "customArgs", flag)
        return origin.file, origin.line_of(*path), format_path(path)

    image, image_diagnostics = images.choose(endpoint, request, pool, inventory)
    collector.extend(image_diagnostics)
    if image is None:
        return None
    role_args, role_problems = role.args_for(image, pool) if role is not None else ((), ())
    collector.extend(role_problems)
    if any(problem.severity == "error" for problem in role_problems):
        return None
    huggingface_id = recipe.huggingface_id or endpoint.model
    group = groups.plan_for(recipe, config, pool) if groups.is_group(pool, config.gpu_count) else None
    if isinstance(group, groups.GroupProblem):  # selection rejects these; kept as a guard
        collector.error(origin.file, origin.line, "", group.message)
        return None
    tp = group.tp if group else groups.node_tp(recipe, config)
    if isinstance(tp, groups.GroupProblem):  # selection rejects these too; kept as a guard
        collector.error(origin.file, origin.line, "", tp.message)
        return None
    loaded = model_source.model_argument(endpoint, inventory, huggingface_id)  # an OCI model image: its mount
    command = engine_args.build_command(
        request.engine, groups.without_pp(config) if group else config.args, tp,
        loaded, endpoint.model, endpoint.overrides, endpoint.custom_args, where, request.custom_args,
        image.flag_set_version, None if group else config.gpu_count,
        lora_flags.adapter_args(request.engine, endpoint.adapters, image.flag_set_version), group.nodes if group else 1,
        role_args)
    if endpoint.adapters:
        final = dict(command.checked)
        model = inputs.models.lookup(endpoint.model, recipe.huggingface_id, recipe.model_id)
        collector.extend(lora_architectures.problems(endpoint, request.engine, image.flag_set_version, model))
        collector.extend(lora_checks.rank_problems(endpoint, request.engine, image.flag_set_version, final))
        collector.extend(lora_checks.unknown_rank_warnings(endpoint, request.engine, image.flag_set_version, final))
        collector.extend(lora_checks.unknown_mlp_warnings(endpoint, request.engine, image.flag_set_version, model))
        for problem in lora_expert_parallel.problems(request.engine, image.version, model, final, tp):
            collector.error(*where(*command.source_of(problem.flag)), problem.message)
    # With or without adapters: a LoRA MoE runner is refused on ROCm even without LoRA (resolve/lora_rocm.py)
    for problem in lora_rocm.problems(request.engine, image.version, image.flag_set_version, dict(command.checked)):
        collector.error(*where(*command.source_of(problem.flag)), problem.message)
    env_problems = env_checks.check_config_env(recipe, config, pool.hardware)
    env_problems += release_env.post_capture_warnings(request.engine, image.flag_set_version, command.args, recipe,
                                                      config, endpoint)
    if group:
        written = tuple((ArgSource.RECIPE, f) for f, _ in config.args) + tuple(
            (ArgSource.CUSTOM_ARGS, f) for f, _ in (*endpoint.custom_args, *request.custom_args))
        env_problems += group_args.owned_flag_problems(request.engine, written, where)
    swapped = checkpoint.different_checkpoint(endpoint, recipe)
    if swapped is not None:
        collector.add(swapped)
    collector.extend(command.diagnostics)
    collector.extend(env_problems)
    if any(d.severity == "error" for d in (*command.diagnostics, *env_problems)):
        return None
    args = command.args + (group_args.group_flags(request.engine, group) if group else ())
    return ResolvedEngine(
        endpoint=endpoint,
        engine=request.engine,
        recipe=recipe,
        config=config,
        pool=pool,
        gpu_count=config.gpu_count,
        replicas=request.replicas if request.replicas is not None else endpoint.replicas,
        args=args,
        # The image's own needs on this architecture first: the recipe may still set the same variable.
        env=tuple(image.environment) + tuple(recipe.env) + tuple(config.env),
        image=image.image,
        port=engine_args.PORTS[request.engine],
        trace=selection.trace,
        rollout=rollout.plan(),
        notes=command.notes,
        flag_set=f"{request.engine} {image.flag_set_version}",
        runtime=image,
        dropped=command.dropped,
        group=group,
        launch=engine_args.launch_command(request.engine, image.flag_set_version),
        objective=selection.trace[0].objective,
        role=role.role if role is not None else "",
    )
