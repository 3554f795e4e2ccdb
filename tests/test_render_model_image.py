"""OCI model images (resolve/model_source.py, render/model_image.py): spec.modelSource or the inventory's default per
model mounts the model with a read-only image volume, points the engine at the mount, and renders no download, no
cache claim and no token; the target Kubernetes version and its ImageVolume gate are checked (resolve/kube_target.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_printing_properties import CONTROL, hostile_text, yaml_json

from aimc import pipeline
from aimc.k8s import typed_models
from aimc.k8s.versions import parse

DIGEST = "registry.example.com/models/qwen3-32b@sha256:" + "0123456789abcdef" * 4
INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {{name: lab}}
spec:
{kubernetes}  modelCache: {{storageClassName: nfs}}
  defaults:
    namespace: llm
    hfTokenSecret: {{name: hf-token}}
    modelSources:
      meta-llama/Llama-3.1-8B-Instruct: {{image: "registry.example.com/models/llama-3.1-8b:v1"}}
  nodePools:
    - {{name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}}
"""
QWEN = f"""\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {{name: qwen}}
spec:
  model: Qwen/Qwen3-32B
  precision: bf16
  modelSource: {{image: "{DIGEST}", path: snapshot/qwen3}}
"""
LLAMA = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: llama}
spec:
  model: meta-llama/Llama-3.1-8B-Instruct
  precision: fp16
