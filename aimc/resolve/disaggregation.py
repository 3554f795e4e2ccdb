"""Disaggregated serving (spec.disaggregation): each role resolved like an endpoint of its own, then what joins them.

A role is resolved as the endpoint `<name>-<role>` (`role_endpoint`): its own gpuCount, recipe, replicas and
autoscaling, the endpoint's model, hardware, image and pool pinning; the same selection, memory fit, flag checks and
multi-node planning as any endpoint, so the capacity plan and `explain` count and show both roles. On top:

- the KV the role must hold (`KvNeed`): with spec.objective, a prefill replica must hold one prompt of `inputTokens`
  (it keeps the prompt's KV until a decode server has pulled it), a decode replica its share of the requests in
  flight, each `inputTokens + outputTokens` long: a configuration whose KV cache is smaller is rejected (selection
  then tries the next one);
- the transfer backend: spec's, or the default of the image in the runtime catalog; one the image does not ship is
  an error, and so is an image the catalog names none for;
- the network: the pairs usually span nodes, so the pool must give pods its fast interconnect (network.rdmaResource
  or rdmaDevices) unless both roles fit on one node (a warning then);
- the engine's flags for each role and its front door (the router), from the engine's own module
  (`disaggregation_engines`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from aimc.catalog import routers
from aimc.catalog import runtime as rt
from aimc.errors import Collector, Diagnostic
from aimc.model.disaggregation import (
    DECODE,
    DISAGGREGATED_LABEL,
    PREFILL,
    ROLE_LABEL,
    ResolvedDisaggregation,
    Role,
    RouterResources,
    Transfer,
)
from aimc.model.inputs import AutoScaling, Endpoint, EngineRequest, Inventory, NodePool
from aimc.model.plan import ImageChoice, Reason, ResolvedEngine, TraceEntry, Verdict
from aimc.model.routing import Traffic
from aimc.records import Record, replace
from aimc.resolve import disaggregation_engines, disaggregation_objective

PATH = ("spec", "disaggregation")


class RoleArgs(Record):
    """What `endpoints._resolve_engine` adds for a role: its name and, once the image is chosen, its flags."""

    role: str
    args_for: Any  # (ImageChoice, NodePool) -> (ArgPairs, diagnostics)


class Outcome(Record):
    roles: tuple[ResolvedEngine, ...]
    plan: ResolvedDisaggregation


OneEngine = Callable[..., ResolvedEngine | None]  # (view, request, extra_checks, role) -> engine


def resolve(endpoint: Endpoint, inventory: Inventory, one_engine: OneEngine, collector: Collector,
            models=None) -> Outcome | None:
    spec = endpoint.disaggregation
    assert spec is not None
    engine = endpoint.engines[0].engine  # validate: one engine only
    support = disaggregation_engines.support(engine)
    origin = endpoint.origin
    if support is None:
        collector.error(origin.file, origin.line_of(*PATH), ".".join(PATH),
                        f"aimc does not render disaggregated serving for {engine} yet (it does for "
                        f"{', '.join(disaggregation_engines.ENGINES)}): choose one of those in spec.servingEngine, "
                        "or remove spec.disaggregation")
        return None
    roles: list[ResolvedEngine | None] = []
    for role in spec.roles:
        view = role_endpoint(endpoint, role)
        if not _name_fits(view, engine, collector, endpoint):
            return None
        request = EngineRequest(engine, role.gpu_count, role.replicas, role.custom_args, role.recipe, role.path)
        need = KvNeed.of(endpoint, role)
        checks = (partial(_kv_check, need),) if need is not None else ()
        args = RoleArgs(role.name, partial(_role_args, endpoint, role.name, support))
        roles.append(one_engine(view, request, checks, args))
    prefill, decode = roles
    if prefill is None or decode is None:
        return None
    transfer = _agreed_transfer(endpoint, prefill, decode, collector)
    if transfer is None:
        return None
    collector.extend(network_problems(endpoint, prefill, decode))
    front = support.front_door(endpoint, prefill, decode, transfer)
    if front is not None:
        collector.extend(router_problems(endpoint, engine, front.args))
        front = replace(front, resources=router_resources(spec, engine))
    notes = tuple(filter(None, (KvNeed.note(endpoint, r) for r in spec.roles)))
    against, problems = disaggregation_objective.assess(endpoint, spec.roles, (prefill, decode), models)
    collector.extend(problems)
    return Outcome((prefill, decode), ResolvedDisaggregation(transfer, front, notes, against))


def router_resources(spec, engine: str) -> RouterResources | None:
    """spec.disaggregation.router.resources as written (it replaces the default as a whole), else the router's
    default from catalog/routers.yaml, which cites where its figures come from."""
    if spec.router_resources is not None:
        return spec.router_resources
    facts = routers.router(engine)
    return facts.resources if facts is not None else None


def role_endpoint(endpoint: Endpoint, role: Role) -> Endpoint:
    """The role as an endpoint of its own: named `<name>-<role>` (its objects `<name>-<role>-<engine>`), labelled so
    the router finds its pods, with the role's replicas and autoscaling. It has no route of its own: the endpoint's
    Service and routes reach the router."""
    labels = (*endpoint.labels, (DISAGGREGATED_LABEL, endpoint.name), (ROLE_LABEL, role.name))
    scaling = role.autoscaling or AutoScaling(path=(*role.path, "autoScaling"))  # its messages name the role's field
    return replace(endpoint, name=f"{endpoint.name}-{role.name}", labels=labels, replicas=role.replicas,
                   autoscaling=scaling, gpu_count=role.gpu_count or endpoint.gpu_count,
                   recipe=role.recipe or endpoint.recipe, objective=None, disaggregation=None, traffic=Traffic())


def _name_fits(view: Endpoint, engine: str, collector: Collector, endpoint: Endpoint) -> bool:
    longest = len(view.name) + 1 + len(engine)
    if longest <= 63:
        return True
    origin = endpoint.origin
    collector.error(origin.file, origin.line_of("metadata", "name"), "metadata.name",
                    f"'{endpoint.name}' is too long for a disaggregated endpoint: aimc names its objects "
                    f"'<name>-<role>-<engine>' ('{view.name}-{engine}'), which must fit in 63 characters; use at "
                    f"most {63 - longest + len(endpoint.name)} characters")
    return False


class KvNeed(Record):
    """The KV cache (tokens) one replica of a role must hold for spec.objective's workload."""

    role: str
    tokens: int
    how: str

    @staticmethod
    def of(endpoint: Endpoint, role: Role) -> KvNeed | None:
        objective = endpoint.objective
        if objective is None:
            return None
        if role.name == PREFILL:
            return KvNeed(PREFILL, objective.input_tokens, f"one prompt of {objective.input_tokens} tokens")
        length = objective.input_tokens + objective.output_tokens
        scaling = role.autoscaling
        replicas = scaling.max_replicas if scaling is not None and scaling.enabled else role.replicas
        if objective.concurrency is None:
            return KvNeed(DECODE, length, f"one request of {length} tokens (prompt and output)")
        share = math.ceil(objective.concurrency / max(replicas, 1))
        return KvNeed(DECODE, share * length, f"{share} requests in flight of {length} tokens each "
                                              f"(concurrency {objective.concurrency} over {replicas} replicas)")

    @staticmethod
    def note(endpoint: Endpoint, role: Role) -> str:
        need = KvNeed.of(endpoint, role)
        if need is None:
            return ""
        return f"{role.name}: each replica must hold the KV of {need.how}: {need.tokens} tokens"


