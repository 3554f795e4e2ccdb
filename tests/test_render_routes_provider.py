"""spec.gateway.provider: what the gateway implementation needs beside the portable routing objects, as the
Gateway API Inference Extension v1.5.0 charts render it, validated against the providers' CRD schemas (vendored in
tests/fixtures/, PROVENANCE.md there)."""

from __future__ import annotations

import shutil

import crd_cel
import crd_fixtures
import pytest
import yaml
from conftest import REPO

PROVIDER_KINDS = {"DestinationRule", "EnvoyFilter", "HealthCheckPolicy", "GCPBackendPolicy", "GCPRoutingExtension"}


def _build(aimc, tmp_path, provider: str | None, inference_extension: bool = True) -> list[dict]:
    repo = shutil.copytree(REPO / "examples", tmp_path / f"examples-{provider}-{inference_extension}")
    inventory = (repo / "cluster.yaml").read_text()
    assert "    provider: none\n" in inventory  # the example states the default
    inventory = inventory.replace("    provider: none\n", f"    provider: {provider}\n" if provider else "")
    if not inference_extension:
        inventory = inventory.replace("    inferenceExtension: true\n", "")
    (repo / "cluster.yaml").write_text(inventory)
    run = aimc("build", "--strict", str(repo))
    assert run.code == 0, run.err
    return [d for d in yaml.safe_load_all(run.out) if d]


