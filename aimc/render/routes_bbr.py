"""The body-based router (BBR), once per gateway in the gateway's namespace: it reads each request's JSON body and
copies `model` into the `X-Gateway-Model-Name` header that every model's HTTPRoute matches.

Shaped after the Inference Extension v1.5.0 `body-based-routing` chart (single-namespace mode). How the gateway
calls it (an ext_proc filter) is specific to each gateway implementation: for `spec.gateway.provider` istio and gke
it is rendered as the chart renders it (render/routes_provider.py); for the others it is the gateway's configuration
(see the README).
Stateless, so two replicas and a budget that keeps one serving through a drain: every request passes through it.
"""

from __future__ import annotations

from aimc.model.routing import Gateway
from aimc.render import routes_pods as P

HEADER = "X-Gateway-Model-Name"
PORT = 9004
HEALTH_PORT = 9005
COMPONENT = "body-based-router"
REPLICAS = 2
RESOURCES = {"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}
# The chart's default plugins, written out so the header name is visible in the rendered manifest.
PLUGINS = (f'body-field-to-header:model-extractor:{{"fieldName":"model","headerName":"{HEADER}"}}',
           "base-model-to-header:base-model-mapper")


def name_of(gateway: Gateway) -> str:
    return f"{gateway.name}-bbr"


def render(gateway: Gateway) -> list[dict]:
    name, namespace = name_of(gateway), gateway.namespace
    labels = P.labels((), COMPONENT, gateway.name, name)
    # It reads the ConfigMaps that map LoRA adapters to their base model (label
    # inference.networking.k8s.io/bbr-managed), in its own namespace only.
    rules = [P.read_rule("", "configmaps")]
    return [
        *P.rbac(name, namespace, labels, rules),
        {"apiVersion": "v1", "kind": "Service", "metadata": P.metadata(name, namespace, labels),
         "spec": {"type": "ClusterIP", "selector": P.selector(COMPONENT, name),
                  "ports": [{"name": "grpc-ext-proc", "port": PORT, "targetPort": "grpc", "protocol": "TCP",
                             "appProtocol": "http2"}]}},
        deployment(gateway, labels),
        P.disruption_budget(name, namespace, labels, P.selector(COMPONENT, name)),
    ]


def args() -> list[str]:
    out = ["--streaming", "--v", "3"]
    for plugin in PLUGINS:
        out += ["--plugin", plugin]
    return out + ["--tracing=false"]


def deployment(gateway: Gateway, labels: dict) -> dict:
    name = name_of(gateway)
    health = {"grpc": {"port": HEALTH_PORT}}
    tmp_volume, tmp_mount = P.tmp_volume()
    container = {
        "name": "bbr",
        "image": gateway.body_based_router_image,
        "args": args(),
        "env": [P.field_env("NAMESPACE", "metadata.namespace")],
        "ports": [{"name": "grpc", "containerPort": PORT, "protocol": "TCP"},
                  {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
        "resources": {k: dict(v) for k, v in RESOURCES.items()},
        "livenessProbe": {**health, "initialDelaySeconds": 5, "periodSeconds": 10},
        "readinessProbe": {**health, "periodSeconds": 2},
        "securityContext": P.container_security(),
        "volumeMounts": [tmp_mount],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": P.metadata(name, gateway.namespace, labels),
        "spec": {
            "replicas": REPLICAS,
            # Never fewer than REPLICAS serving during a rollout.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "selector": {"matchLabels": P.selector(COMPONENT, name)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": True,  # it watches ConfigMaps
                    "enableServiceLinks": False,
                    "securityContext": P.pod_security(),
                    "containers": [container],
                    "volumes": [tmp_volume],
                },
            },
        },
    }
