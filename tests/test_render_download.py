"""Download once (render/download.py): a shared ReadWriteMany model cache gets one download Job per namespace, model
and revision, ordered before the serving pods (Argo CD sync waves), and the serving pods wait for it and never
download; a per-pod cache keeps each pod's own download."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from conftest import write_tree

from aimc import pipeline
from aimc.k8s import typed_models

INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {{name: lab}}
spec:
  modelCache: {{storageClassName: nfs-csi{access}}}
  defaults:
    namespace: llm
    hfTokenSecret: {{name: hf-token, key: token}}
  nodePools:
    - name: mi300x
      hardware: MI300X
      gpusPerNode: 8
      nodeCount: 4
      nodeSelector: {{amd.com/gpu.product-name: MI300X}}
"""


def endpoint(name: str, extra: str = "", namespace: str = "") -> str:
    meta = f"{{name: {name}{', namespace: ' + namespace if namespace else ''}}}"
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {meta}\nspec:\n"
            f"  model: Qwen/Qwen3-32B\n  precision: bf16\n{extra}")


def _tree(tmp_path, endpoints: dict[str, str], access: str = "") -> str:
    files = {"cluster.yaml": INVENTORY.format(access=access)}
    files.update({f"endpoints/{name}.yaml": text for name, text in endpoints.items()})
    write_tree(tmp_path, files)
    return str(tmp_path)


def _objects(aimc, path):
    result = aimc("build", path)
    assert result.code == 0, result
    return [d for d in yaml.safe_load_all(result.out) if d]


def _jobs(objs):
    return [o for o in objs if o["kind"] == "Job"]


def _pod(objs, name):
    return next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == name)["spec"]["template"][
        "spec"]


def _env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


TWO_SAME = {"a": endpoint("a"), "b": endpoint("b", "  servingEngine: sglang\n  gpuCount: 2\n")}


def test_one_job_per_model_and_revision_fills_a_shared_cache(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path, {**TWO_SAME, "c": endpoint("c", "  customArgs: {--revision: v2}\n")}))
    jobs = _jobs(objs)
    assert len(jobs) == 2, [j["metadata"]["name"] for j in jobs]  # a and b share main; c loads v2
    revisions = sorted(j["metadata"]["annotations"]["aim.engine.amd.com/revision"] for j in jobs)
    assert revisions == ["main", "v2"]
    for job in jobs:
        main = job["spec"]["template"]["spec"]["containers"][0]
        assert main["command"][:2] == ["python3", "-c"] and "snapshot_download" in main["command"][2]
        assert main["command"][3] == "Qwen/Qwen3-32B"
        assert job["spec"]["template"]["spec"]["volumes"] == [
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": "model-cache-qwen-qwen3-32b"}}]


def test_serving_pods_wait_for_the_download_and_never_download(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path, TWO_SAME))
    job = _jobs(objs)[0]
    marker = job["spec"]["template"]["spec"]["containers"][0]["command"][5]
    for name in ("a-vllm", "b-sglang"):
        pod = _pod(objs, name)
        (wait,) = pod["initContainers"]
        assert wait["command"][:2] == ["sh", "-c"] and wait["command"][-1] == marker
        assert wait["volumeMounts"] == [{"name": "model-cache", "mountPath": "/root/.cache/huggingface"}]
        env = _env(pod["containers"][0])
        assert env["HF_HUB_OFFLINE"] == "1" and "HF_TOKEN" not in env


def test_argo_cd_applies_the_claim_and_the_job_before_the_serving_objects(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path, TWO_SAME))
    (claim,) = [o for o in objs if o["kind"] == "PersistentVolumeClaim"]
    assert claim["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1"
    assert _jobs(objs)[0]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1"
    for obj in objs:
        if obj["kind"] in ("Deployment", "Service", "PodDisruptionBudget"):
            assert "argocd.argoproj.io/sync-wave" not in (obj["metadata"].get("annotations") or {})


def test_the_job_keeps_the_token_and_hardening_rules_of_the_download(aimc, tmp_path):
    job = _jobs(_objects(aimc, _tree(tmp_path, TWO_SAME)))[0]
    pod = job["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    main = pod["containers"][0]
    assert main["securityContext"] == {"allowPrivilegeEscalation": False, "privileged": False,
                                       "capabilities": {"drop": ["ALL"]}}
    assert _env(main)["HF_TOKEN"] == {"secretKeyRef": {"name": "hf-token", "key": "token"}}
    assert pod["nodeSelector"] == {"amd.com/gpu.product-name": "MI300X"}  # the engine image lands where it runs


def test_one_job_per_namespace_since_each_namespace_has_its_claim(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path, {"a": endpoint("a"), "b": endpoint("b", namespace="other")}))
    assert sorted(j["metadata"]["namespace"] for j in _jobs(objs)) == ["llm", "other"]


def test_a_per_pod_cache_keeps_todays_download(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path, {"a": endpoint("a")}, access=", accessMode: ReadWriteOnce"))
    assert not _jobs(objs)
    pod = _pod(objs, "a-vllm")
    assert "initContainers" not in pod and "HF_HUB_OFFLINE" not in _env(pod["containers"][0])
    assert _env(pod["containers"][0])["HF_TOKEN"]
    objs = _objects(aimc, _tree(tmp_path, {"a": endpoint("a", "  modelCache: {enabled: false}\n")}))
    assert not _jobs(objs) and "initContainers" not in _pod(objs, "a-vllm")


