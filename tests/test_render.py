"""The rendered workloads (aimc/render/): probes, rollout, autoscaling, disruption budgets, model cache, secrets,
resources, monitoring, labels and pod hardening. Inputs are written to a temporary tree and built through the CLI."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, write_tree

INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm}
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 4}
"""


def endpoint(name: str, spec: str) -> str:
    body = "\n".join("  " + line for line in spec.strip("\n").split("\n"))
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\n"
            f"spec:\n{body}\n")


def build(aimc, tmp_path, endpoints: dict[str, str], inventory: str = INVENTORY):
    files = {"cluster.yaml": inventory}
    files.update({f"endpoints/{name}.yaml": text for name, text in endpoints.items()})
    write_tree(tmp_path, files)
    return aimc("build", str(tmp_path))


def objects(result) -> list[dict]:
    assert result.code == 0, result
    return [d for d in yaml.safe_load_all(result.out) if d]


def find(objs, kind: str, name: str) -> dict:
    matches = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, [(o["kind"], o["metadata"]["name"]) for o in objs]
    return matches[0]


def kinds(objs) -> list[tuple[str, str]]:
    return sorted((o["kind"], o["metadata"]["name"]) for o in objs)


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def env_of(deployment: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(deployment).get("env", [])}


LLAMA_8B = "model: meta-llama/Llama-3.1-8B-Instruct\nprecision: fp16\n"
QWEN_32B = "model: Qwen/Qwen3-32B\nprecision: bf16\n"


# -- the seed design's examples --------------------------------------------------------------------------------

