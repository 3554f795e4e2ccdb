"""Model-aware routing (README, Routing): spec.gateway, weights, canaries, InferencePools, endpoint pickers,
HTTPRoutes and the body-based router."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import crd_fixtures
import pytest
import yaml
from conftest import REPO, SHARED_FIXTURES, write_tree

CASES = REPO / "tests" / "cases"
ROUTING_CASES = ("routing-pool", "routing-service", "routing-weights")
GROUP = "aim.engine.amd.com"

CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: c}
spec:
  defaults: {namespace: models}
%s  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 4}
"""
POOL_GATEWAY = "  gateway: {name: gw, namespace: gateway-system, inferenceExtension: true, bodyBasedRouting: true}\n"
SERVICE_GATEWAY = "  gateway: {name: gw, namespace: gateway-system}\n"


def endpoint(name: str, model: str = "Qwen/Qwen3-32B", extra: str = "", engines: str = "") -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n"
            f"  model: {model}\n  gpuCount: 1\n{engines}{extra}---\n")


def build(aimc, root: Path, *args) -> list[dict]:
    result = aimc("build", str(root), *args)
    assert result.code == 0, result.err
    return [d for d in yaml.safe_load_all(result.out) if d]


def of_kind(objects, kind: str) -> dict:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def weights(route: dict) -> list[tuple[str, int]]:
    return [(ref["name"], ref["weight"]) for ref in route["spec"]["rules"][0]["backendRefs"]]


def golden(aimc, case: str) -> list[dict]:
    """A case's objects as rendered now (test_golden checks them against its expected.yaml)."""
    args = ["build", str(REPO / "examples")] if case == "example-all" else ["build", "inputs"]
    result = aimc(*args, cwd=CASES / case)
    assert result.code == 0, result.err
    return [d for d in yaml.safe_load_all(result.out) if d]


# -- without a gateway: as before -----------------------------------------------------------------------------

def test_without_a_gateway_the_output_is_the_same_minus_the_routing_objects(aimc, tmp_path):
    """The examples with their gateway render every object they rendered without it, byte for byte, plus routing."""
    shutil.copytree(REPO / "examples", tmp_path / "ex")
    with_gateway = aimc("build", str(tmp_path / "ex"))
    cluster = tmp_path / "ex" / "cluster.yaml"
    cluster.write_text(re.sub(r"\n  gateway:\n(    .*\n)+", "\n", cluster.read_text()))
    without = aimc("build", str(tmp_path / "ex"))
    assert with_gateway.code == without.code == 0
    assert "InferencePool" not in without.out and "HTTPRoute" not in without.out
    chunks = lambda text: text.split("---\n")
    routing = set(chunks(with_gateway.out)) - set(chunks(without.out))
    assert set(chunks(without.out)) <= set(chunks(with_gateway.out))
    assert {yaml.safe_load(c)["kind"] for c in routing} == {
        "InferencePool", "HTTPRoute", "Deployment", "Service", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
        "PodDisruptionBudget"}
    assert all("managed-by: aimc" in c and ("endpoint-picker" in c or "body-based-router" in c or "InferencePool"
                                            in c or "HTTPRoute" in c) for c in routing)


def test_weights_without_a_gateway_are_a_warning(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % "",
                          "e.yaml": endpoint("a", extra="  traffic: {weight: 90}\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0 and "HTTPRoute" not in result.out
    assert re.search(r"e\.yaml:\d+: warning: spec\.traffic\.weight: weights have no effect: the inventory declares "
                     r"no spec\.gateway", result.err)
    assert aimc("build", "--strict", str(tmp_path)).code == 1


# -- routes and weights ---------------------------------------------------------------------------------------

def test_one_route_per_model_matching_the_body_based_router_header(aimc):
    objects = golden(aimc, "routing-pool")
    routes = of_kind(objects, "HTTPRoute")
    assert set(routes) == {"qwen-qwen3-32b", "meta-llama-llama-3-1-8b-instruct"}
    for route in routes.values():
        assert route["metadata"]["namespace"] == "models"
        assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                "name": "inference-gateway", "namespace": "gateway-system"}]
        (rule,) = route["spec"]["rules"]
        (match,) = rule["matches"]
        assert match["headers"] == [{"type": "Exact", "name": "X-Gateway-Model-Name",
                                     "value": route["metadata"]["annotations"][f"{GROUP}/model"]}]
    # The served model name the header carries is the one the engines answer to (--served-model-name).
    deployment = of_kind(objects, "Deployment")["qwen3-32b-vllm"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--served-model-name") + 1] == "Qwen/Qwen3-32B"


def test_canary_and_engine_weights(aimc):
    pool_routes = of_kind(golden(aimc, "routing-pool"), "HTTPRoute")
    assert weights(pool_routes["qwen-qwen3-32b"]) == [("qwen3-32b-vllm", 90), ("qwen3-32b-canary-vllm", 10)]
    assert weights(pool_routes["meta-llama-llama-3-1-8b-instruct"]) == [("llama-vllm", 300), ("llama-sglang", 100)]
    service_routes = of_kind(golden(aimc, "routing-service"), "HTTPRoute")
    # Plain Services: the endpoint's for one engine, each engine's for several.
    assert weights(service_routes["qwen-qwen3-32b"]) == [("qwen3-32b", 90), ("qwen3-32b-canary", 10)]
    assert weights(service_routes["meta-llama-llama-3-1-8b-instruct"]) == [("llama-vllm", 300), ("llama-sglang", 100)]
    # 80 split 1:1 beside 20 and a standby: scaled to stay whole, proportions kept (40 %, 40 %, 0, 20 %).
    assert weights(of_kind(golden(aimc, "routing-weights"), "HTTPRoute")["qwen-qwen3-32b"]) == [
        ("qwen3-32b-vllm", 80), ("qwen3-32b-sglang", 80), ("qwen3-32b-blue", 0), ("qwen3-32b-green", 40)]


def test_engines_get_equal_shares_by_default(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % SERVICE_GATEWAY,
                          "e.yaml": endpoint("a", "meta-llama/Llama-3.1-8B-Instruct",
                                             engines="  servingEngines: [vllm, sglang]\n")})
    route = of_kind(build(aimc, tmp_path), "HTTPRoute")["meta-llama-llama-3-1-8b-instruct"]
    assert weights(route) == [("a-vllm", 100), ("a-sglang", 100)]


