"""spec.autoScaling (or a disaggregated role's autoScaling), schema-checked already -> `AutoScaling`."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.model.inputs import AutoScaling
from aimc.model.origin import Origin


def autoscaling(raw: dict | None, replicas: int | None, origin: Origin, collector: Collector,
                where: tuple[str, ...] = ("spec",)) -> AutoScaling:
    """`replicas` is the autoscaler's minimum when `minReplicas` is absent (an HPA of min 1 / max 1 under
    `replicas: 2` would silently serve half the intended capacity); both given and different is ambiguous. `where`:
    the object holding `autoScaling` and `replicas` (spec, or a role of spec.disaggregation)."""
    path = (*where, "autoScaling")
    if not raw:
        return AutoScaling(path=path)
    at = ".".join(where)
    enabled = bool(raw.get("enabled", False))
    minimum = raw.get("minReplicas")
    if enabled and replicas is not None and minimum is not None and minimum != replicas:
        collector.error(origin.file, origin.line_of(*where, "autoScaling", "minReplicas"),
                        f"{at}.autoScaling.minReplicas",
                        f"minReplicas ({minimum}) differs from {at}.replicas ({replicas}); with autoscaling, "
                        f"{at}.replicas is the minimum: remove one of them or make them equal")
    if minimum is None:
        minimum = replicas if enabled and replicas is not None else 1
    maximum = raw.get("maxReplicas", minimum)
    if minimum > maximum and "minReplicas" in raw:
        collector.error(origin.file, origin.line_of(*where, "autoScaling", "minReplicas"), f"{at}.autoScaling",
                        f"minReplicas ({minimum}) is greater than maxReplicas ({maximum}); minReplicas must be "
                        "≤ maxReplicas")
    elif minimum > maximum:
        collector.error(origin.file, origin.line_of(*where, "autoScaling", "maxReplicas"),
                        f"{at}.autoScaling.maxReplicas",
                        f"maxReplicas ({maximum}) is below the minimum ({at}.replicas: {minimum}); maxReplicas must "
                        f"be ≥ {minimum}")
    metric = raw.get("metric") or {}
    target = metric.get("target")
    return AutoScaling(
        enabled=enabled,
        min_replicas=minimum,
        max_replicas=maximum,
        provider=raw.get("provider", "hpa"),
        metric_name=metric.get("name"),
        metric_target=float(target) if target is not None else None,
        scale_down_stabilization_seconds=raw.get("scaleDownStabilizationSeconds"),
        path=path,
    )
