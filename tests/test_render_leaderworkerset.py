"""LeaderWorkerSets (render/leaderworkerset.py): the CRD's schema across the golden cases, leader-only selectors and
probes, the pool's network, the Ray leader script under hostile values, autoscaling and disruption of groups."""

from __future__ import annotations

import shlex
from pathlib import Path

import crd_fixtures
import pytest
import yaml

from aimc import pipeline
from aimc.records import replace
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
    return [r.obj for r in result.objects]


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
        assert container["resources"]["limits"]["rdma/hca"] == "1"
        assert {"name": "NCCL_SOCKET_IFNAME", "value": "eth1,eth2"} in container["env"]
        assert {"name": "GLOO_SOCKET_IFNAME", "value": "eth1,eth2"} in container["env"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
        assert volumes["model-cache"]["persistentVolumeClaim"]["claimName"].startswith("model-cache-")
        assert pod["automountServiceAccountToken"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
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


HOSTILE = ["'; rm -rf / #", '"$(id)"', "$(HF_TOKEN)", "`reboot`", "a b\nc", "x && y", "$$HOME", "\\'"]


@pytest.mark.parametrize("value", HOSTILE)
def test_vllm_leader_script_quotes_every_value(value):
    result = pipeline.compile(pipeline.Options(paths=(str(CASES / "multinode-vllm" / "inputs"),)))
    engine = result.resolution.endpoints[0].engines[0]
    hostile = replace(engine, args=engine.args + ("--served-model-name", value))
    script = leaderworkerset.vllm_leader_script(hostile)
    # Kubernetes turns $$ into $ and expands nothing else (every $ was doubled); then sh splits the words.
    assert "$(" not in script.replace("$$", "")
    shell_text = script.replace("$$", "$")
    server = shell_text.split(" && exec ", 1)[1]
    assert shlex.split(server)[-2:] == ["--served-model-name", value]
    assert shlex.split(server)[:3] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]


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
