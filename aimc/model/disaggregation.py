"""Frozen records (aimc/records.py) of disaggregated serving as an endpoint declares it (`spec.disaggregation`).

Prefill and decode run as two workloads of one engine: each role is sized, placed and scaled like an endpoint of its
own (resolve/disaggregation.py), the KV cache moves from a prefill server to a decode server over the transfer
backend, and the engine's router sits in front of both (render/disaggregation.py).
"""

from __future__ import annotations

from typing import Any

from aimc.model.scaling import AutoScaling
from aimc.records import Record

PREFILL, DECODE = "prefill", "decode"
ROLES = (PREFILL, DECODE)
# The labels of a role's objects and pods beside the role's own endpoint labels (its pods are named and selected as
# the endpoint `<name>-<role>`, so the endpoint's Service and routes never select them): the router finds them by these.
DISAGGREGATED_LABEL = "aim.engine.amd.com/disaggregated-endpoint"
ROLE_LABEL = "aim.engine.amd.com/role"


class Role(Record):
    """One role: what it asks for; None where spec's value (gpuCount, recipe) applies."""

    name: str  # "prefill" or "decode"
    replicas: int = 1
    gpu_count: int | None = None
    recipe: str | None = None
    custom_args: tuple[tuple[str, Any], ...] = ()  # as written (model/inputs.py YamlPairs)
    autoscaling: AutoScaling | None = None  # None: no autoscaling, `replicas` runs

    @property
    def path(self) -> tuple[str, ...]:
        return ("spec", "disaggregation", self.name)


class RouterResources(Record):
    """The router container's CPU and memory (Kubernetes quantities as written), and where the figures come from."""

    requests: tuple[tuple[str, str], ...] = ()  # (resource, quantity): cpu, memory
    limits: tuple[tuple[str, str], ...] = ()
    source: str = ""  # for explain: spec.disaggregation.router.resources, or the catalog's source


class Disaggregation(Record):
    prefill: Role
    decode: Role
    transfer: str | None = None  # None: the image's default (runtime catalog)
    bootstrap_port: int | None = None  # None: the engine's own default
    router_resources: RouterResources | None = None  # None: the router's default (catalog/routers.yaml)

    @property
    def roles(self) -> tuple[Role, Role]:
        return self.prefill, self.decode


class Transfer(Record):
    """How the KV cache moves from prefill to decode (resolve/disaggregation.py decides)."""

    backend: str  # e.g. mori, mooncake, nixl
    why: str  # where the choice came from, for explain: "spec.disaggregation.transfer", "default of image ..."
    bootstrap_port: int | None = None  # None: the engine's own default
    devices: tuple[str, ...] = ()  # the pool's RDMA devices (spec.nodePools[].network.rdmaDevices)


class FrontDoor(Record):
    """The workload in front of the roles that clients reach (the SGLang router in P/D mode): the endpoint's Service,
    InferencePool and HTTPRoute select its pods, never a prefill pod."""

    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    port: int  # its serving port: the engine's, so routes keep the engine's port
    replicas: int = 1
    why: str = ""  # what it is, for explain
    watches_pods: bool = True  # it finds the roles' pods through the Kubernetes API (a Role to read pods)
    # Further ports the endpoint's Service exposes on the front door, (name, port): e.g. where workers register
    extra_ports: tuple[tuple[str, int], ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # further environment of its container
    metrics_port: int | None = None  # where it serves Prometheus metrics (its own listener), None: none
    resources: RouterResources | None = None  # its container's requests and limits


class ResolvedDisaggregation(Record):
    transfer: Transfer
    front_door: FrontDoor | None  # None: the engine's own pairing needs no separate workload
    notes: tuple[str, ...] = ()  # why each role is what it is, for explain
    objective: tuple[str, ...] = ()  # the layout against spec.objective, beside aggregated serving (explain)
