"""Frozen records (aimc/records.py) of model-aware routing: the inventory's gateway, an endpoint's traffic weights, and the
routes resolved from them (one per served model and namespace)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aimc.records import Record

if TYPE_CHECKING:  # inputs imports this module: only the type, never at run time
    from aimc.model.inputs import Origin
    from aimc.model.plan import ResolvedEndpoint, ResolvedEngine

# An endpoint that sets no spec.traffic.weight gets this one; it matters only when it is alone on its model's route
# (several endpoints of one model must all set a weight).
DEFAULT_WEIGHT = 100


class Gateway(Record):
    """An existing Gateway (aimc never renders it) that routes to every endpoint of the build by model name."""

    name: str
    namespace: str
    inference_extension: bool  # true: an InferencePool + endpoint picker per engine; false: routes to Services
    body_based_routing: bool  # true: render the body-based router that copies `model` into the routing header
    endpoint_picker_image: str
    body_based_router_image: str
    origin: Origin


class Traffic(Record):
    """An endpoint's share of its model's route (`spec.traffic.weight`) and of its engines
    (`servingEngines[].weight`, all set or none)."""

    weight: int | None = None
    engine_weights: tuple = ()  # ((engine, weight), ...) in servingEngines order; () = equal

    def engine_weight(self, engine: str) -> int:
        return dict(self.engine_weights).get(engine, 1)


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
