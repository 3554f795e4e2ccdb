"""Inference-extension mode: per engine an InferencePool selecting its pods on the serving port, and the endpoint
picker (EPP) that pool names: ConfigMap, ServiceAccount, Role, RoleBinding, Service, Deployment, PodDisruptionBudget.

Shaped after the Inference Extension's own manifests (v1.0.2 `inferencepool-resources.yaml`, v1.5.0 `epplib`
chart): one active replica with the `Recreate` strategy, because the prefix-cache scorer keeps its state in memory
and two pickers would each see half of it. The pool fails open: while the picker is away (a drain, a rollout) the
gateway still forwards to the pool's pods, without the picker's choice.
"""

from __future__ import annotations

import yaml

from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.model.routing import Gateway
from aimc.render import labels as L
from aimc.render import routes_pods as P
from aimc.resolve.traffic import PICKER_SUFFIX

API_VERSION = "inference.networking.k8s.io/v1"  # the InferencePool CRD of Inference Extension v1.0 to v1.6
EXT_PROC_PORT = 9002
HEALTH_PORT = 9003
METRICS_PORT = 9090
CONFIG_FILE = "default-plugins.yaml"
LORA_SCORER = "lora-affinity-scorer"
COMPONENT = "endpoint-picker"
# Sized like the upstream chart (v1.5.0 values.yaml, checked there at high request rates): no CPU limit, so
# scheduling bursts are never throttled; a memory limit, so a leak cannot starve the node.
RESOURCES = {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"memory": "16Gi"}}
# As long as the longest grace period of the pool's pods would be better; this is the upstream value.
TERMINATION_GRACE_SECONDS = 130


def pool_name(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> str:
    return L.engine_object_name(resolved, engine.engine)


def picker_name(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> str:
    return pool_name(resolved, engine) + PICKER_SUFFIX


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine, gateway: Gateway) -> list[dict]:
    name, namespace = picker_name(resolved, engine), resolved.namespace
    labels = P.labels(resolved.endpoint.labels, COMPONENT, resolved.endpoint.name, name)
    config = plugins_config(engine.engine, lora=bool(resolved.endpoint.adapters))
    rules = [P.read_rule("", "pods"), P.read_rule("inference.networking.k8s.io", "inferencepools"),
             # The alpha group too, as the upstream manifests grant it (objectives, rewrites, older pools).
             P.read_rule("inference.networking.x-k8s.io", "inferenceobjectives", "inferencemodelrewrites",
                         "inferencepools")]
    return [
        inference_pool(resolved, engine),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": P.metadata(name, namespace, labels),
         "data": {CONFIG_FILE: config}},
        *P.rbac(name, namespace, labels, rules),
        service(name, namespace, labels),
        deployment(resolved, engine, gateway, labels, config),
        P.disruption_budget(name, namespace, labels, P.selector(COMPONENT, name)),
    ]


def inference_pool(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": "InferencePool",
        "metadata": L.metadata(pool_name(resolved, engine), resolved, engine, component="inference-pool"),
        "spec": {
            "selector": {"matchLabels": L.selector(resolved, engine.engine)},
            "targetPorts": [{"number": engine.port}],
            "endpointPickerRef": {"name": picker_name(resolved, engine), "port": {"number": EXT_PROC_PORT},
                                  "failureMode": "FailOpen"},
        },
    }


