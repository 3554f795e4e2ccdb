"""The frozen record (aimc/records.py) of horizontal autoscaling, as an endpoint or a disaggregated role asks for it
(spec.autoScaling, spec.disaggregation.<role>.autoScaling)."""

from __future__ import annotations

from aimc.records import Record


class AutoScaling(Record):
    enabled: bool = False
    min_replicas: int = 1
    max_replicas: int = 1
    provider: str = "hpa"
    metric_name: str | None = None
    metric_target: float | None = None
    scale_down_stabilization_seconds: int | None = None
    # Where it was written, for messages: spec.autoScaling, or spec.disaggregation.<role>.autoScaling of a role (whose
    # view is an endpoint of its own, resolve/disaggregation.py, but whose settings live under the role).
    path: tuple[str, ...] = ("spec", "autoScaling")