def test_autoscaling_example_renders_hpa_bounds_and_no_replicas(aimc):
    objs = objects(aimc("build", "examples/endpoints/qwen3-32b.yaml", "--inventory", "examples/cluster.yaml"))
    hpa = find(objs, "HorizontalPodAutoscaler", "qwen3-32b-vllm")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "qwen3-32b-vllm"}
    assert hpa["spec"]["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "vllm_num_requests_waiting"}, "target": {"type": "AverageValue", "averageValue": "5"}}}]
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
    deployment = find(objs, "Deployment", "qwen3-32b-vllm")
    assert "replicas" not in deployment["spec"]
    pdb = find(objs, "PodDisruptionBudget", "qwen3-32b-vllm")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


def test_multi_engine_example_one_service_reaches_both_engines_with_engine_specific_probes(aimc):
    objs = objects(aimc("build", "examples/endpoints/qwen3-32b-multi.yaml", "--inventory", "examples/cluster.yaml"))
    vllm, sglang = find(objs, "Deployment", "qwen3-32b-multi-vllm"), find(objs, "Deployment", "qwen3-32b-multi-sglang")
    unified = find(objs, "Service", "qwen3-32b-multi")
    for deployment in (vllm, sglang):
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert unified["spec"]["selector"].items() <= pod_labels.items()
    assert unified["spec"]["ports"][0]["targetPort"] == "http"
    for engine, deployment in (("vllm", vllm), ("sglang", sglang)):
        service = find(objs, "Service", f"qwen3-32b-multi-{engine}")
        assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        other = sglang if engine == "vllm" else vllm
        assert not service["spec"]["selector"].items() <= other["spec"]["template"]["metadata"]["labels"].items()
    assert container(vllm)["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}
    assert container(sglang)["ports"][0] == {"name": "http", "containerPort": 30000, "protocol": "TCP"}
    for deployment in (vllm, sglang):
        for probe in ("startupProbe", "readinessProbe"):
            assert container(deployment)[probe]["httpGet"] == {"path": "/health", "port": "http"}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert "initialDelaySeconds" not in container(deployment)[probe]
    # SGLang 0.5.5.post3's /health runs a generation on every call (its switch to turn that off is a no-op, so aimc
    # does not set it): its liveness only checks the port; vLLM's /health is cheap.
    assert container(vllm)["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container(sglang)["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert "httpGet" not in container(sglang)["livenessProbe"]
    assert container(sglang)["readinessProbe"]["timeoutSeconds"] > 20  # SGLang's own health-check timeout
    assert "SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION" not in env_of(sglang) | env_of(vllm)
    assert "--enable-metrics" in container(sglang)["args"]
    assert "--enable-metrics" not in container(vllm)["args"]


# -- health, rollout ---------------------------------------------------------------------------------------------

def _startup_seconds(deployment: dict) -> int:
    probe = container(deployment)["startupProbe"]
    return probe["periodSeconds"] * probe["failureThreshold"]


def test_startup_budget_grows_with_the_model_and_can_be_overridden(aimc, tmp_path):
    objs = objects(build(aimc, tmp_path, {
        "small": endpoint("small", LLAMA_8B),
        "large": endpoint("large", QWEN_32B),
        "pinned": endpoint("pinned", QWEN_32B + "startupProbe: {budgetSeconds: 3605}"),
    }))
    small, large = find(objs, "Deployment", "small-vllm"), find(objs, "Deployment", "large-vllm")
    # 8.03e9 parameters × 2 bytes = 16.06 GB → 300 + 20 × 16.06 = 621.2 → 630 s
    assert _startup_seconds(small) == 630
    # 32.8e9 × 2 = 65.6 GB → 300 + 1312 = 1612 → 1620 s
    assert _startup_seconds(large) == 1620
    assert _startup_seconds(find(objs, "Deployment", "pinned-vllm")) == 3610
    for deployment in (small, large):
        assert deployment["spec"]["progressDeadlineSeconds"] == _startup_seconds(deployment) + 900


def test_rollout_never_needs_a_gpu_beyond_the_plan(aimc, tmp_path):
    from aimc.resolve import rollout

    assert rollout.SURGE_PODS == 0
    deployment = find(objects(build(aimc, tmp_path, {"one": endpoint("one", LLAMA_8B)})), "Deployment", "one-vllm")
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


# -- scaling and availability ------------------------------------------------------------------------------------

def test_pdb_only_when_more_than_one_replica_is_possible(aimc, tmp_path):
    objs = objects(build(aimc, tmp_path, {
        "single": endpoint("single", LLAMA_8B),
        "pair": endpoint("pair", LLAMA_8B + "replicas: 2"),
        "scaled": endpoint("scaled", LLAMA_8B + "autoScaling: {enabled: true, minReplicas: 1, maxReplicas: 2}"),
        "pinned": endpoint("pinned", LLAMA_8B + "autoScaling: {enabled: true, minReplicas: 1, maxReplicas: 1}"),
    }))
    budgets = [name for kind, name in kinds(objs) if kind == "PodDisruptionBudget"]
    assert budgets == ["pair-vllm", "scaled-vllm"]
    assert find(objs, "PodDisruptionBudget", "pair-vllm")["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_hpa_metric_and_target_are_configurable_and_translated_per_engine(aimc, tmp_path):
    spec = QWEN_32B + """servingEngines: [vllm, sglang]
autoScaling:
  enabled: true
  maxReplicas: 3
  metric: {name: "vllm:kv_cache_usage_perc", target: "0.8"}
  scaleDownStabilizationSeconds: 1200"""
    objs = objects(build(aimc, tmp_path, {"both": endpoint("both", spec)}))
    metrics = {}
    for engine in ("vllm", "sglang"):
        hpa = find(objs, "HorizontalPodAutoscaler", f"both-{engine}")
        pods = hpa["spec"]["metrics"][0]["pods"]
        metrics[engine] = (pods["metric"]["name"], pods["target"]["averageValue"])
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 1200
        assert "replicas" not in find(objs, "Deployment", f"both-{engine}")["spec"]
    assert metrics == {"vllm": ("vllm_kv_cache_usage_perc", "0.8"), "sglang": ("sglang_token_usage", "0.8")}


@pytest.mark.parametrize("asked", ["sglang:inter_token_latency_seconds", "vllm:inter_token_latency_seconds",
                                   "vllm:time_per_output_token_seconds"])
def test_latency_metric_is_inter_token_latency_on_both_engines(aimc, tmp_path, asked):
    """vLLM 0.11 deprecates vllm:time_per_output_token_seconds (removed in 0.13): it is read as the new name."""
    spec = QWEN_32B + f"""servingEngines: [vllm, sglang]
autoScaling:
  enabled: true
  maxReplicas: 3
  metric: {{name: "{asked}", target: "0.05"}}"""
    result = build(aimc, tmp_path, {"itl": endpoint("itl", spec)})
    objs = objects(result)
    names = {e: find(objs, "HorizontalPodAutoscaler", f"itl-{e}")["spec"]["metrics"][0]["pods"]["metric"]["name"]
             for e in ("vllm", "sglang")}
    assert names == {"vllm": "vllm_inter_token_latency_seconds", "sglang": "sglang_inter_token_latency_seconds"}
    deprecated = asked == "vllm:time_per_output_token_seconds"
    assert ("warning: spec.autoScaling.metric.name: vllm:time_per_output_token_seconds is deprecated" in result.err) \
        == deprecated
    assert "time_per_output_token" not in result.out


KEDA_INVENTORY = INVENTORY.replace("  nodePools:", "  monitoring: {prometheusServerAddress: 'http://prom:9090'}\n"
                                                 "  nodePools:")


def test_keda_renders_a_scaled_object_instead_of_an_hpa(aimc, tmp_path):
    spec = LLAMA_8B + "autoScaling: {enabled: true, provider: keda, minReplicas: 1, maxReplicas: 4}"
    objs = objects(build(aimc, tmp_path, {"k": endpoint("k", spec)}, KEDA_INVENTORY))
    assert not [o for o in objs if o["kind"] == "HorizontalPodAutoscaler"]
    scaled = find(objs, "ScaledObject", "k-vllm")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 4)
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "prometheus"
    query = 'sum(vllm:num_requests_waiting{namespace="llm",pod=~"k-vllm-[a-z0-9]+-[a-z0-9]+"})'
    assert trigger["metadata"] == {"serverAddress": "http://prom:9090", "threshold": "5", "query": query}
    assert "replicas" not in find(objs, "Deployment", "k-vllm")["spec"]


def test_keda_without_a_prometheus_address_is_an_error_at_the_provider_line(aimc, tmp_path):
    spec = LLAMA_8B + "autoScaling: {enabled: true, provider: keda, maxReplicas: 4}"
    result = build(aimc, tmp_path, {"k": endpoint("k", spec)})
    assert result.code == 1
    assert "k.yaml:7: spec.autoScaling.provider: keda needs a Prometheus server" in result.err


# -- model cache, secrets, resources -----------------------------------------------------------------------------

CACHE_INVENTORY = INVENTORY.replace("  nodePools:", "  modelCache: {storageClassName: nfs}\n  nodePools:")


def test_one_cache_claim_per_model_and_namespace_shared_by_endpoints(aimc, tmp_path):
    objs = objects(build(aimc, tmp_path, {
        "a": endpoint("a", QWEN_32B),
        "b": endpoint("b", QWEN_32B + "gpuCount: 2"),
        "c": endpoint("c", LLAMA_8B),
        "d": endpoint("d", LLAMA_8B + "modelCache: {enabled: false}"),
    }, CACHE_INVENTORY))
    claims = [o for o in objs if o["kind"] == "PersistentVolumeClaim"]
    assert [c["metadata"]["name"] for c in claims] == ["model-cache-meta-llama-llama-3-1-8b-instruct",
                                                       "model-cache-qwen-qwen3-32b"]
    qwen = find(objs, "PersistentVolumeClaim", "model-cache-qwen-qwen3-32b")
    assert qwen["spec"] == {"accessModes": ["ReadWriteMany"], "storageClassName": "nfs",
                            "resources": {"requests": {"storage": "80Gi"}}}  # 65.6 GB = 61.1 GiB × 1.2 → 80Gi
    for name in ("a", "b"):
        volumes = find(objs, "Deployment", f"{name}-vllm")["spec"]["template"]["spec"]["volumes"]
        assert {"name": "model-cache", "persistentVolumeClaim": {"claimName": "model-cache-qwen-qwen3-32b"}} in volumes
    opted_out = find(objs, "Deployment", "d-vllm")
    assert {"name": "model-cache", "emptyDir": {"sizeLimit": "20Gi"}} in opted_out["spec"]["template"]["spec"]["volumes"]
    for deployment in (opted_out, find(objs, "Deployment", "a-vllm")):
        assert env_of(deployment)["HF_HOME"] == "/root/.cache/huggingface"
        assert {"name": "model-cache", "mountPath": "/root/.cache/huggingface"} in container(deployment)["volumeMounts"]


def test_without_a_cache_in_the_inventory_no_claim_and_an_empty_dir(aimc, tmp_path):
    objs = objects(build(aimc, tmp_path, {"a": endpoint("a", QWEN_32B)}))
    assert not [o for o in objs if o["kind"] == "PersistentVolumeClaim"]
    volumes = find(objs, "Deployment", "a-vllm")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "model-cache", "emptyDir": {"sizeLimit": "80Gi"}} in volumes


def test_cache_claim_name_is_a_dns_label_with_a_hash_when_cut():
    from aimc.render.cache import claim_name

    assert claim_name("Qwen/Qwen3-32B") == "model-cache-qwen-qwen3-32b"
    long = claim_name("some-organisation/" + "a-very-long-model-name-" * 4)
    other = claim_name("some-organisation/" + "a-very-long-model-name-" * 4 + "v2")
    assert len(long) <= 63 and long != other and long[-9] == "-"


def test_hf_token_comes_from_the_endpoint_secret_else_the_inventory_default(aimc, tmp_path):
    inventory = INVENTORY.replace("  defaults: {namespace: llm}",
                                  "  defaults: {namespace: llm, hfTokenSecret: {name: hf}}")
    objs = objects(build(aimc, tmp_path, {
        "own": endpoint("own", LLAMA_8B + "hfTokenSecret: {name: mine, key: HF}"),
        "default": endpoint("default", LLAMA_8B),
    }, inventory))
    assert env_of(find(objs, "Deployment", "own-vllm"))["HF_TOKEN"] == {"secretKeyRef": {"name": "mine", "key": "HF"}}
    assert env_of(find(objs, "Deployment", "default-vllm"))["HF_TOKEN"] == {"secretKeyRef": {"name": "hf",
                                                                                             "key": "token"}}


@pytest.mark.parametrize("spec, field", [
    ("env: [{name: HF_TOKEN, value: abc}]", "spec.env[0].value"),
    ("env: [{name: X, value: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'}]", "spec.env[0].value"),
    ("customArgs: {--api-key: secret}", "spec.customArgs.--api-key"),
    ("customArgs: {--hf-token: abc}", "spec.customArgs.--hf-token"),
])
def test_inline_credentials_are_errors_with_file_and_line(aimc, tmp_path, spec, field):
    result = build(aimc, tmp_path, {"x": endpoint("x", LLAMA_8B + spec)})
    assert result.code == 1 and result.out == ""
    assert f"x.yaml:7: {field}: " in result.err and "holds a credential written inline" in result.err


def test_a_flag_may_read_a_credential_from_the_environment(aimc, tmp_path):
    spec = LLAMA_8B + ("customArgs: {--api-key: \"$(API_KEY)\"}\n"
                       "env: [{name: API_KEY, valueFrom: {secretKeyRef: {name: k, key: k}}}]")
    deployment = find(objects(build(aimc, tmp_path, {"x": endpoint("x", spec)})), "Deployment", "x-vllm")
    assert container(deployment)["args"][-2:] == ["--api-key", "$(API_KEY)"]


def test_resources_and_shm_scale_with_gpus_and_are_overridable(aimc, tmp_path):
    inventory = INVENTORY.replace("  defaults: {namespace: llm}",
                                  "  defaults: {namespace: llm, resources: {cpuPerGpu: 6}}")
    objs = objects(build(aimc, tmp_path, {
        "one": endpoint("one", QWEN_32B + "gpuCount: 1"),
        "eight": endpoint("eight", QWEN_32B + "gpuCount: 8"),
        "own": endpoint("own", QWEN_32B + "gpuCount: 2\nresources: {memoryPerGpu: 1.5Gi, cpuPerGpu: 500m}\n"
                                          "shmSize: 20Gi"),
    }, inventory))

    def shape(name):
        deployment = find(objs, "Deployment", name)
        shm = deployment["spec"]["template"]["spec"]["volumes"][0]
        assert shm["name"] == "dshm" and shm["emptyDir"]["medium"] == "Memory"
        return container(deployment)["resources"], shm["emptyDir"]["sizeLimit"]

    assert shape("one-vllm") == ({"requests": {"cpu": "6", "memory": "32Gi", "amd.com/gpu": "1", "ephemeral-storage": "80Gi"},
                                  "limits": {"memory": "48Gi", "amd.com/gpu": "1"}}, "8Gi")
    assert shape("eight-vllm") == ({"requests": {"cpu": "48", "memory": "256Gi", "amd.com/gpu": "8", "ephemeral-storage": "80Gi"},
                                    "limits": {"memory": "384Gi", "amd.com/gpu": "8"}}, "32Gi")
    assert shape("own-vllm") == ({"requests": {"cpu": "1", "memory": "3Gi", "amd.com/gpu": "2", "ephemeral-storage": "80Gi"},
                                  "limits": {"memory": "96Gi", "amd.com/gpu": "2"}}, "20Gi")


def test_memory_request_above_the_limit_is_an_error(aimc, tmp_path):
    result = build(aimc, tmp_path, {"x": endpoint("x", LLAMA_8B + "resources: {memoryPerGpu: 64Gi}")})
    assert result.code == 1
    assert "x.yaml:7: spec.resources: memoryPerGpu 64Gi is above memoryLimitPerGpu 48Gi" in result.err


def test_quantity_multiplication_is_exact():
    from aimc.render.sizing import multiply

    assert [multiply("32Gi", 4), multiply("1.5Gi", 3), multiply("500m", 3), multiply(4, 8), multiply("0.5", 3)] == \
        ["128Gi", "4608Mi", "1500m", "32", "1500m"]


# -- observability, metadata, security ---------------------------------------------------------------------------

def test_pod_monitor_only_when_the_inventory_runs_the_prometheus_operator(aimc, tmp_path):
    without = objects(build(aimc, tmp_path / "a", {"x": endpoint("x", LLAMA_8B)}))
    assert not [o for o in without if o["kind"] == "PodMonitor"]
    assert not any("prometheus.io" in str(o) for o in without)
    inventory = INVENTORY.replace("  nodePools:", "  monitoring: {prometheusOperator: true}\n  nodePools:")
    both = endpoint("x", LLAMA_8B + "servingEngines: [vllm, sglang]")
    monitor = find(objects(build(aimc, tmp_path / "b", {"x": both}, inventory)), "PodMonitor", "x")
    assert monitor["spec"]["selector"] == {"matchLabels": {"aim.engine.amd.com/endpoint": "x"}}
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]


def test_labels_describe_what_runs_and_the_checksum_follows_the_configuration(aimc, tmp_path):
    first = find(objects(build(aimc, tmp_path / "a", {"x": endpoint("x", LLAMA_8B)})), "Deployment", "x-vllm")
    labels = first["spec"]["template"]["metadata"]["labels"]
    assert {k: labels[k] for k in labels if k.startswith("aim.engine.amd.com/")} == {
        "aim.engine.amd.com/endpoint": "x", "aim.engine.amd.com/engine": "vllm",
        "aim.engine.amd.com/model": "meta-llama_Llama-3.1-8B-Instruct", "aim.engine.amd.com/hardware": "MI300X",
        "aim.engine.amd.com/precision": "fp16", "aim.engine.amd.com/gpu-count": "1"}
    assert first["metadata"]["annotations"]["aim.engine.amd.com/model"] == "meta-llama/Llama-3.1-8B-Instruct"
    checksum = "aim.engine.amd.com/config-checksum"
    changed = find(objects(build(aimc, tmp_path / "b", {"x": endpoint("x", LLAMA_8B + "customArgs: {--seed: 1}")})),
                   "Deployment", "x-vllm")
    again = find(objects(build(aimc, tmp_path / "c", {"x": endpoint("x", LLAMA_8B)})), "Deployment", "x-vllm")
    annotations = [d["spec"]["template"]["metadata"]["annotations"][checksum] for d in (first, changed, again)]
    assert annotations[0].startswith("sha256:")
    assert annotations[0] != annotations[1] and annotations[0] == annotations[2]


def test_label_values_are_valid_and_hashed_when_cut():
    import re

    from aimc.render.labels import label_value

    assert label_value("Qwen/Qwen3-32B") == "Qwen_Qwen3-32B"
    long = label_value("org/" + "x" * 80)
    assert len(long) <= 63 and re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", long)
    assert long != label_value("org/" + "x" * 81)


def test_pods_are_hardened(aimc):
    deployments = [d for d in yaml.safe_load_all(aimc("build", "examples").out) if d and d["kind"] == "Deployment"]
    assert {d["spec"]["template"]["spec"]["containers"][0]["name"] for d in deployments} >= {"vllm", "epp", "bbr"}
    for obj in deployments:
        pod = obj["spec"]["template"]["spec"]
        # Only the routing components (endpoint picker, body-based router) and a disaggregated endpoint's router
        # (which watches its roles' pods) call the Kubernetes API.
        routing = "aim.engine.amd.com/endpoint" not in obj["spec"]["selector"]["matchLabels"]
        router = obj["metadata"]["labels"]["app.kubernetes.io/component"] == "router"
        assert pod["automountServiceAccountToken"] is (routing or router)
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert key not in pod
        assert not any("hostPath" in volume for volume in pod["volumes"])
        context = pod["containers"][0]["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
        # IPC_LOCK only for a container with an RDMA device (RDMA pins memory): a disaggregated role's KV transfer
        rdma = "amd.com/nic" in pod["containers"][0].get("resources", {}).get("limits", {})
        assert context["capabilities"] == ({"drop": ["ALL"], "add": ["IPC_LOCK"]} if rdma else {"drop": ["ALL"]})
        if routing or router:  # non-root, read-only root filesystem, probes
            assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                              "seccompProfile": {"type": "RuntimeDefault"}}
            assert context["readOnlyRootFilesystem"] is True
            container = pod["containers"][0]
            assert "readinessProbe" in container and "livenessProbe" in container
            if routing:  # sized as the upstream charts size them
                assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        else:
            assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
            assert "runAsNonRoot" not in context  # the ROCm engine images run as root (README, Rendered workloads)


def test_examples_show_the_inventory_features():
    cluster = yaml.safe_load((REPO / "examples/cluster.yaml").read_text())
    assert {"modelCache", "monitoring"} <= set(cluster["spec"])


def test_engine_entries_divide_gpus_and_replicas_between_engines(aimc, tmp_path):
    spec = QWEN_32B + """servingEngines:
  - {engine: vllm, gpuCount: 1, replicas: 2, customArgs: {--max-num-seqs: 64}}
  - {engine: sglang, gpuCount: 2}
customArgs: {--api-key: "$(API_KEY)"}
env: [{name: API_KEY, valueFrom: {secretKeyRef: {name: k, key: k}}}]"""
    objs = objects(build(aimc, tmp_path, {"split": endpoint("split", spec)}))
    vllm, sglang = find(objs, "Deployment", "split-vllm"), find(objs, "Deployment", "split-sglang")
    assert (vllm["spec"]["replicas"], sglang["spec"]["replicas"]) == (2, 1)
    assert container(vllm)["resources"]["limits"]["amd.com/gpu"] == "1"
    assert container(sglang)["resources"]["limits"]["amd.com/gpu"] == "2"
    assert "--max-num-seqs" in container(vllm)["args"] and "--max-num-seqs" not in container(sglang)["args"]
    # Only the engine with two replicas gets a disruption budget.
    assert [n for k, n in kinds(objs) if k == "PodDisruptionBudget"] == ["split-vllm"]
    # With an API key on both engines the probes still use the key-exempt /health.
    for deployment in (vllm, sglang):
        assert "--api-key" in container(deployment)["args"]
        assert container(deployment)["readinessProbe"]["httpGet"]["path"] == "/health"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            check = container(deployment)[probe]
            path = check.get("httpGet", {}).get("path")
            assert path is None or path.startswith(("/health", "/metrics")), (probe, path)
    assert find(objs, "Service", "split")["spec"]["selector"] == {"aim.engine.amd.com/endpoint": "split"}


def _pod_templates(objs) -> dict:
    return {(o["kind"], o["metadata"]["name"]): yaml.safe_dump(o["spec"]["template"], sort_keys=True)
            for o in objs if "template" in o.get("spec", {})}


def test_a_label_only_change_leaves_every_pod_template_byte_identical(aimc, tmp_path):
    """A cosmetic label must not roll the GPU pods (a full model load each): labels go on the objects' metadata."""
    inventory = (REPO / "examples/cluster.yaml").read_text()  # with a gateway: endpoint pickers have pods too
    spec = "model: Qwen/Qwen3-32B\ngpuCount: 4\nreplicas: 2"
    labelled = endpoint("q", spec).replace("metadata: {name: q}", "metadata: {name: q, labels: {team: %s}}")
    before = objects(build(aimc, tmp_path / "a", {"q": labelled % "research"}, inventory))
    after = objects(build(aimc, tmp_path / "b", {"q": labelled % "search"}, inventory))
    templates = _pod_templates(before)
    assert ("Deployment", "q-vllm") in templates and len(templates) >= 2, sorted(templates)
    assert templates == _pod_templates(after)
    assert find(after, "Deployment", "q-vllm")["metadata"]["labels"]["team"] == "search"
    pod_labels = find(after, "Deployment", "q-vllm")["spec"]["template"]["metadata"]["labels"]
    assert "team" not in pod_labels and pod_labels["aim.engine.amd.com/endpoint"] == "q"


def test_benchmark_job_pods_carry_no_user_labels(aimc, tmp_path):
    spec = "model: Qwen/Qwen3-32B\ngpuCount: 4"
    labelled = endpoint("q", spec).replace("metadata: {name: q}", "metadata: {name: q, labels: {team: research}}")
    build(aimc, tmp_path, {"q": labelled})
    result = aimc("bench", "jobs", str(tmp_path))
    jobs = [d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "Job"]
    assert jobs, result
    assert all(j["metadata"]["labels"]["team"] == "research" for j in jobs)
    assert all("team" not in j["spec"]["template"]["metadata"]["labels"] for j in jobs)


def test_without_a_cache_the_emptydir_and_ephemeral_storage_are_sized_from_the_weights(aimc, tmp_path):
    objs = objects(build(aimc, tmp_path, {"q": endpoint("q", "model: Qwen/Qwen3-32B\ngpuCount: 4")}))
    deployment = find(objs, "Deployment", "q-vllm")
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "model-cache")
    assert volume == {"name": "model-cache", "emptyDir": {"sizeLimit": "80Gi"}}  # 65.6 GB × 1.2 in GiB, to 10Gi
    assert container(deployment)["resources"]["requests"]["ephemeral-storage"] == "80Gi"


def test_a_shared_cache_without_a_storage_class_warns(aimc, tmp_path):
    cached = INVENTORY + "  modelCache: {}\n"
    result = build(aimc, tmp_path, {"q": endpoint("q", "model: Qwen/Qwen3-32B\ngpuCount: 4")}, cached)
    assert result.code == 0, result
    assert ("cluster.yaml:8: warning: spec.modelCache.storageClassName: the shared model cache names no StorageClass"
            in result.err), result.err
    pod = find(objects(result), "Deployment", "q-vllm")
    assert "ephemeral-storage" not in container(pod)["resources"]["requests"]  # the weights are on the claim
    named = build(aimc, tmp_path, {"q": endpoint("q", "model: Qwen/Qwen3-32B\ngpuCount: 4")},
                  INVENTORY + "  modelCache: {storageClassName: nfs-csi}\n")
    assert "names no StorageClass" not in named.err