def plugins_config(engine: str, lora: bool = False) -> str:
    """The upstream chart's default scheduling (queue, KV-cache and prefix-cache scorers), reading the engine's own
    metric names. `lora` (the endpoint serves adapters) on vLLM adds the LoRA-affinity scorer, which prefers pods
    that have the requested adapter loaded (pkg/epp/scheduling/framework/plugins/scorer/lora_affinity.go) from vLLM's
    `vllm:lora_requests_info` metric, at weight 1 beside prefix 3, queue 2 and KV cache 2 as in the picker's own full
    default profile; SGLang publishes no such metric, so its pickers score without it."""
    extractor: dict = {"type": "core-metrics-extractor"}
    scorers: list[dict] = [{"type": "queue-scorer"}, {"type": "kv-cache-utilization-scorer"},
                           {"type": "prefix-cache-scorer"}]
    profile: list[dict] = [{"pluginRef": "queue-scorer", "weight": 2},
                           {"pluginRef": "kv-cache-utilization-scorer", "weight": 2},
                           {"pluginRef": "prefix-cache-scorer", "weight": 3}]
    if lora and engine == "vllm":
        scorers.append({"type": LORA_SCORER})
        profile.append({"pluginRef": LORA_SCORER, "weight": 1})
    if engine != "vllm":
        extractor["parameters"] = {"defaultEngine": engine}
    config = {
        "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
        "kind": "EndpointPickerConfig",
        "plugins": [
            *scorers,
            {"type": "metrics-data-source",
             "parameters": {"scheme": "http", "path": "/metrics", "insecureSkipVerify": True}},
            extractor,
        ],
        "schedulingProfiles": [{"name": "default", "plugins": profile}],
    }
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def service(name: str, namespace: str | None, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": P.metadata(name, namespace, labels),
        "spec": {
            "type": "ClusterIP",
            "selector": P.selector(COMPONENT, name),
            "ports": [
                # The gateway speaks gRPC (ext_proc, HTTP/2) to the picker, over TLS: the v1.5.0 picker serves a
                # self-signed certificate by default (--secure-serving, pkg/epp/server/options.go); Istio needs the
                # DestinationRule of render/routes_provider.py to originate it.
                {"name": "grpc-ext-proc", "port": EXT_PROC_PORT, "targetPort": "grpc", "protocol": "TCP",
                 "appProtocol": "http2"},
                {"name": "http-metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }


def args(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[str]:
    out = ["--pool-name", pool_name(resolved, engine)]
    if resolved.namespace:
        out += ["--pool-namespace", resolved.namespace]
    out += ["--pool-group", "inference.networking.k8s.io"]
    if engine.engine == "sglang":  # the upstream chart's metric names for SGLang servers
        out += ["--total-queued-requests-metric=sglang:num_queue_reqs",
                "--total-running-requests-metric=sglang:num_running_reqs",
                "--kv-cache-usage-percentage-metric=sglang:token_usage",
                "--cache-info-metric=sglang:cache_config_info"]
    return out + ["--zap-encoder", "json", "--config-file", f"/config/{CONFIG_FILE}", "--v", "1", "--tracing=false"]


def deployment(resolved: ResolvedEndpoint, engine: ResolvedEngine, gateway: Gateway, labels: dict,
               config: str) -> dict:
    name, namespace = picker_name(resolved, engine), resolved.namespace
    health = {"grpc": {"port": HEALTH_PORT, "service": "inference-extension"}}
    tmp_volume, tmp_mount = P.tmp_volume()
    container = {
        "name": "epp",
        "image": gateway.endpoint_picker_image,
        "args": args(resolved, engine),
        "env": [P.field_env("NAMESPACE", "metadata.namespace"), P.field_env("POD_NAME", "metadata.name")],
        "ports": [{"name": "grpc", "containerPort": EXT_PROC_PORT, "protocol": "TCP"},
                  {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {k: dict(v) for k, v in RESOURCES.items()},
        "livenessProbe": {**health, "initialDelaySeconds": 5, "periodSeconds": 10},
        "readinessProbe": {**health, "periodSeconds": 2},
        "securityContext": P.container_security(),
        "volumeMounts": [{"name": "config", "mountPath": "/config", "readOnly": True}, tmp_mount],
    }
    checksum = L.checksum({"config": config, "image": container["image"], "args": container["args"]})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": P.metadata(name, namespace, labels),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": P.selector(COMPONENT, name)},
            "template": {
                # The picker reads its configuration at start: a change must roll the pod.
                "metadata": {"labels": L.own_labels(labels, resolved.endpoint.labels),
                             "annotations": {f"{L.GROUP}/config-checksum": checksum}},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": True,  # it watches its pool and the pool's pods
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                    "securityContext": P.pod_security(),
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": name}}, tmp_volume],
                },
            },
        },
    }
