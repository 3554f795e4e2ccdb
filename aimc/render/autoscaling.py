"""Autoscalers: one per engine Deployment (or LeaderWorkerSet, whose replicas are groups) when
`spec.autoScaling.enabled`.

- `provider: hpa` (default): an `autoscaling/v2` HorizontalPodAutoscaler on a Pods metric with an AverageValue target,
  read through a custom-metrics adapter (prometheus-adapter exposes `vllm:num_requests_waiting` as
  `vllm_num_requests_waiting`: the colon is not allowed in a custom metric name).
- `provider: keda`: a KEDA `ScaledObject` with a Prometheus trigger that queries the engine's own metric name; the
  Prometheus address comes from the inventory's `spec.monitoring.prometheusServerAddress`.

Default metric: the engine's queued requests, target 5 per replica (vLLM production-stack's threshold). Scale-down
waits 600 s after load drops, because a replica removed too early costs a model load (minutes) to bring back.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import labels as L

DEFAULT_TARGET = 5
DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 600
SCALE_UP_STABILIZATION_SECONDS = 0  # react at once: the queue only grows while a new replica loads its model
KEDA_POLLING_SECONDS = 30

# Equivalent metrics of the two engines (../shared/reference/engines.md), so one endpoint-level metric works for
# every engine of a multi-engine endpoint. The first row is the default.
METRIC_EQUIVALENTS = (
    {"vllm": "vllm:num_requests_waiting", "sglang": "sglang:num_queue_reqs"},
    {"vllm": "vllm:num_requests_running", "sglang": "sglang:num_running_reqs"},
    {"vllm": "vllm:kv_cache_usage_perc", "sglang": "sglang:token_usage"},
    {"vllm": "vllm:inter_token_latency_seconds", "sglang": "sglang:inter_token_latency_seconds"},
)
# Names the engines deprecated -> the name to use: vLLM 0.11 deprecates its per-output-token latency (hidden in 0.12,
# removed in 0.13); a scaler on a name that disappears silently stops scaling.
DEPRECATED_METRICS = {"vllm:time_per_output_token_seconds": "vllm:inter_token_latency_seconds"}


def metric_name(resolved: ResolvedEndpoint, engine: str) -> str:
    """The Prometheus metric this engine scales on (with its colon)."""
    asked = resolved.endpoint.autoscaling.metric_name
    if asked is None:
        return METRIC_EQUIVALENTS[0][engine]
    asked = DEPRECATED_METRICS.get(asked, asked)
    for row in METRIC_EQUIVALENTS:
        if asked in row.values():
            return row[engine]
    return asked


def adapter_metric_name(name: str) -> str:
    return name.replace(":", "_")


def target_text(resolved: ResolvedEndpoint) -> str:
    target = resolved.endpoint.autoscaling.metric_target
    target = DEFAULT_TARGET if target is None else target
    return str(int(target)) if float(target).is_integer() else str(target)


def stabilization(resolved: ResolvedEndpoint) -> int:
    seconds = resolved.endpoint.autoscaling.scale_down_stabilization_seconds
    return DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS if seconds is None else seconds


def behavior(resolved: ResolvedEndpoint) -> dict:
    # One pod at a time in each direction: each new replica claims a whole set of GPUs.
    return {
        "scaleUp": {"stabilizationWindowSeconds": SCALE_UP_STABILIZATION_SECONDS,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
        "scaleDown": {"stabilizationWindowSeconds": stabilization(resolved),
                      "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]},
    }


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> list[dict]:
    scaling = resolved.endpoint.autoscaling
    if not scaling.enabled:
        return []
    if scaling.provider == "keda":
        return [_scaled_object(resolved, engine, inventory)]
    return [_hpa(resolved, engine)]


def _target_ref(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    name = L.engine_object_name(resolved, engine.engine)
    if engine.group is not None:  # the LeaderWorkerSet's scale subresource counts groups
        return {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "name": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def _hpa(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    scaling = resolved.endpoint.autoscaling
    metric = adapter_metric_name(metric_name(resolved, engine.engine))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": L.metadata(L.engine_object_name(resolved, engine.engine), resolved, engine),
        "spec": {
            "scaleTargetRef": _target_ref(resolved, engine),
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [{"type": "Pods", "pods": {
                "metric": {"name": metric},
                "target": {"type": "AverageValue", "averageValue": target_text(resolved)},
            }}],
            "behavior": behavior(resolved),
        },
    }


def prometheus_query(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> str:
    """Total of the metric over the Deployment's pods (KEDA divides by the threshold to get replicas)."""
    deployment = L.engine_object_name(resolved, engine.engine)
    # A Deployment's pods are <name>-<hash>-<id>; a LeaderWorkerSet's leaders <name>-<group> (workers serve no metrics).
    pods = f"{deployment}-[0-9]+" if engine.group is not None else f"{deployment}-[a-z0-9]+-[a-z0-9]+"
    matchers = [f'pod=~"{pods}"']
    if resolved.namespace:
        matchers.insert(0, f'namespace="{resolved.namespace}"')
    return f"sum({metric_name(resolved, engine.engine)}{{{','.join(matchers)}}})"


