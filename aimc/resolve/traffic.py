"""Which endpoints share a model's route, with what weights, and the repository-wide checks of routing.

Endpoints serving the same `spec.model` in one namespace share that model's route (a canary beside its stable
endpoint, or blue and green): each must then set `spec.traffic.weight`. Every engine of an endpoint is one weighted
backend of the route. Pure: resolved endpoints in, routes or diagnostics out.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from aimc.digest import sha256_hex
from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint
from aimc.model.routes import Backend, ModelRoute
from aimc.model.routing import DEFAULT_WEIGHT

MAX_BACKENDS = 16  # HTTPRoute: backendRefs of one rule (Gateway API v1.6 CRD)
MAX_WEIGHT = 1_000_000  # HTTPRoute: largest backendRef weight
MAX_NAME = 63  # Service names (the endpoint picker's is '<endpoint>-<engine>-epp')
PICKER_SUFFIX = "-epp"


def route_name(model: str) -> str:
    """The HTTPRoute of a model: `Qwen/Qwen3-32B` -> `qwen-qwen3-32b`; a short hash when cut or empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    if slug and len(slug) <= MAX_NAME:
        return slug
    digest = sha256_hex(model)[:8]
    return (slug[:MAX_NAME - len(digest) - 1].rstrip("-") + "-" + digest) if slug else f"model-{digest}"


def _groups(endpoints) -> dict[tuple[str, str], list[ResolvedEndpoint]]:
    groups: dict = defaultdict(list)
    for resolved in endpoints:
        groups[(resolved.namespace or "", resolved.endpoint.model)].append(resolved)
    return {key: sorted(members, key=lambda r: r.endpoint.name) for key, members in sorted(groups.items())}


def _weight(resolved: ResolvedEndpoint) -> int:
    weight = resolved.endpoint.traffic.weight
    return DEFAULT_WEIGHT if weight is None else weight


def backends(members: list[ResolvedEndpoint]) -> tuple[Backend, ...]:
    """Each engine's weight: its endpoint's weight split by the engine weights. Scaled by the least common multiple
    of the endpoints' engine-weight sums, so every weight stays a whole number and endpoints with one engine keep
    their weight as written (90 and 10 stay 90 and 10: a weight change in Git is one changed field)."""
    def total(resolved):
        return sum(resolved.endpoint.traffic.engine_weight(e.engine) for e in resolved.served)

    scale = math.lcm(*(total(r) for r in members if _weight(r) and total(r))) if members else 1
    out = []
    for resolved in members:
        share = scale // total(resolved) if total(resolved) else 0
        for engine in resolved.served:  # a disaggregated endpoint's router stands for its engine
            weight = _weight(resolved) * resolved.endpoint.traffic.engine_weight(engine.engine) * share
            out.append(Backend(resolved, engine, weight))
    return tuple(out)


def model_routes(endpoints) -> tuple[ModelRoute, ...]:
    """One route per served model and namespace, in a stable order."""
    routes = [ModelRoute(route_name(model), model, members[0].namespace, backends(members))
              for (_, model), members in _groups(endpoints).items()]
    return tuple(sorted(routes, key=lambda r: (r.namespace or "", r.name)))


def _diag(resolved: ResolvedEndpoint, path: tuple, message: str, severity: str = "error") -> Diagnostic:
    origin = resolved.endpoint.origin
    return Diagnostic(origin.file, origin.line_of(*path), ".".join(path), message, severity)


def _where(resolved: ResolvedEndpoint) -> str:
    origin = resolved.endpoint.origin
    return f"'{resolved.endpoint.name}' ({origin.file}:{origin.line_of('metadata', 'name')})"


