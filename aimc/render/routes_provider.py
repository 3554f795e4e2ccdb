"""What the gateway implementation (`spec.gateway.provider`) needs beside the portable objects, as the Inference
Extension v1.5.0 charts render it (config/charts/inferencepool/templates/{istio,gke}.yaml, config/charts/
body-based-routing/templates/{istio,gke}.yaml; vendored CRD schemas in tests/fixtures/, see its PROVENANCE.md).

Why: the v1.5.0 endpoint picker and body-based router serve gRPC over TLS with a self-signed certificate by default
(`--secure-serving` defaults to true, pkg/epp/server/options.go and pkg/bbr/server/options.go). Istio's gateway does
not originate TLS to a backend by itself, so the chart adds a DestinationRule (`tls.mode: SIMPLE`,
`insecureSkipVerify: true`) per picker, and for the router an EnvoyFilter that inserts it as an ext_proc filter. GKE
health-checks and times out backends through its own policies: a HealthCheckPolicy per InferencePool (the engines'
`/health`, every 2 s) and a GCPBackendPolicy (300 s instead of the 30 s default of a backend service,
networking.gke.io_gcpbackendpolicies.yaml), and the router is hooked in by a GCPRoutingExtension. kgateway,
agentgateway and NGINX Gateway Fabric talk TLS to the picker themselves (the v1.5.0 guide installs the chart with
`provider.name=none` for them, site-src/_includes/epp.md): nothing extra is rendered for them, as for `none`.
"""

from __future__ import annotations

from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.model.routing import Gateway
from aimc.render import labels as L
from aimc.render import routes_bbr, routes_pool
from aimc.render import routes_pods as P

PROVIDERS = ("istio", "gke", "kgateway", "agentgateway", "nginx", "none")
# networking.istio.io/v1 (served since Istio 1.22, the storage version of the CRD): the chart writes v1beta1 for the
# picker's rule and v1 for the router's; the schema of both versions is the same.
ISTIO_API = "networking.istio.io/v1"
ISTIO_ENVOY_FILTER_API = "networking.istio.io/v1alpha3"  # EnvoyFilter's only version
GKE_API = "networking.gke.io/v1"
# The chart's GKE values: a fast health check so that a picker rollout switches over quickly, and a backend timeout
# as long as a route's request timeout (a long generation).
GKE_HEALTH_CHECK = {"timeoutSec": 2, "checkIntervalSec": 2}
GKE_BACKEND_TIMEOUT_SECONDS = 300
HEALTH_PATH = "/health"  # vLLM's and SGLang's health endpoint, on the serving port


def route_timeouts(gateway: Gateway) -> bool:
    """Whether an HTTPRoute carries `timeouts.request`: not on GKE, where the GCPBackendPolicy's timeoutSec is the
    timeout (the chart: "requestTimeout ... Unused when provider.name is gke", inferencepool values.yaml)."""
    return gateway.provider != "gke"