def test_a_weight_change_is_one_changed_field_in_aimc_diff(aimc, tmp_path):
    shutil.copytree(CASES / "routing-pool" / "inputs", tmp_path / "base")
    shutil.copytree(CASES / "routing-pool" / "inputs", tmp_path / "head")
    canary = tmp_path / "head" / "endpoints" / "qwen.yaml"
    canary.write_text(canary.read_text().replace("weight: 10\n", "weight: 25\n"))
    result = aimc("diff", "--format", "json", str(tmp_path / "base"), str(tmp_path / "head"))
    assert result.code == 0, result.err
    report = json.loads(result.out)
    changed = report["objects"]
    assert len(changed) == 1 and changed[0]["kind"] == "HTTPRoute" and changed[0]["status"] == "changed"
    assert [(f["path"], f["old"], f["new"]) for f in changed[0]["changes"]] == [
        ("spec.rules[0].backendRefs[1].weight", 10, 25)]


# -- the custom resources against their CRDs -------------------------------------------------------------------

needs_fixtures = pytest.mark.skipif(not crd_fixtures.available(), reason=f"no CRD fixtures under {SHARED_FIXTURES}")


@needs_fixtures
@pytest.mark.parametrize("case", ROUTING_CASES + ("example-all",))
def test_every_rendered_custom_resource_validates_against_its_crd(aimc, case):
    checked = 0
    for obj in golden(aimc, case):
        if obj["kind"] in crd_fixtures.CRD_FILES:
            crd_fixtures.validate(obj)
            checked += 1
            for rule in obj["spec"].get("rules", ()):  # the CRD's CEL rule, which jsonschema does not run
                assert all("port" in ref for ref in rule["backendRefs"] if ref.get("kind", "Service") == "Service")
    assert checked >= 1


@needs_fixtures
def test_api_versions_are_those_the_fixtures_serve_and_store():
    from aimc.render import routes_http, routes_pool

    for kind, rendered in (("InferencePool", routes_pool.API_VERSION), ("HTTPRoute", routes_http.API_VERSION)):
        document = crd_fixtures.crd(kind)
        stored = next(v["name"] for v in document["spec"]["versions"] if v.get("storage"))
        assert rendered == f"{document['spec']['group']}/{stored}"


@needs_fixtures
def test_a_wrong_object_fails_the_crd_check(aimc):
    import jsonschema

    route = of_kind(golden(aimc, "routing-pool"), "HTTPRoute")["qwen-qwen3-32b"]
    route["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1_000_001
    with pytest.raises(jsonschema.ValidationError):
        crd_fixtures.validate(route)


@needs_fixtures
@pytest.mark.parametrize("length", [4096, 4097])
def test_the_longest_model_id_accepted_gives_a_route_the_crd_accepts(aimc, tmp_path, length):
    """A model id is the HTTPRoute's header value (at most 4,096 characters): 5,005 used to render and validate."""
    model = "acme/" + "m" * (length - 5)
    write_tree(tmp_path, {"cluster.yaml": (
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: lab}\nspec:\n"
        "  nodePools: [{name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n"
        "  gateway: {name: gw, namespace: gateway-system}\n"), "e.yaml": (
        f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {{name: m}}\nspec: {{id: {model}, "
        "parametersB: 8, layers: 32, attentionHeads: 32, kvHeads: 8, hiddenSize: 4096, maxContextLength: 8192}\n---\n"
        f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: m}}\n"
        f"spec: {{model: {model}, hardware: MI300X}}\n")})
    for command in ("build", "validate"):
        result = aimc(command, str(tmp_path))
        if length > 4096:
            assert result.code == 1 and "is longer than 4,096 characters" in result.err, result.err
            continue
        assert result.code == 0, result.err
    if length == 4096:
        route = next(o for o in yaml.safe_load_all(aimc("build", str(tmp_path)).out) if o["kind"] == "HTTPRoute")
        crd_fixtures.validate(route)
        assert route["spec"]["rules"][0]["matches"][0]["headers"][0]["value"] == model