"""
PLAIN = LLAMA.replace("name: llama", "name: plain").replace("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-32B") \
    .replace("fp16", "bf16")


def _tree(tmp_path, kubernetes='  kubernetes: {version: "1.35"}\n', endpoints=(QWEN, LLAMA, PLAIN)):
    files = {"cluster.yaml": INVENTORY.format(kubernetes=kubernetes)}
    files.update({f"endpoints/e{i}.yaml": text for i, text in enumerate(endpoints)})
    write_tree(tmp_path, files)
    return str(tmp_path)


def _objects(aimc, path):
    result = aimc("build", path)
    assert result.code == 0, result
    return [d for d in yaml.safe_load_all(result.out) if d]


def _deployment(objs, name):
    return next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def _env(container) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_an_oci_source_mounts_an_image_volume_read_only_and_the_engine_loads_the_mount(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path))
    pod = _deployment(objs, "qwen-vllm")["spec"]["template"]["spec"]
    assert {"name": "model-image", "image": {"reference": DIGEST, "pullPolicy": "IfNotPresent"}} in pod["volumes"]
    main = pod["containers"][0]
    assert {"name": "model-image", "mountPath": "/models/model", "readOnly": True, "subPath": "snapshot/qwen3"} \
        in main["volumeMounts"]
    assert main["args"][:4] == ["--model", "/models/model", "--served-model-name", "Qwen/Qwen3-32B"]
    env = _env(main)
    assert env["HF_HUB_OFFLINE"] == "1" and "HF_TOKEN" not in env  # no download, no token
    assert "ephemeral-storage" not in main["resources"]["requests"]  # no weights land on the node's disk


def test_the_inventorys_default_per_model_applies_and_others_still_download(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path))
    llama = _deployment(objs, "llama-vllm")["spec"]["template"]["spec"]
    assert {"name": "model-image", "image": {"reference": "registry.example.com/models/llama-3.1-8b:v1",
                                             "pullPolicy": "IfNotPresent"}} in llama["volumes"]
    assert llama["containers"][0]["args"][1] == "/models/model"
    plain = _deployment(objs, "plain-vllm")["spec"]["template"]["spec"]
    assert plain["containers"][0]["args"][1] == "Qwen/Qwen3-32B"
    assert not any(v["name"] == "model-image" for v in plain["volumes"])
    # It downloads through the shared cache's Job (render/download.py), which holds the token; the image-sourced
    # endpoints have no Job.
    (job,) = [o for o in objs if o["kind"] == "Job"]
    assert job["metadata"]["annotations"]["aim.engine.amd.com/model"] == "Qwen/Qwen3-32B"
    assert _env(job["spec"]["template"]["spec"]["containers"][0])["HF_TOKEN"] == {
        "secretKeyRef": {"name": "hf-token", "key": "token"}}
    # Only the downloading endpoint has a cache claim; the image-sourced ones share none.
    claims = [o["metadata"]["name"] for o in objs if o["kind"] == "PersistentVolumeClaim"]
    assert claims == ["model-cache-qwen-qwen3-32b"]
    assert any(v.get("persistentVolumeClaim") for v in plain["volumes"])
    assert not any(v.get("persistentVolumeClaim") for v in llama["volumes"])


@pytest.mark.parametrize("kubernetes, needed", [
    ('  kubernetes: {version: "1.32"}\n', "the target is 1.32 from spec.kubernetes.version"),
    ('  kubernetes: {version: "1.34.1"}\n', "where the gate is off by default"),
    ('  kubernetes: {version: "1.36", featureGates: {ImageVolume: false}}\n', "ImageVolume is false on the target"),
])
def test_a_target_without_image_volumes_is_an_error_at_the_source(aimc, tmp_path, kubernetes, needed):
    result = aimc("build", _tree(tmp_path, kubernetes=kubernetes))
    assert result.code == 1 and result.out == "", result
    assert needed in result.err
    assert "e0.yaml:7: spec.modelSource: an OCI model source is mounted as an image volume, which needs Kubernetes " \
           "1.35 or later, or 1.33 or 1.34 with the ImageVolume feature gate on" in result.err
    assert "cluster.yaml:11: spec.defaults.modelSources.meta-llama/Llama-3.1-8B-Instruct:" in result.err
    assert result.err.count("image volume") == 2  # once per place a source is written, not per endpoint


@pytest.mark.parametrize("kubernetes", ['  kubernetes: {version: "1.33", featureGates: {ImageVolume: true}}\n',
                                        '  kubernetes: {version: "v1.35.0"}\n'])
def test_versions_with_image_volumes_build(aimc, tmp_path, kubernetes):
    assert aimc("build", _tree(tmp_path, kubernetes=kubernetes)).code == 0


def test_argo_cds_kube_version_wins_over_the_inventory(tmp_path):
    options = pipeline.Options(paths=(_tree(tmp_path),), kube_version=parse("1.31.0"))
    with pytest.raises(Exception) as raised:
        pipeline.compile(options)
    assert "the target is 1.31 from KUBE_VERSION (set by Argo CD)" in str(raised.value.diagnostics)


def test_without_a_known_version_a_warning_says_what_image_volumes_need(aimc, tmp_path):
    result = aimc("build", _tree(tmp_path, kubernetes=""))
    assert result.code == 0 and "warning: spec.modelSource: an OCI model source" in result.err
    assert "declare the cluster's spec.kubernetes.version" in result.err


@pytest.mark.parametrize("image, problem", [
    ("registry.example.com/models/qwen:latest", "uses the 'latest' tag"),
    ("registry.example.com/models/qwen", "has no tag"),
    ("Registry/UPPER:v1", "is not a valid image reference"),
])
def test_an_unpinned_or_malformed_image_is_an_error_at_its_line(aimc, tmp_path, image, problem):
    result = aimc("build", _tree(tmp_path, endpoints=(QWEN.replace(DIGEST, image),)))
    assert result.code == 1 and "e0.yaml:7: spec.modelSource.image: " in result.err and problem in result.err


@pytest.mark.parametrize("path", ["../etc", "a/./b", "a/..", "/abs", "a//b", "a/$(HOME)", "a b", "x\ny", "é"])
def test_a_path_that_leaves_the_image_or_holds_odd_characters_is_refused(aimc, tmp_path, path):
    text = QWEN.replace("path: snapshot/qwen3", f"path: {json.dumps(path)}")
    result = aimc("build", _tree(tmp_path, endpoints=(text,)))
    assert result.code == 1 and "spec.modelSource.path" in result.err, result


def test_the_rendered_objects_load_into_the_kubernetes_typed_models(tmp_path):
    result = pipeline.compile(pipeline.Options(paths=(_tree(tmp_path),)))
    assert typed_models.check_objects(result.objects) == []


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["image", "path"]), text=hostile_text)
def test_hostile_text_in_a_model_source_is_refused_at_its_line_and_never_printed_raw(aimc, tmp_path_factory, field,
                                                                                     text):
    """Line breaks, document markers, `$(`, shell metacharacters, controls, huge values and Unicode in the image or
    the path: refused with file:line and the field (exit 1), never a traceback, never rendered."""
    source = {"image": DIGEST, "path": "models"}
    source[field] = text * 50 if len(text) < 3 else text  # huge values too
    endpoint = QWEN.replace(f'{{image: "{DIGEST}", path: snapshot/qwen3}}', yaml_json(source))
    result = aimc("build", _tree(tmp_path_factory.mktemp("hostile"), endpoints=(endpoint,)))
    assert result.code == 1 and result.out == "", result
    assert "e0.yaml:7: spec.modelSource" in result.err and "Traceback" not in result.err
    assert not CONTROL.search(result.err.replace("\n", ""))


@pytest.mark.parametrize("version", ["1.33.0", "1.34.0", "1.35.0", "1.36.0", "1.37.0"])
def test_the_golden_image_volumes_validate_against_every_kubernetes_from_1_33(aimc, version):
    """kubernetes-validate's schemas of each version aimc lets image volumes run on (1.33 with the gate, to the newest
    aimc targets, tests/test_cli_build.py)."""
    import kubernetes_validate

    objs = _objects(aimc, str(Path(__file__).parent / "cases" / "oci-model-image" / "inputs"))
    assert any(v.get("image") for o in objs if o["kind"] == "Deployment"
               for v in o["spec"]["template"]["spec"]["volumes"])
    for obj in objs:
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("key", ["a\n---\nkind: Secret", "$(HOME)/x", "-leading", "m" * 300, "ünïcode/x"])
def test_a_hostile_model_id_in_the_inventory_defaults_is_refused(aimc, tmp_path, key):
    inventory = INVENTORY.format(kubernetes="").replace("meta-llama/Llama-3.1-8B-Instruct:", f"{json.dumps(key)}:")
    write_tree(tmp_path, {"cluster.yaml": inventory, "endpoints/e0.yaml": PLAIN})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err, result
    assert "cluster.yaml:" in result.err and "spec.defaults.modelSources" in result.err
    assert "\n---\n" not in result.err