def _kv_check(need: KvNeed, endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> TraceEntry:
    """After the memory fit: reject a configuration whose KV cache holds fewer tokens than the role needs."""
    fit = entry.fit
    if entry.verdict is Verdict.REJECTED or fit is None or fit.pool_tokens >= need.tokens:
        return entry
    # The fit itself passed: the reason is the role's need, so it is `why` (errors and explain show it), with the
    # arithmetic behind the KV cache.
    return replace(entry, verdict=Verdict.REJECTED, reason=Reason.MEMORY, fit=None,
                   why=f"its KV cache holds about {fit.pool_tokens} tokens per replica; the {need.role} role needs "
                       f"{need.how}: {need.tokens} tokens ({fit.describe()})")


def _role_args(endpoint: Endpoint, role: str, support, image: ImageChoice,
               pool: NodePool) -> tuple[tuple, tuple[Diagnostic, ...]]:
    transfer, problems = choose_transfer(endpoint, image, pool)
    if transfer is None:
        return (), problems
    return support.role_args(endpoint, role, transfer), problems


def choose_transfer(endpoint: Endpoint, image: ImageChoice, pool: NodePool) -> tuple[Transfer | None,
                                                                                     tuple[Diagnostic, ...]]:
    """spec's backend (which a catalogued image must ship), else the image's default from the runtime catalog."""
    spec = endpoint.disaggregation
    assert spec is not None
    origin = endpoint.origin
    facts = rt.runtime().image(image.image)
    shipped = facts.transfer_backends if facts is not None else ()
    devices = pool.network.rdma_devices if pool.network is not None else ()
    if facts is not None and facts.transfer_architectures and image.arch not in facts.transfer_architectures:
        return None, (Diagnostic(origin.file, origin.line_of(*PATH), ".".join(PATH), (
            f"node pool '{pool.name}' has {pool.hardware} ({image.arch}), where no KV transfer of image "
            f"'{image.image}' is known to run: it is shown on {', '.join(facts.transfer_architectures)} only "
            f"({facts.transfer_source}); serve this endpoint aggregated (remove spec.disaggregation) or on a pool "
            "of those GPUs")),)
    support = disaggregation_engines.support(image.engine)
    renders = support.renders if support is not None else ()
    if spec.transfer is not None:
        if facts is not None and spec.transfer not in shipped:
            path = (*PATH, "transfer")
            having = (f"ships {', '.join(shipped)} ({facts.transfer_source})" if shipped
                      else "ships no KV transfer backend aimc knows of")
            return None, (Diagnostic(origin.file, origin.line_of(*path), ".".join(path),
                                     f"image '{image.image}' ({image.source}) {having}, not '{spec.transfer}': "
                                     "choose one it ships, or supply an image that has it (spec.image)"),)
        if renders and spec.transfer not in renders:  # an image aimc does not know: the engine's side decides
            path = (*PATH, "transfer")
            return None, (Diagnostic(origin.file, origin.line_of(*path), ".".join(path),
                                     f"aimc renders {image.engine}'s disaggregated serving over "
                                     f"{', '.join(renders)} only, not '{spec.transfer}': set "
                                     f"spec.disaggregation.transfer to {' or '.join(renders)}, or leave it out"),)
        return Transfer(spec.transfer, "spec.disaggregation.transfer", spec.bootstrap_port, devices), ()
    if facts is not None and shipped:
        why = f"the default of image '{image.image}' in aimc's runtime catalog ({facts.transfer_source})"
        return Transfer(shipped[0], why, spec.bootstrap_port, devices), ()
    if facts is not None and support is not None and support.without_backend:
        instead = support.without_backend  # a catalogued image that ships none: the engine says which would
    else:
        instead = "set spec.disaggregation.transfer to one the image ships (e.g. mooncake, nixl or mori)"
    return None, (Diagnostic(origin.file, origin.line_of(*PATH), ".".join(PATH),
                             f"aimc's runtime catalog names no KV transfer backend for image '{image.image}' "
                             f"({image.source}): {instead}"),)


def _agreed_transfer(endpoint: Endpoint, prefill: ResolvedEngine, decode: ResolvedEngine,
                     collector: Collector) -> Transfer | None:
    """Both roles must move the KV cache over the same backend."""
    assert prefill.runtime is not None and decode.runtime is not None
    first, _ = choose_transfer(endpoint, prefill.runtime, prefill.pool)
    second, _ = choose_transfer(endpoint, decode.runtime, decode.pool)
    if first is None or second is None:
        return None
    if first.backend != second.backend:
        origin = endpoint.origin
        collector.error(origin.file, origin.line_of(*PATH), ".".join(PATH),
                        f"the roles default to different KV transfer backends: prefill {first.backend} ({first.why}), "
                        f"decode {second.backend} ({second.why}); set spec.disaggregation.transfer to one both ship")
        return None
    return first


def network_problems(endpoint: Endpoint, prefill: ResolvedEngine, decode: ResolvedEngine) -> list[Diagnostic]:
    """The KV cache crosses nodes whenever the two roles cannot share one: the pools must give the pods their fast
    interconnect (an RDMA resource or devices); without it the transfer backends fail to register memory or fall
    back to TCP (README.amd.md of llm-d's P/D guide and the InferenceX launch lines both run it over RDMA NICs)."""
    origin = endpoint.origin
    problems = []
    shared = prefill.pool.name == decode.pool.name and prefill.group is None and decode.group is None and (
        prefill.gpu_count + decode.gpu_count <= prefill.pool.gpus_per_node)
    pools = {engine.pool.name: engine for engine in (decode, prefill)}  # one problem per pool
    for name, engine in sorted(pools.items()):
        network = engine.pool.network
        if network is not None and (network.rdma_resource or network.rdma_devices):
            continue
        pool_line = f"{engine.pool.origin.file}:{engine.pool.origin.line}"
        what = ("the two roles may still land on different nodes" if shared
                else "prefill and decode cannot share one node, so the KV cache crosses nodes")
        problems.append(Diagnostic(
            origin.file, origin.line_of(*PATH), ".".join(PATH),
            f"node pool '{name}' ({pool_line}) declares no RDMA (network.rdmaResource or network.rdmaDevices) "
            f"and {what}: declare the pool's fast interconnect", "warning" if shared else "error"))
    return problems


def router_problems(endpoint: Endpoint, engine: str, args: tuple[str, ...]) -> list[Diagnostic]:
    """The front door's arguments against its release's own parser (catalog/routers.yaml): aimc writes them, so a
    refusal is aimc's bug, reported at the endpoint's spec.disaggregation rather than left to a crash-looping pod."""
    if routers.router(engine) is None:
        return []
    flags = routers.router_flags(engine)
    refused = routers.problems(flags, args)
    if not refused:
        return []
    origin = endpoint.origin
    return [Diagnostic(origin.file, origin.line_of(*PATH), ".".join(PATH),
                       f"the router's arguments do not parse with {flags.label}: {'; '.join(refused)} (a bug of "
                       "aimc: please report it)")]