def problems(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """Errors that make the routes wrong or ambiguous; warnings for weights without a gateway."""
    gateway = inventory.gateway if inventory is not None else None
    if gateway is None:
        unused: list[tuple[ResolvedEndpoint, tuple[str, ...]]] = [
            (r, ("spec", "traffic", "weight")) for r in endpoints if r.endpoint.traffic.weight is not None]
        unused += [(r, ("spec", "servingEngines")) for r in endpoints if r.endpoint.traffic.engine_weights]
        return [_diag(r, path, "weights have no effect: the inventory declares no spec.gateway, so no route is "
                      "rendered", "warning") for r, path in unused]
    out: list[Diagnostic] = []
    groups = _groups(endpoints)
    out += _namespace_conflicts(groups, gateway.name)
    names: dict = {}
    for (namespace, model), members in groups.items():
        out += _canary_problems(model, members)
        name = route_name(model)
        if (namespace, name) in names and names[(namespace, name)][0] != model:
            other_model, other = names[(namespace, name)]
            out.append(_diag(members[0], ("spec", "model"), f"'{model}' and '{other_model}' (served by "
                             f"{_where(other)}) would both name the HTTPRoute '{name}': serve one of them under "
                             "another name"))
        names.setdefault((namespace, name), (model, members[0]))
        routed = backends(members)
        if len(routed) > MAX_BACKENDS:
            out.append(_diag(members[0], ("spec", "model"), f"'{model}' has {len(routed)} engines behind its route "
                             f"in namespace '{namespace}'; an HTTPRoute rule holds at most {MAX_BACKENDS} backends"))
        heaviest = max((b.weight for b in routed), default=0)
        if heaviest > MAX_WEIGHT:
            out.append(_diag(members[0], ("spec", "servingEngines"), f"the engine weights of the endpoints serving "
                             f"'{model}' need a backend weight of {heaviest}, above the route's limit of "
                             f"{MAX_WEIGHT}: use engine weights whose sums divide each other (e.g. 1:1 and 3:1)"))
    if gateway.inference_extension:
        out += _picker_problems(endpoints)
    return out


def _namespace_conflicts(groups, gateway: str) -> list[Diagnostic]:
    """One model in two namespaces: two HTTPRoutes with the same match on one gateway, and the older one wins."""
    first: dict = {}
    out = []
    for (namespace, model), members in groups.items():
        if model not in first:
            first[model] = (namespace, members[0])
            continue
        other_namespace, other = first[model]
        out.append(_diag(members[0], ("spec", "model"), f"'{model}' is also served in namespace "
                         f"'{other_namespace}' by {_where(other)}: two namespaces' routes for one model on gateway "
                         f"'{gateway}' conflict (the older route takes every request); serve a model from one "
                         "namespace, with spec.traffic.weight to split it between endpoints"))
    return out


def _canary_problems(model: str, members: list[ResolvedEndpoint]) -> list[Diagnostic]:
    out = []
    if len(members) > 1:
        names = ", ".join(_where(m) for m in members)
        for resolved in members:
            if resolved.endpoint.traffic.weight is None:
                out.append(_diag(resolved, ("metadata", "name"), f"endpoints {names} all serve '{model}' and share "
                                 "its route: set spec.traffic.weight (0-100) on each to split the traffic "
                                 "(e.g. 90 on the stable endpoint, 10 on the canary)"))
    if not out and all(_weight(m) == 0 for m in members):
        # A warning, not an error: taking a model off the gateway for a while is legitimate, but rarely meant.
        out.append(_diag(members[0], ("spec", "traffic", "weight"), f"every endpoint serving '{model}' has weight 0, "
                         "so its route answers every request with an error: give one a weight above 0", "warning"))
    return out


def _picker_problems(endpoints) -> list[Diagnostic]:
    """Each engine gets an endpoint picker: its Service name must fit, and its RoleBinding must name a namespace."""
    out = []
    for resolved in endpoints:
        if not resolved.namespace:
            out.append(_diag(resolved, ("metadata", "name"), f"'{resolved.endpoint.name}' has no namespace: its "
                             "endpoint picker's RoleBinding must name one; set metadata.namespace, the inventory's "
                             "spec.defaults.namespace or --namespace"))
        longest = max(len(f"{resolved.endpoint.name}-{e.engine}{PICKER_SUFFIX}") for e in resolved.engines)
        if longest > MAX_NAME:
            out.append(_diag(resolved, ("metadata", "name"), f"'{resolved.endpoint.name}' is too long for the "
                             f"gateway's inference extension: its endpoint picker is named "
                             f"'<name>-<engine>{PICKER_SUFFIX}', which must fit in {MAX_NAME} characters; use at "
                             f"most {MAX_NAME - longest + len(resolved.endpoint.name)} characters"))
    return out