def test_annotations_past_what_kubernetes_accepts_are_an_error(aimc, tmp_path):
    big = "x" * (200 * 1024)
    write_tree(tmp_path, {"e.yaml": (
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata:\n  name: qwen\n  annotations:\n"
        f"    a.example.com/one: {big}\n    a.example.com/two: {big}\nspec: {{model: Qwen/Qwen3-32B, hardware: MI300X}}\n")})
    result = aimc("build", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path))
    assert result.code == 1
    assert "e.yaml:5: metadata.annotations: the annotations hold 409,634 bytes: Kubernetes accepts at most 262,144" \
        in result.err, result.err


# -- endpoint picker and body-based router ---------------------------------------------------------------------

def test_each_engine_gets_a_pool_and_its_endpoint_picker(aimc):
    objects = golden(aimc, "routing-pool")
    pools = of_kind(objects, "InferencePool")
    assert set(pools) == {"qwen3-32b-vllm", "qwen3-32b-canary-vllm", "llama-vllm", "llama-sglang"}
    pool = pools["llama-sglang"]["spec"]
    assert pool["selector"]["matchLabels"] == {f"{GROUP}/endpoint": "llama", f"{GROUP}/engine": "sglang"}
    assert pool["targetPorts"] == [{"number": 30000}]  # the engine's serving port
    assert pool["endpointPickerRef"] == {"name": "llama-sglang-epp", "port": {"number": 9002}, "failureMode": "FailOpen"}
    for name in pools:
        picker = f"{name}-epp"
        for kind in ("ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Service", "Deployment",
                     "PodDisruptionBudget"):
            assert picker in of_kind(objects, kind), (kind, picker)
        deployment = of_kind(objects, "Deployment")[picker]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
        assert container["args"][:2] == ["--pool-name", name]
        config = yaml.safe_load(of_kind(objects, "ConfigMap")[picker]["data"]["default-plugins.yaml"])
        assert config["kind"] == "EndpointPickerConfig"
        assert {p["pluginRef"] for p in config["schedulingProfiles"][0]["plugins"]} >= {"prefix-cache-scorer"}
        binding = of_kind(objects, "RoleBinding")[picker]
        assert binding["roleRef"]["name"] == picker and binding["subjects"][0]["name"] == picker
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == picker


def test_routing_pods_are_never_selected_by_an_engine_service_or_pool(aimc):
    objects = golden(aimc, "routing-pool")
    selectors = [s["spec"]["selector"] for s in of_kind(objects, "Service").values() if "endpoint-picker" not in
                 str(s["spec"]["selector"]) and "body-based-router" not in str(s["spec"]["selector"])]
    selectors += [p["spec"]["selector"]["matchLabels"] for p in of_kind(objects, "InferencePool").values()]
    for deployment in of_kind(objects, "Deployment").values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        engine_pod = f"{GROUP}/endpoint" in labels
        for selector in selectors:
            if not engine_pod:
                assert not all(labels.get(k) == v for k, v in selector.items()), deployment["metadata"]["name"]


