"""Disaggregated prefill and decode (spec.disaggregation; docs/concepts/disaggregation.md): each role sized and
rendered as an endpoint of its own, the SGLang router in front, routing to the router only, and the errors of an
inconsistent request."""

from __future__ import annotations

import json

import crd_fixtures
import pytest
import yaml
from conftest import write_tree

from aimc.catalog.flag_sets import flag_set

POOL = """\
    - name: mi355x
      hardware: MI355X
      gpusPerNode: 8
      nodeCount: 4
%s"""
RDMA = "      network: {rdmaResource: amd.com/nic, rdmaDevices: [rdma0, rdma1]}\n"
CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm}
%s  nodePools:
%s"""
GATEWAY = "  gateway: {name: gw, namespace: gateway-system, inferenceExtension: true}\n"
ROLES = """\
  disaggregation:
    prefill: {replicas: 1, gpuCount: 2}
    decode: {replicas: 2, gpuCount: 2}
"""


def endpoint(disaggregation: str = ROLES, extra: str = "", name: str = "qwen-pd", engine: str = "sglang") -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n"
            f"  model: Qwen/Qwen3-32B\n  servingEngine: {engine}\n{extra}{disaggregation}")


def run(aimc, tmp_path, endpoints: str, pool: str = RDMA, cluster: str = "", command: str = "build"):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % (cluster, POOL % pool), "endpoints.yaml": endpoints})
    return aimc(command, str(tmp_path))


def build(aimc, tmp_path, endpoints: str, **kwargs) -> list[dict]:
    result = run(aimc, tmp_path, endpoints, **kwargs)
    assert result.code == 0, result.err
    return [d for d in yaml.safe_load_all(result.out) if d]


def find(objects, kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objects, name: str) -> dict:
    return find(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def after(args: list[str], flag: str, count: int = 1) -> list[str]:
    at = args.index(flag)
    return args[at + 1:at + 1 + count]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# -- the roles --------------------------------------------------------------------------------------------------

def test_each_role_runs_its_own_workload_with_its_mode_and_the_images_default_backend(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint())
    prefill, decode = container(objects, "qwen-pd-prefill-sglang"), container(objects, "qwen-pd-decode-sglang")
    assert after(prefill["args"], "--disaggregation-mode") == ["prefill"]
    assert after(decode["args"], "--disaggregation-mode") == ["decode"]
    # MI355X runs lmsysorg/sglang:v0.5.16-rocm720-mi35x, whose catalogued default is MoRI (InferenceX's choice).
    for args in (prefill["args"], decode["args"]):
        assert after(args, "--disaggregation-transfer-backend") == ["mori"]
        assert after(args, "--disaggregation-ib-device") == ["rdma0,rdma1"]
        assert after(args, "--tp-size") == ["2"]
    assert after(prefill["args"], "--disaggregation-bootstrap-port") == ["8998"]
    assert "--disaggregation-bootstrap-port" not in decode["args"]
    assert find(objects, "Deployment", "qwen-pd-prefill-sglang")["spec"]["replicas"] == 1
    assert find(objects, "Deployment", "qwen-pd-decode-sglang")["spec"]["replicas"] == 2
    prefill_pod = find(objects, "Deployment", "qwen-pd-prefill-sglang")["spec"]["template"]
    assert prefill_pod["metadata"]["annotations"]["sglang.ai/bootstrap-port"] == "8998"
    # The KV transfer runs over the pool's RDMA NIC: the device and the capability that pins memory for it.
    assert prefill["resources"]["limits"]["amd.com/nic"] == "1"
    assert prefill["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]


def test_every_role_command_parses_with_the_flag_set_of_its_images_version(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint())
    flags = flag_set("sglang", "0.5.16")
    for name in ("qwen-pd-prefill-sglang", "qwen-pd-decode-sglang"):
        args = container(objects, name)["args"]
        options = [a for a in args if a.startswith("--")]
        assert options and all(flags.lookup(a) is not None for a in options), name
    mode = flags.lookup("--disaggregation-mode")[0]
    assert {"prefill", "decode"} <= set(mode.choices)


def test_the_router_fronts_the_roles_and_the_service_reaches_only_the_router(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint())
    router = find(objects, "Deployment", "qwen-pd-router")
    main = router["spec"]["template"]["spec"]["containers"][0]
    assert main["command"] == ["python3", "-m", "sglang_router.launch_router"]
    assert main["args"][:1] == ["--pd-disaggregation"]
    assert after(main["args"], "--prefill-selector", 2) == [
        "aim.engine.amd.com/disaggregated-endpoint=qwen-pd", "aim.engine.amd.com/role=prefill"]
    assert after(main["args"], "--decode-selector", 2) == [
        "aim.engine.amd.com/disaggregated-endpoint=qwen-pd", "aim.engine.amd.com/role=decode"]
    service = find(objects, "Service", "qwen-pd")
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
            for o in objects if o["kind"] == "Deployment"}
    assert [name for name, labels in pods.items() if selects(service["spec"]["selector"], labels)] == [
        "qwen-pd-router"]
    # The router finds each role by its selectors, and only that role.
    prefill_selector = dict(s.split("=") for s in after(main["args"], "--prefill-selector", 2))
    assert [n for n, labels in pods.items() if selects(prefill_selector, labels)] == ["qwen-pd-prefill-sglang"]
    role = find(objects, "Role", "qwen-pd-router")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}]


def test_the_inference_pool_selects_the_router_never_a_prefill_pod(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(), cluster=GATEWAY)
    pool = find(objects, "InferencePool", "qwen-pd-sglang")
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
            for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].startswith("qwen-pd")}
    assert [n for n, labels in pods.items() if selects(pool["spec"]["selector"]["matchLabels"], labels)] == [
        "qwen-pd-router"]
    assert pool["spec"]["targetPorts"] == [{"number": 30000}]
    route = next(o for o in objects if o["kind"] == "HTTPRoute")
    assert [ref["name"] for rule in route["spec"]["rules"] for ref in rule["backendRefs"]] == ["qwen-pd-sglang"]
    for obj in objects:
        if obj["kind"] in crd_fixtures.CRD_FILES and crd_fixtures.available(obj["kind"]):
            crd_fixtures.validate(obj)


def test_autoscaling_and_disruption_budgets_are_per_role(aimc, tmp_path):
    roles = """\
  disaggregation:
    prefill: {gpuCount: 2, autoScaling: {enabled: true, minReplicas: 1, maxReplicas: 2}}
    decode: {gpuCount: 2, autoScaling: {enabled: true, minReplicas: 2, maxReplicas: 4, metric: {target: 8}}}
