"""render: pure functions from resolved endpoints to Kubernetes objects (plain dicts), one module per kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint
from aimc.records import FrozenTree, Record, compared_on, force_setattr
from aimc.render import (
    adapter_fetch,
    autoscaling,
    cache,
    claims,
    deployment,
    disruption,
    download,
    monitoring,
    references,
    routing,
    service,
    sizing,
)
from aimc.resolve import adapter_routes, group_checks, traffic


class Rendered(Record):
    """One object with the input file it came from (for `# Source:` comments and error messages).

    The object is built as plain dicts and lists and held as a read-only view (`FrozenTree`): every later stage
    (checks, ordering, adapters, emit) reads the same object and none can change it for the others."""

    obj: Mapping[str, Any]  # a FrozenTree once built
    source: str
    file: str = ""  # the input file as the user names it, and the line, for error messages
    line: int = 0
    # The document with its YAML positions, for a passed-through object: later checks point at the field at fault.
    positions: Any = None  # equality ignores it

    __eq__, __ne__, __hash__ = compared_on("obj", "source", "file", "line")

    def __post_init__(self) -> None:
        if self.obj.__class__ is not FrozenTree:  # (final: an identity check, not isinstance through the ABC)
            force_setattr(self, "obj", FrozenTree(self.obj))


def render_endpoint(resolved: ResolvedEndpoint, inventory: Inventory | None = None, models=None) -> list[Rendered]:
    """Every object of one endpoint except the shared model-cache claims (see `render_all`). `models`: the build's
    facts.ModelCatalog, which sizes the startup budget and cache claims (default: the built-in facts)."""
    origin = resolved.endpoint.origin
    line = origin.line_of("metadata", "name")  # once: every object of the endpoint points at its name
    if resolved.disaggregation is not None:  # prefill and decode apart, the router in front (imported only for them)
        from aimc.render import disaggregation

        return [Rendered(obj, origin.source, origin.file, line)
                for obj in disaggregation.render(resolved, inventory, models)]
    objects = []
    for engine in resolved.engines:
        if engine.group is not None:  # a group: whole nodes, one LeaderWorkerSet (imported only for groups)
            from aimc.render import leaderworkerset

            objects.append(leaderworkerset.render(resolved, engine, inventory, models))
        else:
            objects.append(deployment.render(resolved, engine, inventory, models))
        objects.extend(claims.render(resolved, engine))
        objects.extend(autoscaling.render(resolved, engine, inventory))
        objects.extend(disruption.render(resolved, engine))
    objects.extend(service.render(resolved))
    objects.extend(monitoring.render(resolved, inventory))
    return [Rendered(obj, origin.source, origin.file, line) for obj in objects]


def render_all(endpoints, inventory: Inventory | None = None, models=None) -> list[Rendered]:
    out: list[Rendered] = []
    for resolved in endpoints:
        out.extend(render_endpoint(resolved, inventory, models))
    # Model-cache claims are shared by every endpoint of a namespace that loads the model: rendered once.
    # Download once: one Job per namespace, checkpoint and revision fills a shared cache (render/download.py).
    jobs = download.render_jobs(endpoints, inventory)
    claims = download.in_download_wave(cache.render_claims(endpoints, inventory, models), jobs)
    out.extend(Rendered(obj, origin.source, origin.file, origin.line_of("metadata", "name"))
               for obj, origin in claims + jobs)
    out.extend(Rendered(obj, o.source, o.file, o.line_of("metadata", "name"))
               for obj, o in routing.render(endpoints, inventory))
    return out


def check(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """Problems only visible once endpoints are resolved against the inventory (errors and warnings)."""
    problems: list[Diagnostic] = []
    for resolved in endpoints:
        for view in _views(resolved):  # a disaggregated endpoint's roles scale and size apart
            problems.extend(autoscaling.check(view, inventory))
            problems.extend(sizing.resource_problems(view, inventory))
    problems.extend(cache.sharing_warnings(endpoints, inventory))
    problems.extend(adapter_fetch.problems(endpoints, inventory))
    problems.extend(group_checks.warnings(endpoints, inventory))
    problems.extend(cache.storage_class_warnings(endpoints, inventory))
    problems.extend(traffic.problems(endpoints, inventory))
    problems.extend(adapter_routes.problems(endpoints, inventory))
    problems.extend(references.undefined_secret_references(endpoints, inventory))
    return problems


def _views(resolved: ResolvedEndpoint) -> tuple[ResolvedEndpoint, ...]:
    """render.disaggregation.views, whose module (with the router's, the LeaderWorkerSet's and the roles' renderers)
    loads only for a disaggregated endpoint."""
    if resolved.disaggregation is None:
        return (resolved,)
    from aimc.render import disaggregation

    return disaggregation.views(resolved)