@needs_fixtures
def test_the_endpoint_picker_role_grants_what_the_upstream_manifest_does(aimc):
    upstream = [d for d in yaml.safe_load_all((SHARED_FIXTURES / "gaie" / "v1.0.2" / "manifests" /
                                              "inferencepool-resources.yaml").read_text()) if d]
    (role,) = [d for d in upstream if d["kind"] == "Role"]
    ours = of_kind(golden(aimc, "routing-pool"), "Role")["llama-vllm-epp"]["rules"]
    granted = {(g, r, v) for rule in ours for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    needed = {(g, r, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
              for v in rule["verbs"]}
    assert needed <= granted
    assert not any(d["kind"].startswith("Cluster") for d in golden(aimc, "routing-pool"))  # nothing cluster-wide


def test_body_based_router_once_per_gateway_in_its_namespace(aimc):
    objects = golden(aimc, "routing-pool")
    routers = [o for o in objects if o["metadata"]["name"] == "inference-gateway-bbr"]
    assert sorted(o["kind"] for o in routers) == ["Deployment", "PodDisruptionBudget", "Role", "RoleBinding",
                                                  "Service", "ServiceAccount"]
    assert {o["metadata"]["namespace"] for o in routers} == {"gateway-system"}
    deployment = of_kind(routers, "Deployment")["inference-gateway-bbr"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0"
    assert any("X-Gateway-Model-Name" in a for a in container["args"])
    budget = of_kind(routers, "PodDisruptionBudget")["inference-gateway-bbr"]
    assert budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert deployment["spec"]["replicas"] > budget["spec"]["maxUnavailable"]
    assert not any(o["metadata"]["name"].endswith("-bbr") for o in golden(aimc, "routing-service"))
    assert not of_kind(golden(aimc, "routing-service"), "InferencePool")


def test_gateway_images_can_be_overridden_but_stay_pinned(aimc, tmp_path):
    gateway = ("  gateway: {name: gw, namespace: gs, inferenceExtension: true, bodyBasedRouting: true,\n"
               "            images: {endpointPicker: 'mirror.local/epp:v1.5.0', bodyBasedRouter: 'mirror.local/bbr'}}\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % gateway, "e.yaml": endpoint("a")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert re.search(r"cluster\.yaml:\d+: spec\.gateway\.images\.bodyBasedRouter: image 'mirror\.local/bbr' has no "
                     r"tag", result.err)
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % gateway.replace("mirror.local/bbr", "mirror.local/bbr:v1.5.0")})
    images = {o["metadata"]["name"]: o["spec"]["template"]["spec"]["containers"][0]["image"]
              for o in build(aimc, tmp_path) if o["kind"] == "Deployment"}
    assert images["a-vllm-epp"] == "mirror.local/epp:v1.5.0" and images["gw-bbr"] == "mirror.local/bbr:v1.5.0"


# -- errors ---------------------------------------------------------------------------------------------------

def test_all_zero_weights_warn(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % SERVICE_GATEWAY,
                          "e.yaml": endpoint("a", extra="  traffic: {weight: 0}\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0
    assert "warning: spec.traffic.weight: every endpoint serving 'Qwen/Qwen3-32B' has weight 0" in result.err


def test_no_namespace_is_an_error_with_the_inference_extension(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": (CLUSTER % POOL_GATEWAY).replace("  defaults: {namespace: models}\n", ""),
                          "e.yaml": endpoint("a")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and "'a' has no namespace: its endpoint picker's RoleBinding must name one" in result.err
    assert aimc("build", "-n", "models", str(tmp_path)).code == 0


def test_two_models_with_one_route_name_are_an_error(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % SERVICE_GATEWAY,
                          "e.yaml": endpoint("a") + endpoint("b", "qwen/qwen3-32b")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert "would both name the HTTPRoute 'qwen-qwen3-32b'" in result.err


def test_route_names():
    from aimc.resolve.traffic import route_name

    assert route_name("Qwen/Qwen3-32B") == "qwen-qwen3-32b"
    long = route_name("org/" + "x" * 100)
    assert len(long) == 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", long)
    assert route_name("///").startswith("model-")


# -- emission order and documentation ---------------------------------------------------------------------------

def test_pools_are_emitted_after_workloads_and_before_routes(aimc):
    kinds = [o["kind"] for o in golden(aimc, "routing-pool")]
    assert kinds.index("InferencePool") > max(i for i, k in enumerate(kinds) if k == "Deployment")
    assert kinds.index("HTTPRoute") > max(i for i, k in enumerate(kinds) if k == "InferencePool")


def test_readme_routing_section_states_versions_and_flow():
    from aimc.render import routes_http, routes_pool
    from aimc.validate import routing

    section = (REPO / "docs" / "operations" / "routing.md").read_text()
    for text in (routing.ENDPOINT_PICKER_IMAGE, routing.BODY_BASED_ROUTER_IMAGE, routes_pool.API_VERSION,
                 routes_http.API_VERSION, "Gateway API v1.6", "Inference Extension v1.5.0", "X-Gateway-Model-Name"):
        assert text in section, text
    assert ("```" in section and "──" in section) or "-->" in section  # the request flow, drawn in text


def test_examples_show_one_gateway_four_models_and_a_90_10_canary(aimc):
    objects = [d for d in yaml.safe_load_all(aimc("build", "examples").out) if d]
    routes = of_kind(objects, "HTTPRoute")
    assert len(routes) == 5  # four models with the multi-node Llama 3.1 405B, and qwen3-32b-adapters' adapter names
    assert "qwen3-32b-adapters-adapters" in routes
    assert {r["spec"]["parentRefs"][0]["name"] for r in routes.values()} == {"inference-gateway"}
    qwen = weights(routes["qwen-qwen3-32b"])
    assert sorted(w for _, w in qwen if w) == [10, 90]
