"""vLLM's side of disaggregated serving (resolve/disaggregation_vllm.py): the MoRI-IO connector on each role, vLLM's
router in front (catalog/routers.yaml), routing to the router only, and the errors of what vLLM's images cannot do."""

from __future__ import annotations

import json

import crd_fixtures
import yaml
from conftest import write_tree

from aimc.catalog import routers
from aimc.catalog.flag_sets import check_value, flag_set

CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm}
%s  nodePools:
    - name: pool
      hardware: %s
      gpusPerNode: 8
      nodeCount: 4
%s"""
RDMA = "      network: {rdmaResource: amd.com/nic, rdmaDevices: [ionic_0, ionic_1]}\n"
GATEWAY = "  gateway: {name: gw, namespace: gateway-system, inferenceExtension: true}\n"
ROLES = """\
  disaggregation:
    prefill: {replicas: 1, gpuCount: 4}
    decode: {replicas: 2, gpuCount: 4}
"""


def endpoint(disaggregation: str = ROLES, extra: str = "", precision: str = "fp8") -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama-pd}\nspec:\n"
            f"  model: meta-llama/Llama-3.3-70B-Instruct\n  precision: {precision}\n  servingEngine: vllm\n"
            f"{extra}{disaggregation}")


def run(aimc, tmp_path, endpoints: str = "", hardware: str = "MI300X", network: str = RDMA, cluster: str = "",
        command: str = "build"):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % (cluster, hardware, network),
                          "endpoints.yaml": endpoints or endpoint()})
    return aimc(command, str(tmp_path))


def build(aimc, tmp_path, endpoints: str = "", **kwargs) -> list[dict]:
    result = run(aimc, tmp_path, endpoints, **kwargs)
    assert result.code == 0, result.err
    return [d for d in yaml.safe_load_all(result.out) if d]


def find(objects, kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def pod(objects, name: str) -> dict:
    return find(objects, "Deployment", name)["spec"]["template"]


def after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def transfer_config(objects, role: str) -> dict:
    return json.loads(after(pod(objects, f"llama-pd-{role}-vllm")["spec"]["containers"][0]["args"],
                            "--kv-transfer-config"))


# -- the roles ----------------------------------------------------------------------------------------------------

def test_each_role_runs_the_mori_io_connector_in_its_kv_role(aimc, tmp_path):
    objects = build(aimc, tmp_path)
    prefill, decode = transfer_config(objects, "prefill"), transfer_config(objects, "decode")
    assert (prefill["kv_connector"], prefill["kv_role"]) == ("MoRIIOConnector", "kv_producer")
    assert (decode["kv_connector"], decode["kv_role"]) == ("MoRIIOConnector", "kv_consumer")
    # The five keys vLLM 0.17.0 to 0.34.0 all read (moriio_common.py MoRIIOConfig.from_vllm_config).
    assert set(prefill["kv_connector_extra_config"]) == {"proxy_ip", "proxy_ping_port", "http_port",
                                                         "handshake_port", "notify_port"}
    # The roles' MoRI ports differ (the router CI's pairs), so a prefill and a decode pod on one host network coexist.
    ports = [(c["handshake_port"], c["notify_port"]) for c in (prefill["kv_connector_extra_config"],
                                                                decode["kv_connector_extra_config"])]
    assert ports == [(6301, 61005), (7301, 62005)]
    for role in ("prefill", "decode"):
        main = pod(objects, f"llama-pd-{role}-vllm")["spec"]["containers"][0]
        extra = transfer_config(objects, role)["kv_connector_extra_config"]
        assert str(extra["http_port"]) == after(main["args"], "--port")  # where the router sends the requests
        assert {"name": "MORI_RDMA_DEVICES", "value": "ionic_0,ionic_1"} in main["env"]  # the pool's RDMA devices
        assert main["resources"]["limits"]["amd.com/nic"] == "1"
        assert main["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]


def test_every_role_command_parses_with_the_flag_set_of_its_images_version(aimc, tmp_path):
    objects = build(aimc, tmp_path)
    flags = flag_set("vllm", "0.27.1")  # vllm/vllm-openai-rocm:v0.27.1, the default image on MI300X
    for role in ("prefill", "decode"):
        main = pod(objects, f"llama-pd-{role}-vllm")["spec"]["containers"][0]
        assert main["image"] == "vllm/vllm-openai-rocm:v0.27.1"
        spec, negated = flags.lookup("--kv-transfer-config")
        assert check_value(flags, spec, negated, "--kv-transfer-config",
                           after(main["args"], "--kv-transfer-config")).problem is None
        assert all(flags.lookup(a) is not None for a in main["args"] if a.startswith("--"))


def test_no_pool_rdma_devices_means_no_device_list(aimc, tmp_path):
    network = "      network: {rdmaResource: amd.com/nic}\n"
    objects = build(aimc, tmp_path, network=network)
    env = pod(objects, "llama-pd-decode-vllm")["spec"]["containers"][0]["env"]
    assert not [e for e in env if e["name"] == "MORI_RDMA_DEVICES"]


# -- the router -----------------------------------------------------------------------------------------------------

def test_the_router_takes_the_servers_registrations_and_parses_with_its_releases_flag_set(aimc, tmp_path):
    objects = build(aimc, tmp_path)
    spec = pod(objects, "llama-pd-router")["spec"]
    main = spec["containers"][0]
    facts = routers.router("vllm")
    assert facts is not None and main["image"] == facts.image == "vllm/vllm-router:v0.1.17"
    assert main["command"] == ["vllm-router"]
    assert routers.problems(routers.router_flags("vllm"), tuple(main["args"])) == []
    assert after(main["args"], "--kv-connector") == "moriio"
    assert after(main["args"], "--port") == "8000"
    # The servers ping the router through the endpoint's Service on the router's registration port.
    extra = transfer_config(objects, "decode")["kv_connector_extra_config"]
    service = find(objects, "Service", extra["proxy_ip"])
    assert after(main["args"], "--vllm-discovery-address") == f"0.0.0.0:{extra['proxy_ping_port']}"
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    assert ports == {"http": 8000, "discovery": extra["proxy_ping_port"]}
    # The container also serves its metrics, scraped from the pod (tests/test_disaggregation_router.py), not the Service.
    assert {p["name"]: p["containerPort"] for p in main["ports"]} == {**ports, "metrics": 29000}
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
            for o in objects if o["kind"] == "Deployment"}
    assert [n for n, labels in pods.items() if selects(service["spec"]["selector"], labels)] == ["llama-pd-router"]
    # One router, which the workers find (no Kubernetes API access, no service account token).
    assert find(objects, "Deployment", "llama-pd-router")["spec"]["replicas"] == 1
    assert spec["automountServiceAccountToken"] is False and "serviceAccountName" not in spec
    assert not [o for o in objects if o["kind"] in ("Role", "RoleBinding", "ServiceAccount")
                and o["metadata"]["name"] == "llama-pd-router"]


def test_the_inference_pool_selects_the_router_never_a_prefill_pod(aimc, tmp_path):
    objects = build(aimc, tmp_path, cluster=GATEWAY)
    pool = find(objects, "InferencePool", "llama-pd-vllm")
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
            for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].startswith("llama-pd")}
    assert [n for n, labels in pods.items() if selects(pool["spec"]["selector"]["matchLabels"], labels)] == [
        "llama-pd-router"]
    assert pool["spec"]["targetPorts"] == [{"number": 8000}]
    for obj in objects:
        if obj["kind"] in crd_fixtures.CRD_FILES and crd_fixtures.available(obj["kind"]):
            crd_fixtures.validate(obj)


def test_plan_counts_both_roles_and_explain_shows_the_connector_and_router(aimc, tmp_path):
    result = run(aimc, tmp_path, command="plan")
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines() if line.startswith("llm/llama-pd")]
    assert [(r[1], r[3], r[5]) for r in rows] == [("vllm/prefill", "4", "1"), ("vllm/decode", "4", "2")]
    result = aimc("explain", str(tmp_path), "-e", "llama-pd")
    assert result.code == 0, result.err
    assert "KV transfer: mori (the default of image 'vllm/vllm-openai-rocm:v0.27.1'" in result.out
    assert "front door command: vllm-router --vllm-pd-disaggregation --kv-connector moriio" in result.out


def test_the_objects_validate_against_kubernetes(aimc, tmp_path):
    result = run(aimc, tmp_path, command="validate")
    assert result.code == 0, result.err


# -- what vLLM's images cannot do ------------------------------------------------------------------------------------

def error_of(aimc, tmp_path, endpoints: str = "", **kwargs) -> str:
    result = run(aimc, tmp_path, endpoints, **kwargs)
    assert result.code == 1 and result.out == "", result
    assert "Traceback" not in result.err
    return result.err


def test_a_backend_vllms_image_lacks_is_an_error_at_its_line(aimc, tmp_path):
    err = error_of(aimc, tmp_path, endpoint(ROLES + "    transfer: nixl\n"))
    assert "endpoints.yaml:11: spec.disaggregation.transfer: image 'vllm/vllm-openai-rocm:v0.27.1'" in err
    assert "ships mori (" in err and "not 'nixl'" in err


def test_a_backend_aimc_does_not_render_for_vllm_is_an_error_even_on_an_unknown_image(aimc, tmp_path):
    image = "  image: {image: registry.example.com/own/vllm:pd, engineVersion: \"0.27.1\"}\n"
    err = error_of(aimc, tmp_path, endpoint(ROLES + "    transfer: mooncake\n", extra=image))
    assert ("spec.disaggregation.transfer: aimc renders vllm's disaggregated serving over mori only, not 'mooncake'"
            in err)
    objects = build(aimc, tmp_path, endpoint(ROLES + "    transfer: mori\n", extra=image))
    assert transfer_config(objects, "prefill")["kv_connector"] == "MoRIIOConnector"


def test_an_image_older_than_the_connector_is_an_error_naming_the_release(aimc, tmp_path):
    image = "  image: rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103\n"
    err = error_of(aimc, tmp_path, endpoint(extra=image))
    assert "endpoints.yaml:9: spec.disaggregation: aimc's runtime catalog names no KV transfer backend" in err
    assert "MoRI-IO connector from 0.17.0 on" in err


def test_disaggregation_on_mi250_is_refused_with_its_source(aimc, tmp_path):
    err = error_of(aimc, tmp_path, endpoint(precision="bf16"), hardware="MI250X")
    assert "spec.disaggregation: node pool 'pool' has MI250X (gfx90a)" in err
    assert "shown on gfx942, gfx950 only" in err and "InferenceX" in err


# -- spec.objective: the layout against the targets, beside aggregated serving -------------------------------------

OBJECTIVE = ("  objective:\n    workload: {inputTokens: 8192, outputTokens: 1024, concurrency: 32}\n"
             "    maxTtftSeconds: 2\n    maxTpotSeconds: 0.05\n")


def test_a_layout_predicted_to_miss_the_objective_warns_and_names_aggregated_serving(aimc, tmp_path):
    """One prefill server of 4 GPUs cannot prefill 32 clients' 8192-token prompts fast enough: TTFT misses, while
    aggregated serving on the same 12 GPUs (3 × 4) is predicted to meet both targets."""
    result = run(aimc, tmp_path, endpoint(extra=OBJECTIVE))
    assert result.code == 0, result.err
    assert "endpoints.yaml:8: warning: spec.objective: the disaggregated layout is predicted to miss" in result.err
    assert "aggregated serving on as many GPUs is predicted to meet it (3 x 4 GPUs): remove spec.disaggregation" \
        in result.err
    strict = aimc("build", "--strict", str(tmp_path))
    assert strict.code == 1 and "spec.objective: the disaggregated layout is predicted to miss" in strict.err
    explained = aimc("explain", str(tmp_path), "-e", "llama-pd")
    assert "disaggregated, 1 prefill x 4 + 2 decode x 4 GPUs: TTFT" in explained.out
    assert ": misses (the performance model's disaggregated extension, not calibrated" in explained.out
    assert "aggregated on as many GPUs, 3 x 4 GPUs of the decode configuration" in explained.out


def test_enough_prefill_servers_meet_the_objective(aimc, tmp_path):
    roles = ROLES.replace("prefill: {replicas: 1", "prefill: {replicas: 3")
    result = run(aimc, tmp_path, endpoint(roles, extra=OBJECTIVE))
    assert result.code == 0 and "spec.objective" not in result.err, result.err
    explained = aimc("explain", str(tmp_path), "-e", "llama-pd")
    assert "disaggregated, 3 prefill x 4 + 2 decode x 4 GPUs" in explained.out and ": meets (" in explained.out


# -- a role wider than one node ----------------------------------------------------------------------------------

WIDE_RECIPE = """\
recipe_id: team-llama-405b-mi300x-fp8-wide
model_id: meta-llama/Llama-3.1-405B-Instruct
huggingface_id: amd/Llama-3.1-405B-Instruct-FP8-KV
hardware: MI300X
precision: fp8
vllm_serve:
  "8_gpu":
    enabled: true
    args: {--max-model-len: '32768', --kv-cache-dtype: 'fp8'}
  "16_gpu":
    enabled: true
    args: {--max-model-len: '32768', --kv-cache-dtype: 'fp8'}
