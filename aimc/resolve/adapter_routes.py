"""Which endpoints serve each LoRA adapter name, how those names are laid out on HTTPRoutes, and the repository-wide
checks of adapter names.

An adapter name is a served model name like any `spec.model`: unique among the names the build serves, unless the
endpoints offering it share it like a canary (each sets spec.traffic.weight; the adapter's requests split by those
weights, as the base model's do). Names served by the same weighted backends share routes. The HTTPRoute CRD
(Gateway API v1.6.1, gateway.networking.k8s.io_httproutes.yaml) allows at most 64 matches in a rule and, by a CEL
rule on spec.rules, at most 128 matches over all the rules of a route: a route holds up to 128 names in rules of up
to 64, and more names take more routes (`-2`, `-3`, ...). Pure: resolved endpoints in, routes or diagnostics out.
"""

from __future__ import annotations

from collections import defaultdict

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint
from aimc.model.routes import AdapterRoute
from aimc.records import replace
from aimc.resolve import traffic

MAX_MATCHES_PER_RULE = 64  # HTTPRoute spec.rules[].matches maxItems
MAX_MATCHES_PER_ROUTE = 128  # HTTPRoute spec.rules: the CEL rule summing every rule's matches


def offered(endpoints) -> dict[tuple[str, str], list[ResolvedEndpoint]]:
    """(namespace, adapter name) -> the endpoints offering it, by name; in a stable order."""
    groups: dict = defaultdict(list)
    for resolved in endpoints:
        for adapter in resolved.endpoint.adapters:
            groups[(resolved.namespace or "", adapter.name)].append(resolved)
    return {key: sorted(members, key=lambda r: r.endpoint.name) for key, members in sorted(groups.items())}


def adapter_routes(endpoints) -> tuple[AdapterRoute, ...]:
    """Names served by the same endpoints share routes, named after those endpoints (`<endpoint>-adapters`)."""
    by_backends: dict = defaultdict(list)
    members_of: dict = {}
    for (namespace, name), members in offered(endpoints).items():
        key = (namespace, tuple(m.endpoint.name for m in members))
        by_backends[key].append(name)
        members_of[key] = members
    routes = []
    for key, names in sorted(by_backends.items()):
        members = members_of[key]
        base = traffic.route_name("-".join(key[1]) + "-adapters")
        chunks = [names[i:i + MAX_MATCHES_PER_ROUTE] for i in range(0, len(names), MAX_MATCHES_PER_ROUTE)]
        for number, chunk in enumerate(chunks, start=1):
            rules = tuple(tuple(chunk[i:i + MAX_MATCHES_PER_RULE])
                          for i in range(0, len(chunk), MAX_MATCHES_PER_RULE))
            name = base if number == 1 else traffic.route_name(f"{base}-{number}")
            routes.append(AdapterRoute(name, members[0].namespace, rules, _backends(members)))
    return tuple(sorted(routes, key=lambda r: (r.namespace or "", r.name)))


def _backends(members: list[ResolvedEndpoint]) -> tuple:
    """The weighted backends of the endpoints offering the names. The endpoints' weights split a name offered by
    several; alone, an endpoint takes every request for its adapters, whatever its share of the base model's route
    (a canary, or a blue/green endpoint at weight 0, still serves its own adapters)."""
    if len(members) == 1:
        (alone,) = members
        endpoint = replace(alone.endpoint, traffic=replace(alone.endpoint.traffic, weight=None))
        return traffic.backends([replace(alone, endpoint=endpoint)])
    return traffic.backends(members)


def _diag(resolved: ResolvedEndpoint, index: int, message: str, severity: str = "error") -> Diagnostic:
    origin = resolved.endpoint.origin
    return Diagnostic(origin.file, origin.line_of("spec", "adapters", index, "name"),
                      f"spec.adapters[{index}].name", message, severity)


def _index(resolved: ResolvedEndpoint, name: str) -> int:
    return next(a.index for a in resolved.endpoint.adapters if a.name == name)


def _where(resolved: ResolvedEndpoint) -> str:
    origin = resolved.endpoint.origin
    return f"'{resolved.endpoint.name}' ({origin.file}:{origin.line_of('metadata', 'name')})"


def problems(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    """An adapter name that is also a base model's name, offered by several endpoints without weights, in two
    namespaces on one gateway, or whose route name is taken by a model's route."""
    out: list[Diagnostic] = []
    models: dict[str, ResolvedEndpoint] = {}
    for resolved in sorted(endpoints, key=lambda r: r.endpoint.name):
        models.setdefault(resolved.endpoint.model, resolved)
    groups = offered(endpoints)
    for (_namespace, name), members in groups.items():
        if name in models:
            other = models[name]
            out += [_diag(m, _index(m, name), f"adapter name '{name}' is also the model served by {_where(other)}: "
                          "a request for it could mean either; give the adapter another name") for m in members]
        if len(members) > 1:
            names = ", ".join(_where(m) for m in members)
            out += [_diag(m, _index(m, name), f"endpoints {names} all offer the adapter '{name}': set "
                          "spec.traffic.weight (0-100) on each to split its requests like a canary, or give the "
                          "adapters different names") for m in members if m.endpoint.traffic.weight is None]
    gateway = inventory.gateway if inventory is not None else None
    if gateway is None:
        return out
    first: dict = {}
    for (namespace, name), members in groups.items():
        if name in first and first[name][0] != namespace:
            other_namespace, other = first[name]
            out.append(_diag(members[0], _index(members[0], name), (
                f"adapter '{name}' is also offered in namespace '{other_namespace}' by {_where(other)}: two "
                f"namespaces' routes for one name on gateway '{gateway.name}' conflict (the older route takes every "
                "request); offer it from one namespace")))
        first.setdefault(name, (namespace, members[0]))
    taken = {(r.namespace or "", r.name): r.model for r in traffic.model_routes(endpoints)}
    for route in adapter_routes(endpoints):
        model = taken.get((route.namespace or "", route.name))
        if model is not None:
            resolved = route.backends[0].endpoint
            out.append(_diag(resolved, 0, f"the adapters' HTTPRoute '{route.name}' has the name of the route of model "
                                          f"'{model}': rename the endpoint '{resolved.endpoint.name}'"))
    return out
