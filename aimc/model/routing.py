"""Frozen records (aimc/records.py) of model-aware routing as the inputs give it: the inventory's gateway and an
endpoint's traffic weights (the routes resolved from them are records of the plan, model/plan.py)."""

from __future__ import annotations

from aimc.model.origin import Origin
from aimc.records import Record

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
    provider: str = "none"  # the gateway implementation, for what it needs beside the portable objects


class Traffic(Record):
    """An endpoint's share of its model's route (`spec.traffic.weight`) and of its engines
    (`servingEngines[].weight`, all set or none)."""

    weight: int | None = None
    engine_weights: tuple = ()  # ((engine, weight), ...) in servingEngines order; () = equal

    def engine_weight(self, engine: str) -> int:
        return dict(self.engine_weights).get(engine, 1)