"""


def test_a_decode_role_across_two_nodes_runs_the_connector_and_the_devices_on_every_pod(aimc, tmp_path):
    """A 16-GPU decode role on 8-GPU nodes is a LeaderWorkerSet: vLLM's server (with the connector) runs on the
    leader, every pod of the group gets the pool's RDMA devices for MoRI."""
    roles = "  disaggregation:\n    prefill: {gpuCount: 8}\n    decode: {gpuCount: 16}\n"
    text = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: big-pd}\nspec:\n"
            "  model: meta-llama/Llama-3.1-405B-Instruct\n  precision: fp8\n  servingEngine: vllm\n"
            "  recipe: team-llama-405b-mi300x-fp8-wide\n" + roles)
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % ("", "MI300X", RDMA), "endpoints.yaml": text,
                          "recipes/team-llama-405b-mi300x-fp8-wide.yaml": WIDE_RECIPE})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    objects = [d for d in yaml.safe_load_all(result.out) if d]
    group = find(objects, "LeaderWorkerSet", "big-pd-decode-vllm")["spec"]["leaderWorkerTemplate"]
    assert group["size"] == 2
    leader = group["leaderTemplate"]["spec"]["containers"][0]
    worker = group["workerTemplate"]["spec"]["containers"][0]
    for container in (leader, worker):
        assert {"name": "MORI_RDMA_DEVICES", "value": "ionic_0,ionic_1"} in container["env"]
    serve = " ".join([*leader.get("command", []), *leader.get("args", [])])
    assert '"kv_role":"kv_consumer"' in serve and "MoRIIOConnector" in serve
    prefill = pod(objects, "big-pd-prefill-vllm")["spec"]["containers"][0]
    assert '"kv_role":"kv_producer"' in after(prefill["args"], "--kv-transfer-config")
