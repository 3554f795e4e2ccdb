"""LeaderWorkerSets (render/leaderworkerset.py): the CRD's schema across the golden cases, leader-only selectors and
probes, the pool's network, the Ray leader script under hostile values, autoscaling and disruption of groups."""

from __future__ import annotations

from pathlib import Path

import crd_fixtures
import pytest
import yaml

from aimc import pipeline
from aimc.emit.output import plain
from aimc.render import leaderworkerset

CASES = Path(__file__).parent / "cases"
GOLDEN = sorted(CASES.glob("*/expected.yaml"))


def _objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def _lws_of_goldens() -> list[dict]:
    texts = [path.read_text() for path in GOLDEN]  # some goldens are reports, not YAML: only those with a group
    return [o for text in texts if "kind: LeaderWorkerSet" in text for o in _objects(text)
            if o.get("kind") == "LeaderWorkerSet"]


def test_goldens_hold_vllm_and_sglang_groups():
    engines = {o["metadata"]["labels"]["aim.engine.amd.com/engine"] for o in _lws_of_goldens()}
    assert engines >= {"vllm", "sglang"}


@pytest.mark.skipif(not crd_fixtures.available("LeaderWorkerSet"), reason="shared fixtures absent")
def test_every_golden_leaderworkerset_validates_against_the_crd():
    objects = _lws_of_goldens()
    assert objects
    for obj in objects:
        crd_fixtures.validate(obj)


def _build(case: str) -> list[dict]:
    inputs = CASES / case / "inputs"
    result = pipeline.compile(pipeline.Options(paths=(str(inputs),)))
    return [plain(r.obj) for r in result.objects]  # plain trees for the CRD validators


def _kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def test_only_the_leader_is_selected_and_probed():
    objects = _build("multinode-vllm")
    lws = _kind(objects, "LeaderWorkerSet")[0]
    template = lws["spec"]["leaderWorkerTemplate"]
    assert template["size"] == 2
    leader, worker = template["leaderTemplate"], template["workerTemplate"]
    service = _kind(objects, "Service")[0]
    selector = service["spec"]["selector"].items()
    assert selector <= leader["metadata"]["labels"].items()
    assert not selector <= worker["metadata"]["labels"].items()
    leader_c, worker_c = leader["spec"]["containers"][0], worker["spec"]["containers"][0]
    assert {"startupProbe", "readinessProbe", "livenessProbe", "ports"} <= leader_c.keys()
    assert not {"startupProbe", "readinessProbe", "livenessProbe", "ports"} & worker_c.keys()
    # Every pod: a whole node's GPUs, /dev/shm, the shared cache claim, the hardened pod.
    for pod in (leader["spec"], worker["spec"]):
        container = pod["containers"][0]
        assert container["resources"]["limits"]["amd.com/gpu"] == "8"
        assert container["resources"]["limits"]["rdma/hca_shared_devices_a"] == "1"
        assert {"name": "NCCL_SOCKET_IFNAME", "value": "net1,net2"} in container["env"]
        assert {"name": "GLOO_SOCKET_IFNAME", "value": "net1,net2"} in container["env"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
        assert volumes["model-cache"]["persistentVolumeClaim"]["claimName"].startswith("model-cache-")
        assert pod["automountServiceAccountToken"] is False
        # every capability dropped but IPC_LOCK, which the pool's RDMA device needs
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]}
        assert pod is leader["spec"] or pod is worker["spec"]
    for template in (leader, worker):
        assert template["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"] == "roce-a,roce-b"
    assert worker_c["command"] == ["ray", "start", "--address=$(LWS_LEADER_ADDRESS):6379", "--block"]


def test_leader_startup_budget_covers_the_group_joining():
    objects = _build("multinode-vllm")
    leader = _kind(objects, "LeaderWorkerSet")[0]["spec"]["leaderWorkerTemplate"]["leaderTemplate"]
    probe = leader["spec"]["containers"][0]["startupProbe"]
    from aimc.render import sizing

    ceiling = sizing.STARTUP_MAX_SECONDS // probe["periodSeconds"]
    assert probe["failureThreshold"] == ceiling + leaderworkerset.GROUP_JOIN_SECONDS // probe["periodSeconds"]


def test_autoscaler_targets_the_scale_subresource_and_pdb_covers_every_pod():
    objects = _build("multinode-vllm")
    hpa = _kind(objects, "HorizontalPodAutoscaler")[0]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "leaderworkerset.x-k8s.io/v1",
                                             "kind": "LeaderWorkerSet", "name": "llama-405b-vllm"}
    assert "replicas" not in _kind(objects, "LeaderWorkerSet")[0]["spec"]  # the autoscaler owns it
    pdb = _kind(objects, "PodDisruptionBudget")[0]
    assert pdb["spec"]["selector"] == {"matchLabels": {"leaderworkerset.sigs.k8s.io/name": "llama-405b-vllm"}}