"""
    objects = build(aimc, tmp_path, endpoint(roles), cluster="  monitoring: {prometheusAdapter: true}\n")
    scalers = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    assert scalers["qwen-pd-decode-sglang"]["scaleTargetRef"]["name"] == "qwen-pd-decode-sglang"
    assert (scalers["qwen-pd-decode-sglang"]["minReplicas"], scalers["qwen-pd-decode-sglang"]["maxReplicas"]) == (2, 4)
    assert scalers["qwen-pd-decode-sglang"]["metrics"][0]["pods"]["target"]["averageValue"] == "8"
    assert scalers["qwen-pd-prefill-sglang"]["scaleTargetRef"]["name"] == "qwen-pd-prefill-sglang"
    assert scalers["qwen-pd-prefill-sglang"]["metrics"][0]["pods"]["target"]["averageValue"] == "5"
    budgets = {o["metadata"]["name"] for o in objects if o["kind"] == "PodDisruptionBudget"}
    assert {"qwen-pd-prefill-sglang", "qwen-pd-decode-sglang"} <= budgets
    for name in ("qwen-pd-prefill-sglang", "qwen-pd-decode-sglang"):
        assert "replicas" not in find(objects, "Deployment", name)["spec"]  # the autoscaler owns it


def test_plan_counts_both_roles(aimc, tmp_path):
    result = run(aimc, tmp_path, endpoint(), command="plan")
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines() if line.startswith("llm/qwen-pd")]
    assert [(r[1], r[3], r[5]) for r in rows] == [("sglang/prefill", "2", "1"), ("sglang/decode", "2", "2")]
    assert result.out.splitlines()[1].split()[4:6] == ["6", "6"]  # 2 + 2 × 2 GPUs


def test_explain_shows_both_roles_the_transfer_and_the_router(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % ("", POOL % RDMA), "endpoints.yaml": endpoint()})
    result = aimc("explain", str(tmp_path), "-e", "qwen-pd")
    assert result.code == 0, result.err
    assert "endpoint qwen-pd-prefill" in result.out and "endpoint qwen-pd-decode" in result.out
    assert "role: prefill of the disaggregated endpoint qwen-pd" in result.out
    assert "KV transfer: mori (the default of image 'lmsysorg/sglang:v0.5.16-rocm720-mi35x'" in result.out
    assert "front door command: python3 -m sglang_router.launch_router --pd-disaggregation" in result.out


def test_the_objects_validate_against_kubernetes(aimc, tmp_path):
    result = run(aimc, tmp_path, endpoint(), command="validate")
    assert result.code == 0, result.err


# -- inconsistent requests ---------------------------------------------------------------------------------------

def error_of(aimc, tmp_path, endpoints: str, **kwargs) -> str:
    result = run(aimc, tmp_path, endpoints, **kwargs)
    assert result.code == 1 and result.out == "", result
    return result.err


def test_a_transfer_backend_the_image_lacks_is_an_error_at_its_line(aimc, tmp_path):
    image = "  image: lmsysorg/sglang:v0.5.5.post3-rocm700-mi35x\n"
    err = error_of(aimc, tmp_path, endpoint(ROLES + "    transfer: nixl\n", extra=image))
    assert "endpoints.yaml:11: spec.disaggregation.transfer: image 'lmsysorg/sglang:v0.5.5.post3-rocm700-mi35x'" in err
    assert "ships mooncake (" in err and "not 'nixl'" in err
    objects = build(aimc, tmp_path, endpoint(ROLES + "    transfer: nixl\n"))  # 0.5.16 ships NIXL
    assert after(container(objects, "qwen-pd-decode-sglang")["args"], "--disaggregation-transfer-backend") == ["nixl"]


def test_an_image_without_catalogued_backends_needs_transfer(aimc, tmp_path):
    image = "  image: {image: 'registry.example.com/sglang:v0.5.16-custom', engineVersion: '0.5.16'}\n"
    err = error_of(aimc, tmp_path, endpoint(extra=image))
    assert "spec.disaggregation: aimc's runtime catalog names no KV transfer backend for image" in err
    objects = build(aimc, tmp_path, endpoint(ROLES + "    transfer: mooncake\n", extra=image))
    assert after(container(objects, "qwen-pd-decode-sglang")["args"], "--disaggregation-transfer-backend") == [
        "mooncake"]


def test_a_backend_the_engine_version_does_not_know_fails_its_flag_check(aimc, tmp_path):
    image = "  image: {image: 'registry.example.com/sglang:old', engineVersion: '0.5.5.post3'}\n"
    err = error_of(aimc, tmp_path, endpoint(ROLES + "    transfer: mori\n", extra=image))
    assert "spec.disaggregation:" in err and "mori" in err and "--disaggregation-transfer-backend" in err


@pytest.mark.parametrize("extra, field, words", [
    ("  servingEngines: [sglang]\n", "spec.servingEngines", "runs one engine"),
    ("  replicas: 2\n", "spec.replicas", "set spec.disaggregation.prefill.replicas"),
    ("  autoScaling: {enabled: true}\n", "spec.autoScaling", "roles scale apart"),
    ("  adapters: [{name: a, source: 'hf://acme/a'}]\n", "spec.adapters", "not served by a disaggregated"),
])
def test_endpoint_wide_settings_that_belong_to_a_role_are_errors(aimc, tmp_path, extra, field, words):
    text = endpoint(extra=extra).replace("  servingEngine: sglang\n", "") if "servingEngines" in extra else \
        endpoint(extra=extra)
    err = error_of(aimc, tmp_path, text)
    assert f": {field}: " in err and words in err


def test_customargs_may_not_change_the_role_flags(aimc, tmp_path):
    roles = ROLES.replace("decode: {replicas: 2, gpuCount: 2}",
                          "decode: {replicas: 2, gpuCount: 2, customArgs: {--disaggregation-mode: prefill}}")
    err = error_of(aimc, tmp_path, endpoint(roles))
    assert "spec.disaggregation.decode.customArgs.--disaggregation-mode" in err
    assert "aimc writes it for each role from spec.disaggregation" in err


def test_role_customargs_reach_that_role_only(aimc, tmp_path):
    roles = ROLES.replace("decode: {replicas: 2, gpuCount: 2}",
                          "decode: {replicas: 2, gpuCount: 2, customArgs: {--max-running-requests: 128}}")
    objects = build(aimc, tmp_path, endpoint(roles))
    assert after(container(objects, "qwen-pd-decode-sglang")["args"], "--max-running-requests") == ["128"]
    assert after(container(objects, "qwen-pd-prefill-sglang")["args"], "--max-running-requests") != ["128"]


def test_a_pair_across_nodes_without_rdma_is_an_error(aimc, tmp_path):
    roles = ROLES.replace("gpuCount: 2}", "gpuCount: 8}")
    err = error_of(aimc, tmp_path, endpoint(roles), pool="")
    assert "spec.disaggregation: node pool 'mi355x' (" in err and "declares no RDMA" in err
    assert "cannot share one node" in err


def test_a_pair_that_may_share_a_node_without_rdma_warns(aimc, tmp_path):
    result = run(aimc, tmp_path, endpoint(), pool="")
    assert result.code == 0, result.err
    assert "warning" in result.err and "may still land on different nodes" in result.err


def test_a_decode_role_that_cannot_hold_the_objectives_requests_is_rejected(aimc, tmp_path):
    objective = ("  objective:\n    workload: {inputTokens: 30000, outputTokens: 10000, concurrency: 2000}\n"
                 "    maxTtftSeconds: 5\n")
    err = error_of(aimc, tmp_path, endpoint(extra=objective))
    assert "the decode role needs 1000 requests in flight of 40000 tokens each" in err


def test_a_name_too_long_for_the_role_objects_is_an_error(aimc, tmp_path):
    err = error_of(aimc, tmp_path, endpoint(name="a" * 50))
    assert "metadata.name" in err and "'<name>-<role>-<engine>'" in err


def test_sglang_on_mi250_without_an_image_is_an_error(aimc, tmp_path):
    pool = POOL.replace("mi355x", "mi250").replace("MI355X", "MI250") % RDMA
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % ("", pool), "endpoints.yaml": endpoint()})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and "endpoints.yaml:" in result.err and "sglang" in result.err.lower()


# -- hostile strings ---------------------------------------------------------------------------------------------

HOSTILE = ["a\nb", "---", "x\n---\nkind: Secret", "$(rm -rf /)", "a; rm -rf /", "`id`", "é" * 40, "x" * 5000,
           "mooncake\u202e", "MORI"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_transfer_backend_is_refused_at_its_line(aimc, tmp_path, value):
    roles = ROLES + f"    transfer: {json.dumps(value)}\n"
    err = error_of(aimc, tmp_path, endpoint(roles))
    assert "spec.disaggregation.transfer" in err and "Traceback" not in err


@pytest.mark.parametrize("value", HOSTILE[:-1])  # (an upper-case device name is a name)
def test_a_hostile_rdma_device_is_refused(aimc, tmp_path, value):
    pool = f"      network: {{rdmaResource: amd.com/nic, rdmaDevices: [{json.dumps(value)}]}}\n"
    result = run(aimc, tmp_path, endpoint(), pool=pool)
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err
    assert "rdmaDevices" in result.err


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_role_recipe_fails_cleanly_and_renders_nothing(aimc, tmp_path, value):
    roles = ROLES.replace("prefill: {replicas: 1, gpuCount: 2}",
                          f"prefill: {{replicas: 1, gpuCount: 2, recipe: {json.dumps(value)}}}")
    err = error_of(aimc, tmp_path, endpoint(roles))
    assert "spec.disaggregation.prefill.recipe" in err or "spec.recipe" in err
    assert "Traceback" not in err and "\n---\n" not in err


def test_a_role_wider_than_a_node_is_a_multi_node_group_of_its_own(aimc, tmp_path):
    roles = """\
  disaggregation:
    prefill: {replicas: 1, gpuCount: 2}
    decode: {replicas: 1, gpuCount: 8}