def _of(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_istio_gets_a_destination_rule_per_picker_and_the_router_hook(aimc, tmp_path):
    """The v1.5.0 picker (and router) serve TLS with a self-signed certificate by default: `--secure-serving`
    defaults to true (pkg/epp/server/options.go, pkg/bbr/server/options.go). The inferencepool chart's
    templates/istio.yaml therefore adds, per picker, a DestinationRule on
    `<name>.<namespace>.svc.cluster.local` with `tls: {mode: SIMPLE, insecureSkipVerify: true}`; the
    body-based-routing chart's templates/istio.yaml an EnvoyFilter (ext_proc, first HTTP filter of the Gateway) and
    the same DestinationRule for the router."""
    objects = _build(aimc, tmp_path, "istio")
    pickers = _of(objects, "Deployment")
    rules = _of(objects, "DestinationRule")
    picker_names = {n for n, d in pickers.items() if n.endswith("-epp")}
    assert picker_names and picker_names | {"inference-gateway-bbr"} == set(rules)
    rule = rules["qwen3-32b-vllm-epp"]
    assert rule["metadata"]["namespace"] == "inference"
    assert rule["spec"] == {"host": "qwen3-32b-vllm-epp.inference.svc.cluster.local",
                            "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}}
    assert rules["inference-gateway-bbr"]["spec"]["host"] == "inference-gateway-bbr.gateway-system.svc.cluster.local"
    (envoy_filter,) = _of(objects, "EnvoyFilter").values()
    assert envoy_filter["metadata"]["namespace"] == "gateway-system"
    assert envoy_filter["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                  "name": "inference-gateway"}]
    patch = envoy_filter["spec"]["configPatches"][0]["patch"]
    assert patch["operation"] == "INSERT_FIRST"
    assert patch["value"]["typed_config"]["grpc_service"]["envoy_grpc"]["cluster_name"] == \
        "outbound|9004||inference-gateway-bbr.gateway-system.svc.cluster.local"
    assert all("timeouts" in r["spec"]["rules"][0] for r in _of(objects, "HTTPRoute").values())
    assert not {o["kind"] for o in objects} & {"HealthCheckPolicy", "GCPBackendPolicy", "GCPRoutingExtension"}


def test_gke_gets_health_check_and_backend_policies_per_pool(aimc, tmp_path):
    """The inferencepool chart's templates/gke.yaml: per InferencePool a HealthCheckPolicy (HTTP /health on the
    target port, timeoutSec 2, checkIntervalSec 2) and a GCPBackendPolicy (timeoutSec 300, logging on); its HTTPRoute
    has no `timeouts` on GKE (values.yaml: requestTimeout "Unused when provider.name is gke"). The
    body-based-routing chart's templates/gke.yaml: a GCPRoutingExtension on the Gateway and a gRPC
    HealthCheckPolicy on the router's health port."""
    objects = _build(aimc, tmp_path, "gke")
    pools = _of(objects, "InferencePool")
    health, backend = _of(objects, "HealthCheckPolicy"), _of(objects, "GCPBackendPolicy")
    assert set(pools) == set(backend) == set(health) - {"inference-gateway-bbr"}
    sglang = health["qwen3-32b-multi-sglang"]
    assert sglang["spec"] == {
        "targetRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "qwen3-32b-multi-sglang"},
        "default": {"timeoutSec": 2, "checkIntervalSec": 2,
                    "config": {"type": "HTTP", "httpHealthCheck": {"portSpecification": "USE_FIXED_PORT",
                                                                   "requestPath": "/health", "port": 30000}}}}
    assert backend["qwen3-32b-vllm"]["spec"]["default"] == {"timeoutSec": 300, "logging": {"enabled": True}}
    assert all("timeouts" not in r["spec"]["rules"][0] for r in _of(objects, "HTTPRoute").values())
    (extension,) = _of(objects, "GCPRoutingExtension").values()
    assert extension["spec"]["extensionChains"][0]["extensions"][0]["backendRef"] == {
        "group": "", "kind": "Service", "name": "inference-gateway-bbr", "port": 9004}
    assert health["inference-gateway-bbr"]["spec"]["default"]["config"]["grpcHealthCheck"]["port"] == 9005
    assert "DestinationRule" not in {o["kind"] for o in objects}


def test_gke_routes_to_services_get_the_backend_timeout_the_route_cannot_carry(aimc, tmp_path):
    """Without the inference extension a route points at Services; on GKE a backend service times out after 30 s
    unless a GCPBackendPolicy says otherwise (networking.gke.io_gcpbackendpolicies.yaml: timeoutSec "If the field is
    omitted, a default value (30s) will be used")."""
    objects = _build(aimc, tmp_path, "gke", inference_extension=False)
    backend = _of(objects, "GCPBackendPolicy")
    services = {ref["name"] for route in _of(objects, "HTTPRoute").values() for ref in route["spec"]["rules"][0]["backendRefs"]}
    assert services and set(backend) == services
    assert all(p["spec"]["targetRef"]["kind"] == "Service" and p["spec"]["default"]["timeoutSec"] == 300
               for p in backend.values())
    assert not _of(objects, "HealthCheckPolicy").keys() - {"inference-gateway-bbr"}


@pytest.mark.parametrize("provider", [None, "none", "kgateway", "agentgateway", "nginx"])
def test_gateways_that_speak_tls_to_the_picker_themselves_get_nothing_more(aimc, tmp_path, provider):
    """The v1.5.0 guide installs the chart with provider.name=none for agentgateway and NGINX Gateway Fabric
    (site-src/_includes/epp.md); NGINX Gateway Fabric connects to the picker over TLS without verification by
    default (--endpoint-picker-tls-skip-verify, default true)."""
    objects = _build(aimc, tmp_path, provider)
    assert not {o["kind"] for o in objects} & PROVIDER_KINDS
    assert all(r["spec"]["rules"][0]["timeouts"] == {"request": "300s"} for r in _of(objects, "HTTPRoute").values())


@pytest.mark.parametrize("provider, inference_extension", [("istio", True), ("gke", True), ("gke", False)])
def test_provider_objects_validate_against_the_providers_crds(aimc, tmp_path, provider, inference_extension):
    objects = [o for o in _build(aimc, tmp_path, provider, inference_extension) if o["kind"] in PROVIDER_KINDS]
    assert objects
    evaluated = 0
    for obj in objects:
        crd_fixtures.validate(obj)
        outcome = crd_cel.evaluate(obj)  # the CRDs' CEL rules too, as the API server checks them
        assert outcome.failures == [], (obj["kind"], obj["metadata"]["name"], outcome.failures)
        evaluated += outcome.evaluated
    assert evaluated  # HealthCheckPolicy, GCPRoutingExtension and EnvoyFilter carry rules
    if provider == "istio":  # the schemas have teeth: a mode Istio does not know is refused
        import jsonschema

        rule = next(o for o in objects if o["kind"] == "DestinationRule")
        rule["spec"]["trafficPolicy"]["tls"]["mode"] = "SIMPLEX"
        with pytest.raises(jsonschema.ValidationError):
            crd_fixtures.validate(rule)


def test_the_charts_health_check_port_alone_is_refused_by_gkes_cel_rule():
    """The inferencepool chart (v1.5.0 templates/gke.yaml) writes `httpHealthCheck: {requestPath, port}`; the GKE
    CRD's CEL rule refuses a port unless portSpecification is USE_FIXED_PORT, so aimc states it."""
    chart_like = {"apiVersion": "networking.gke.io/v1", "kind": "HealthCheckPolicy", "metadata": {"name": "p"},
                  "spec": {"targetRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "p"},
                           "default": {"timeoutSec": 2, "checkIntervalSec": 2, "config": {
                               "type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": 8000}}}}}
    crd_fixtures.validate(chart_like)  # the OpenAPI schema alone accepts it
    assert any("port and portName must be unset" in f for f in crd_cel.evaluate(chart_like).failures)
    chart_like["spec"]["default"]["config"]["httpHealthCheck"]["portSpecification"] = "USE_FIXED_PORT"
    assert crd_cel.evaluate(chart_like).failures == []


def test_an_unknown_provider_is_an_error_listing_the_known_ones(aimc, tmp_path):
    repo = shutil.copytree(REPO / "examples", tmp_path / "examples")
    inventory = (repo / "cluster.yaml").read_text()
    (repo / "cluster.yaml").write_text(inventory.replace("    provider: none\n", "    provider: isito\n"))
    run = aimc("build", str(repo))
    assert run.code == 1
    assert "spec.gateway.provider: 'isito' is not valid (did you mean 'istio'?)" in run.err