def test_sglang_group_runs_the_server_in_every_pod_in_exec_form():
    objects = _build("multinode-sglang")
    template = _kind(objects, "LeaderWorkerSet")[0]["spec"]["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        container = template[role]["spec"]["containers"][0]
        assert container["command"] == ["python3", "-m", "sglang.launch_server"]
        args = container["args"]
        assert args[args.index("--nnodes") + 1] == "2"
        assert args[args.index("--node-rank") + 1] == "$(LWS_WORKER_INDEX)"
        assert args[args.index("--dist-init-addr") + 1] == "$(LWS_LEADER_ADDRESS):20000"
        assert args[args.index("--tp-size") + 1] == "8" and args[args.index("--pp-size") + 1] == "2"


def test_group_without_network_or_cache_warns():
    result = pipeline.compile(pipeline.Options(paths=(str(CASES / "multinode-sglang" / "inputs"),)))
    messages = [w.message for w in result.warnings]
    assert any("declares no network" in m for m in messages)
    assert any("without a shared model cache" in m for m in messages)
    clean = pipeline.compile(pipeline.Options(paths=(str(CASES / "multinode-vllm" / "inputs"),)))
    assert not clean.warnings


def test_group_owned_flags_in_custom_args_are_errors(tmp_path):
    import shutil

    from aimc.errors import UserError

    shutil.copytree(CASES / "multinode-sglang" / "inputs", tmp_path / "inputs")
    endpoint = tmp_path / "inputs" / "endpoints" / "qwen-235b.yaml"
    endpoint.write_text(endpoint.read_text() + "  customArgs:\n    --node-rank: '1'\n")
    with pytest.raises(UserError) as raised:
        pipeline.compile(pipeline.Options(paths=(str(tmp_path / "inputs"),)))
    assert "spec.customArgs.--node-rank: --node-rank is set by aimc for a multi-node group" in str(raised.value)


# -- $(VAR) in the engine's arguments: the same in a Deployment and in a vLLM group's leader -----------------------

SECRET_ENDPOINTS = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {{name: {name}}}
spec:
  model: {model}
  gpuCount: {gpus}
  env: [{{name: API_KEY, valueFrom: {{secretKeyRef: {{name: chat-api-key, key: key}}}}}}]
  customArgs: {{--api-key: "$(API_KEY)", --chat-template: {template}}}
"""
# A value with every kind of shell and Kubernetes syntax: it must reach vLLM as Kubernetes expands it, never run.
TEMPLATE = "'; touch pwned #`touch pwned2`$(touch pwned3) $$(API_KEY) \\\" a b"


def _secret_endpoints(tmp_path: Path) -> list[dict]:
    import json

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "cluster.yaml").write_text((CASES / "multinode-vllm" / "inputs" / "cluster.yaml").read_text())
    for name, model, gpus in (("one-node", "meta-llama/Llama-3.1-8B-Instruct", 1),
                              ("group", "meta-llama/Llama-3.1-405B-Instruct", 16)):
        (inputs / f"{name}.yaml").write_text(SECRET_ENDPOINTS.format(name=name, model=model, gpus=gpus,
                                                                     template=json.dumps(TEMPLATE)))
    result = pipeline.compile(pipeline.Options(paths=(str(inputs),)))
    return [r.obj for r in result.objects]


@pytest.mark.e2e
def test_a_secret_read_with_var_reaches_vllm_in_a_group_as_in_a_deployment(tmp_path):
    """The leader's script used to double every `$`, so `--api-key: "$(API_KEY)"` reached vLLM as the literal text."""
    import kube_expansion

    objects = _secret_endpoints(tmp_path)
    deployment = _kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    leader = (_kind(objects, "LeaderWorkerSet")[0]["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
              ["containers"][0])
    secrets = {"API_KEY": "the-secret-key"}
    for name, container in (("deployment", deployment), ("leader", leader)):
        command = kube_expansion.argv(container, secrets)
        [received] = kube_expansion.run_in_shell(command, tmp_path / name)
        assert not list((tmp_path / name).glob("pwned*")), "a value was run by the shell"
        # vLLM gets the container's args as Kubernetes expands them, in a group as in a Deployment.
        values = kube_expansion.container_values(container, secrets)
        assert received == ["-m", "vllm.entrypoints.openai.api_server",
                            *(kube_expansion.expand(arg, values) for arg in container["args"])]
        assert received[received.index("--api-key") + 1] == "the-secret-key"
        # $$(API_KEY) is Kubernetes' escape for the literal text; $(touch pwned3) names no variable and stays.
        assert received[received.index("--chat-template") + 1] == TEMPLATE.replace("$$(", "$(")


def test_the_leader_script_holds_no_input_value_and_kubernetes_expands_nothing_in_it(tmp_path):
    objects = _secret_endpoints(tmp_path)
    leader = (_kind(objects, "LeaderWorkerSet")[0]["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
              ["containers"][0])
    script = leader["command"][2]
    assert script == leaderworkerset.vllm_leader_script()
    assert "$(" not in script.replace("$$", "")
    assert leader["command"] == ["sh", "-c", script, "aimc-vllm-leader"]
    assert leader["args"][leader["args"].index("--api-key") + 1] == "$(API_KEY)"


def test_a_secret_flag_reading_an_undefined_variable_is_an_error(tmp_path):
    """Kubernetes leaves `$(NAME)` as written when the container defines no NAME: the engine would get the literal,
    guessable text as its key."""
    from aimc.errors import UserError

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "cluster.yaml").write_text((CASES / "multinode-vllm" / "inputs" / "cluster.yaml").read_text())
    (inputs / "e.yaml").write_text(SECRET_ENDPOINTS.format(name="e", model="meta-llama/Llama-3.1-8B-Instruct", gpus=1,
                                                           template="x").replace("$(API_KEY)", "$(API_KEYS)"))
    with pytest.raises(UserError) as raised:
        pipeline.compile(pipeline.Options(paths=(str(inputs),)))
    message = str(raised.value)
    assert "e.yaml:8: spec.customArgs.--api-key: '$(API_KEYS)' names no variable of the container" in message


# -- how a group's pods reach the pool's network ------------------------------------------------------------------
# A pod has only its own eth0 unless Multus attaches a secondary network named in the k8s.v1.cni.cncf.io/networks
# annotation (Multus docs/how-to-use.md; the RDMA shared device plugin's and AMD's network operator's example
# workloads use it), or it runs on the host's network (hostNetwork, with dnsPolicy ClusterFirstWithHostNet to still
# resolve Services). RDMA pins memory: those example workloads add the IPC_LOCK capability. AMD's network device
# plugin (ROCm/k8s-network-device-plugin) advertises its NICs as amd.com/nic (and virtual functions as amd.com/vnic).

GROUP_ENDPOINT = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: big}\n"
                  "spec: {model: meta-llama/Llama-3.1-405B-Instruct, gpuCount: 16, hfTokenSecret: {name: hf}}\n")


