"""Frozen records (aimc/records.py) of the routes resolve/traffic.py and resolve/adapter_routes.py plan: one per served
model (or group of LoRA adapter names) and namespace, with the weighted backends that serve it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aimc.records import Record

if TYPE_CHECKING:
    from aimc.model.plan import ResolvedEndpoint, ResolvedEngine


class Backend(Record):
    """One engine of one endpoint behind a model's route, with its weight on that route."""

    endpoint: ResolvedEndpoint
    engine: ResolvedEngine
    weight: int


class ModelRoute(Record):
    """Everything one HTTPRoute holds: a served model name, its namespace and its weighted backends."""

    name: str  # the HTTPRoute's name, from the model name
    model: str  # the served model name: the value of the routing header
    namespace: str | None
    backends: tuple[Backend, ...]


class AdapterRoute(Record):
    """One HTTPRoute for LoRA adapter names served by the same weighted backends (resolve/adapter_routes.py): each
    rule matches at most 64 of the names (the HTTPRoute CRD's limit on a rule's matches), a route holds at most 16
    rules."""

    name: str
    namespace: str | None
    rules: tuple[tuple[str, ...], ...]  # the adapter names each rule matches
    backends: tuple[Backend, ...]

    @property
    def adapters(self) -> tuple[str, ...]:
        return tuple(name for rule in self.rules for name in rule)