def tls_origination(name: str, namespace: str | None, object_labels: dict) -> dict:
    """An Istio DestinationRule that makes the gateway speak TLS to a self-signed picker or router."""
    return {
        "apiVersion": ISTIO_API,
        "kind": "DestinationRule",
        "metadata": P.metadata(name, namespace, object_labels),
        "spec": {"host": f"{name}.{namespace}.svc.cluster.local",
                 "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}},
    }


def pool_objects(resolved: ResolvedEndpoint, engine: ResolvedEngine, gateway: Gateway) -> list[dict]:
    """Per InferencePool and its picker (inferencepool chart, templates/istio.yaml and templates/gke.yaml)."""
    if gateway.provider == "istio":
        picker = routes_pool.picker_name(resolved, engine)
        object_labels = P.labels(resolved.endpoint.labels, routes_pool.COMPONENT, resolved.endpoint.name, picker)
        return [tls_origination(picker, resolved.namespace, object_labels)]
    if gateway.provider == "gke":
        name = routes_pool.pool_name(resolved, engine)
        target = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": name}
        # portSpecification USE_FIXED_PORT with the port: the chart sets the port alone, which the GKE CRD's CEL rule
        # refuses ("port and portName must be unset for portSpecification being USE_SERVING_PORT (which is the
        # default)", networking.gke.io_healthcheckpolicies.yaml).
        health = {**GKE_HEALTH_CHECK, "config": {"type": "HTTP", "httpHealthCheck": {
            "portSpecification": "USE_FIXED_PORT", "requestPath": HEALTH_PATH, "port": engine.port}}}
        return [
            {"apiVersion": GKE_API, "kind": "HealthCheckPolicy",
             "metadata": L.metadata(name, resolved, engine, component="health-check-policy"),
             "spec": {"targetRef": target, "default": health}},
            backend_policy(L.metadata(name, resolved, engine, component="backend-policy"), target),
        ]
    return []


def service_objects(resolved: ResolvedEndpoint, engine: ResolvedEngine, service: str, gateway: Gateway) -> list[dict]:
    """Per Service a route points at (no inference extension): on GKE, the backend timeout the route cannot carry."""
    if gateway.provider != "gke":
        return []
    target = {"group": "", "kind": "Service", "name": service}
    return [backend_policy(L.metadata(service, resolved, engine, component="backend-policy"), target)]


def backend_policy(metadata: dict, target: dict) -> dict:
    return {"apiVersion": GKE_API, "kind": "GCPBackendPolicy", "metadata": metadata,
            "spec": {"targetRef": target,
                     "default": {"timeoutSec": GKE_BACKEND_TIMEOUT_SECONDS, "logging": {"enabled": True}}}}


def router_objects(gateway: Gateway) -> list[dict]:
    """How the gateway calls the body-based router (body-based-routing chart, templates/istio.yaml, gke.yaml)."""
    name, namespace = routes_bbr.name_of(gateway), gateway.namespace
    object_labels = P.labels((), routes_bbr.COMPONENT, gateway.name, name)
    gateway_ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name}
    if gateway.provider == "istio":
        return [_envoy_filter(name, namespace, object_labels, gateway_ref),
                tls_origination(name, namespace, object_labels)]
    if gateway.provider == "gke":
        return [
            {"apiVersion": GKE_API, "kind": "GCPRoutingExtension",
             "metadata": P.metadata(name, namespace, object_labels),
             "spec": {"targetRefs": [gateway_ref], "extensionChains": [{
                 "name": "chain1", "extensions": [{
                     "name": "ext1",
                     "authority": f"{name}.{namespace}.svc.cluster.local",  # the chart's is a placeholder, myext.com
                     "timeout": "1s",
                     "supportedEvents": ["RequestHeaders", "RequestBody", "RequestTrailers"],
                     "requestBodySendMode": "FullDuplexStreamed",
                     "backendRef": {"group": "", "kind": "Service", "name": name, "port": routes_bbr.PORT}}]}]}},
            {"apiVersion": GKE_API, "kind": "HealthCheckPolicy", "metadata": P.metadata(name, namespace, object_labels),
             "spec": {"targetRef": {"group": "", "kind": "Service", "name": name, "namespace": namespace},
                      "default": {"logConfig": {"enabled": True}, "config": {"type": "GRPC", "grpcHealthCheck": {
                          "portSpecification": "USE_FIXED_PORT", "port": routes_bbr.HEALTH_PORT}}}}},
        ]
    return []


def _envoy_filter(name: str, namespace: str, object_labels: dict, gateway_ref: dict) -> dict:
    """The router as the first HTTP filter of the gateway's listeners (the chart's default INSERT_FIRST), seeing
    the whole body in full-duplex streaming; a failing router fails the request (failure_mode_allow: false)."""
    return {
        "apiVersion": ISTIO_ENVOY_FILTER_API,
        "kind": "EnvoyFilter",
        "metadata": P.metadata(name, namespace, object_labels),
        "spec": {
            "targetRefs": [gateway_ref],
            "configPatches": [{
                "applyTo": "HTTP_FILTER",
                "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
                    "name": "envoy.filters.network.http_connection_manager"}}}},
                "patch": {"operation": "INSERT_FIRST", "value": {
                    "name": "envoy.filters.http.ext_proc.bbr",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
                        "failure_mode_allow": False,
                        "allow_mode_override": True,
                        "processing_mode": {
                            "request_header_mode": "SEND", "response_header_mode": "SEND",
                            "request_body_mode": "FULL_DUPLEX_STREAMED", "response_body_mode": "FULL_DUPLEX_STREAMED",
                            "request_trailer_mode": "SEND", "response_trailer_mode": "SEND"},
                        "grpc_service": {"envoy_grpc": {
                            "cluster_name": f"outbound|{routes_bbr.PORT}||{name}.{namespace}.svc.cluster.local"}},
                    }}},
            }],
        },
    }