def _group_build(tmp_path, network: str):
    from aimc.errors import UserError

    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
        "  modelCache: {storageClassName: nfs}\n  nodePools:\n"
        "    - name: mi250\n      hardware: MI250\n      gpusPerNode: 8\n      nodeCount: 2\n"
        f"      network: {network}\n")
    (tmp_path / "e.yaml").write_text(GROUP_ENDPOINT)
    try:
        result = pipeline.compile(pipeline.Options(paths=(str(tmp_path),)))
    except UserError as error:
        return str(error)
    (group,) = [o.obj for o in result.objects if o.obj["kind"] == "LeaderWorkerSet"]
    template = group["spec"]["leaderWorkerTemplate"]
    return [template["leaderTemplate"], template["workerTemplate"]]


def test_attachments_become_the_multus_annotation_of_every_pod_of_the_group(tmp_path):
    pods = _group_build(tmp_path, "{attachments: [roce-a, net-ns/roce-b@rdma1], interfaces: [net1, rdma1]}")
    for pod in pods:
        assert pod["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"] == "roce-a,net-ns/roce-b@rdma1"
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        assert env["NCCL_SOCKET_IFNAME"] == env["GLOO_SOCKET_IFNAME"] == "net1,rdma1"
        assert "hostNetwork" not in pod["spec"]
        assert "add" not in pod["spec"]["containers"][0]["securityContext"]["capabilities"]  # no RDMA resource


def test_host_network_pods_keep_cluster_dns(tmp_path):
    for pod in _group_build(tmp_path, "{hostNetwork: true, interfaces: [eth1]}"):
        assert pod["spec"]["hostNetwork"] is True and pod["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
        assert "k8s.v1.cni.cncf.io/networks" not in pod["metadata"]["annotations"]


def test_an_rdma_resource_adds_ipc_lock_and_nothing_else(tmp_path):
    for pod in _group_build(tmp_path, "{rdmaResource: amd.com/nic, attachments: [amd-host-device-nad-nic], "
                                      "interfaces: [ens7np0]}"):
        main = pod["spec"]["containers"][0]
        assert main["resources"]["limits"]["amd.com/nic"] == main["resources"]["requests"]["amd.com/nic"] == "1"
        assert main["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]}
        assert main["securityContext"]["privileged"] is False


@pytest.mark.parametrize("network, line, message", [
    ("{interfaces: [eth1]}", 11, "spec.nodePools[0].network.interfaces: eth1 cannot be seen from a pod: without host "
                                 "networking a pod has only its own eth0"),
    ("{interfaces: [eth0, eth1], rdmaResource: rdma/hca}", 11, "network.interfaces: eth1 cannot be seen"),
    ("{hostNetwork: true, attachments: [roce], interfaces: [net1]}", 11,
     "spec.nodePools[0].network.hostNetwork: hostNetwork and attachments exclude each other"),
])
def test_a_network_a_pod_cannot_use_is_an_error_at_its_line(tmp_path, network, line, message):
    error = _group_build(tmp_path, network)
    assert isinstance(error, str) and f"{tmp_path}/cluster.yaml:{line}: " in error and message in error


def test_the_pods_own_eth0_needs_no_attachment(tmp_path):
    pods = _group_build(tmp_path, "{interfaces: [eth0]}")
    assert isinstance(pods, list)