"""
    cluster = CLUSTER % ("", (POOL % RDMA).replace("gpusPerNode: 8", "gpusPerNode: 4"))
    write_tree(tmp_path, {"cluster.yaml": cluster, "endpoints.yaml": endpoint(roles)})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    objects = [d for d in yaml.safe_load_all(result.out) if d]
    group = find(objects, "LeaderWorkerSet", "qwen-pd-decode-sglang")
    assert group["spec"]["leaderWorkerTemplate"]["size"] == 2
    leader = group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]
    args = leader["spec"]["containers"][0]["args"]
    assert after(args, "--disaggregation-mode") == ["decode"] and after(args, "--nnodes") == ["2"]
    assert find(objects, "Deployment", "qwen-pd-prefill-sglang")  # the prefill role fits one node
    plan = aimc("plan", str(tmp_path))
    rows = [line.split() for line in plan.out.splitlines() if line.startswith("llm/qwen-pd")]
    assert [(r[1], r[3], r[4]) for r in rows] == [("sglang/prefill", "2", "1"), ("sglang/decode", "4", "2")]
    # the model-cache warning names the role that is a group (it named the endpoint and engine only: one such line
    # per role read as a duplicate)
    assert "warning: metadata.name: qwen-pd (decode sglang) runs groups of 2 pods without a shared model cache" in \
        result.err


def test_router_arguments_its_parser_refuses_are_an_error(aimc, tmp_path, monkeypatch):
    from aimc.model.disaggregation import FrontDoor
    from aimc.resolve import disaggregation_sglang

    def broken(endpoint, prefill, decode):
        return FrontDoor(decode.image, disaggregation_sglang.ROUTER_LAUNCH, ("--pd-disaggregation", "--port", "http"),
                         30000)

    monkeypatch.setattr(disaggregation_sglang, "front_door", broken)
    err = error_of(aimc, tmp_path, endpoint())
    assert "spec.disaggregation: the router's arguments do not parse with sglang-router 0.3.2: --port" in err