def test_the_job_name_changes_with_what_it_downloads(aimc, tmp_path):
    first = _jobs(_objects(aimc, _tree(tmp_path, {"a": endpoint("a")})))[0]["metadata"]["name"]
    second = _jobs(_objects(aimc, _tree(tmp_path, {"a": endpoint("a", "  customArgs: {--revision: v2}\n")})))
    assert first != second[0]["metadata"]["name"] and len(second[0]["metadata"]["name"]) <= 63


def test_input_values_reach_the_job_only_as_arguments_with_dollars_doubled(aimc, tmp_path):
    revision = "$(HF_TOKEN)\n---\nx: 1; rm -rf / `id`"
    objs = _objects(aimc, _tree(tmp_path, {"a": endpoint("a", f"  customArgs: {{--revision: {json.dumps(revision)}}}\n")}))
    job = _jobs(objs)[0]
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "HF_TOKEN" not in command[2]
    assert command[4].startswith("$$(HF_TOKEN)") and "rm -rf" in command[4]
    assert len([o for o in objs if o["kind"] == "Job"]) == 1


def test_the_download_script_reads_its_values_from_argv_only(monkeypatch, tmp_path):
    """The script runs (in this process) with made-up arguments against a stub huggingface_hub that records the
    calls: the values come from argv, unchanged, and the safetensors rule drops the .bin copies."""
    import types

    from aimc.render.download import DOWNLOAD_SCRIPT

    calls: list = []

    class HfApi:
        def list_repo_files(self, repo, revision):
            calls.append(("list", repo, revision))
            return ["model.safetensors", "pytorch_model.bin"]

    stub = types.ModuleType("huggingface_hub")
    stub.HfApi = HfApi  # type: ignore[attr-defined]
    stub.snapshot_download = lambda **kw: calls.append(("get", kw))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", stub)
    marker = tmp_path / "sub" / "m.done"
    monkeypatch.setattr(sys, "argv", ["-c", "org/$(x)", "v1", str(marker)])
    exec(compile(DOWNLOAD_SCRIPT, "download-script", "exec"), {"__name__": "__main__"})
    assert calls == [("list", "org/$(x)", "v1"), ("get", {"repo_id": "org/$(x)", "revision": "v1",
                                                          "ignore_patterns": ["original/**/*", "*.bin", "*.pt",
                                                                              "*.pth"]})]
    assert marker.read_text() == "org/$(x)@v1\n"


def test_the_rendered_objects_load_into_the_kubernetes_typed_models(tmp_path):
    result = pipeline.compile(pipeline.Options(paths=(_tree(tmp_path, TWO_SAME),)))
    assert {o.obj["kind"] for o in result.objects} >= {"Job", "Deployment", "PersistentVolumeClaim"}
    assert typed_models.check_objects(result.objects) == []


def test_the_job_is_the_same_whatever_the_order_of_the_endpoints(aimc, tmp_path):
    """Two endpoints of one checkpoint with different images: the Job runs the image of the first by name."""
    a = endpoint("a", "  image: rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103\n")
    z = endpoint("z")
    first = _jobs(_objects(aimc, _tree(tmp_path / "1", {"a": a, "z": z})))
    # The endpoint with the other image first in the files, last by name: the Job still takes the first by name.
    second = _jobs(_objects(aimc, _tree(tmp_path / "2", {"a": a.replace("name: a}", "name: zz}"),
                                                          "b": z.replace("name: z}", "name: a0}")})))
    assert first[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103"
    assert second[0]["spec"]["template"]["spec"]["containers"][0]["image"] != \
        "rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103"


@pytest.mark.parametrize("version", ["1.29.0", "1.37.0"])
def test_the_jobs_and_waiting_pods_validate_against_the_oldest_and_newest_kubernetes(aimc, tmp_path, version):
    import kubernetes_validate

    objs = _objects(aimc, _tree(tmp_path, TWO_SAME))
    assert _jobs(objs)
    for obj in objs:
        kubernetes_validate.validate(obj, version, strict=True)