def _scaled_object(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> dict:
    scaling = resolved.endpoint.autoscaling
    address = prometheus_address(inventory)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": L.metadata(L.engine_object_name(resolved, engine.engine), resolved, engine),
        "spec": {
            "scaleTargetRef": _target_ref(resolved, engine),
            "minReplicaCount": scaling.min_replicas,
            "maxReplicaCount": scaling.max_replicas,
            "pollingInterval": KEDA_POLLING_SECONDS,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": behavior(resolved)}},
            "triggers": [{
                "type": "prometheus",
                "metricType": "AverageValue",
                "metadata": {
                    "serverAddress": address,
                    "query": prometheus_query(resolved, engine),
                    "threshold": target_text(resolved),
                },
            }],
        },
    }


def prometheus_address(inventory: Inventory | None) -> str | None:
    if inventory is None:
        return None
    return inventory.monitoring.prometheus_server_address


ADAPTER_RULES = "examples/prometheus-adapter/values.yaml"


def check(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[Diagnostic]:
    return _deprecated_metric(resolved) + _keda_address(resolved, inventory)


def _deprecated_metric(resolved: ResolvedEndpoint) -> list[Diagnostic]:
    scaling = resolved.endpoint.autoscaling
    if not scaling.enabled or scaling.metric_name not in DEPRECATED_METRICS:
        return []
    origin, path = resolved.endpoint.origin, (*scaling.path, "metric", "name")  # a role's, or the endpoint's
    return [Diagnostic(origin.file, origin.line_of(*path), ".".join(path),
                       f"{scaling.metric_name} is deprecated (vLLM 0.11; removed in 0.13): scaling on "
                       f"{DEPRECATED_METRICS[scaling.metric_name]} instead (write that name to silence this warning)",
                       "warning")]


def _keda_address(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[Diagnostic]:
    scaling = resolved.endpoint.autoscaling
    if scaling.enabled and scaling.provider == "hpa":
        return _adapter_check(resolved, inventory)
    if not (scaling.enabled and scaling.provider == "keda") or prometheus_address(inventory):
        return []
    origin, path = resolved.endpoint.origin, (*scaling.path, "provider")
    where = f" ({inventory.origin.file})" if inventory is not None else ""
    return [Diagnostic(origin.file, origin.line_of(*path), ".".join(path),
                       "keda needs a Prometheus server to query: set spec.monitoring.prometheusServerAddress in the "
                       f"ClusterInventory{where}, e.g. http://prometheus-operated.monitoring.svc:9090, or use "
                       "provider: hpa")]


def _adapter_check(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[Diagnostic]:
    """An HPA on a custom metric never scales unless an adapter serves that metric: the inventory must say one does."""
    if inventory is None or inventory.monitoring.prometheus_adapter:
        return []
    origin, path = resolved.endpoint.origin, resolved.endpoint.autoscaling.path
    names = sorted({adapter_metric_name(metric_name(resolved, e.engine)) for e in resolved.engines})
    return [Diagnostic(origin.file, origin.line_of(*path), ".".join(path),
                       f"the HorizontalPodAutoscaler reads the custom metric {', '.join(names)} through a metrics "
                       f"adapter that the ClusterInventory ({inventory.origin.file}) does not declare, so it can never "
                       f"scale: install prometheus-adapter with the rules of {ADAPTER_RULES} and set "
                       "spec.monitoring.prometheusAdapter: true, or use provider: keda with "
                       "spec.monitoring.prometheusServerAddress", "warning")]
