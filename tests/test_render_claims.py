"""GPUs through Dynamic Resource Allocation (render/claims.py, resolve/kube_target.py): a DRA pool's workloads get a
ResourceClaimTemplate and pod claims instead of extended-resource limits, with the same capacity accounting, and a
target Kubernetes version without resource.k8s.io/v1 is an error naming the version needed and its source."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import write_tree

from aimc import pipeline
from aimc.adapters import argocd
from aimc.errors import UserError
from aimc.k8s import typed_models
from aimc.k8s.versions import parse

CASES = Path(__file__).parent / "cases"
INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {{name: lab}}
spec:
{kubernetes}  defaults: {{namespace: llm}}
  nodePools:
    - name: mi300x
      hardware: MI300X
      gpusPerNode: 8
      nodeCount: {nodes}
      allocation: dra
{pool_extra}"""
QWEN = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {{name: qwen}}
spec:
  model: Qwen/Qwen3-32B
  precision: bf16
  replicas: {replicas}
"""


def _tree(tmp_path, kubernetes='  kubernetes: {version: "1.34"}\n', nodes=2, pool_extra="", replicas=1,
          endpoint=None):
    write_tree(tmp_path, {"cluster.yaml": INVENTORY.format(kubernetes=kubernetes, nodes=nodes, pool_extra=pool_extra),
                          "endpoints/qwen.yaml": endpoint or QWEN.format(replicas=replicas)})
    return str(tmp_path)


def _objects(aimc, path, *extra):
    result = aimc("build", path, *extra)
    assert result.code == 0, result
    return [d for d in yaml.safe_load_all(result.out) if d]


def _one(objs, kind):
    found = [o for o in objs if o["kind"] == kind]
    assert len(found) == 1, [o["kind"] for o in objs]
    return found[0]


def test_a_dra_pool_renders_a_claim_template_and_pod_claims_instead_of_gpu_limits(aimc, tmp_path):
    objs = _objects(aimc, _tree(tmp_path))
    template = _one(objs, "ResourceClaimTemplate")
    assert template["apiVersion"] == "resource.k8s.io/v1"
    assert template["metadata"]["name"] == "qwen-vllm-gpu" and template["metadata"]["namespace"] == "llm"
    request = template["spec"]["spec"]["devices"]["requests"]
    assert request == [{"name": "gpu", "exactly": {
        "deviceClassName": "gpu.amd.com", "allocationMode": "ExactCount", "count": 1,
        "selectors": [{"cel": {"expression": 'device.attributes["gpu.amd.com"].type == "amdgpu"'}}]}}]
    pod = _one(objs, "Deployment")["spec"]["template"]["spec"]
    assert pod["resourceClaims"] == [{"name": "gpu", "resourceClaimTemplateName": "qwen-vllm-gpu"}]
    resources = pod["containers"][0]["resources"]
    assert resources["claims"] == [{"name": "gpu"}]
    assert not any(key.startswith("amd.com/") for part in ("requests", "limits") for key in resources[part])


def test_a_device_plugin_pool_keeps_its_limits_and_renders_no_claims(aimc, tmp_path):
    path = _tree(tmp_path)
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("      allocation: dra\n", ""))
    objs = _objects(aimc, path)
    assert not [o for o in objs if o["kind"] == "ResourceClaimTemplate"]
    pod = _one(objs, "Deployment")["spec"]["template"]["spec"]
    assert "resourceClaims" not in pod and pod["containers"][0]["resources"]["limits"]["amd.com/gpu"] == "1"


def test_partitions_select_the_profile_the_amd_driver_publishes(aimc, tmp_path):
    extra = "      dra: {deviceClassName: gpu.example.com}\n      partition: {compute: CPX, memory: NPS4}\n"
    path = _tree(tmp_path, pool_extra=extra.replace("gpusPerNode: 8", ""))
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("gpusPerNode: 8", "gpusPerNode: 64"))
    result = aimc("build", path)
    assert "partition label" not in result.err  # the claim selects the partition: no node label needed
    template = _one(_objects(aimc, path), "ResourceClaimTemplate")
    exactly = template["spec"]["spec"]["devices"]["requests"][0]["exactly"]
    assert exactly["deviceClassName"] == "gpu.example.com"
    assert exactly["selectors"][0]["cel"]["expression"] == (
        'device.attributes["gpu.amd.com"].type == "amdgpu-partition" && '
        'has(device.attributes["gpu.amd.com"].partitionProfile) && '
        'device.attributes["gpu.amd.com"].partitionProfile == "cpx_nps4"')


def test_spx_is_a_whole_gpu_of_profile_spx_nps1(aimc, tmp_path):
    path = _tree(tmp_path, pool_extra="      partition: {compute: SPX}\n")
    exactly = _one(_objects(aimc, path), "ResourceClaimTemplate")["spec"]["spec"]["devices"]["requests"][0]["exactly"]
    assert exactly["selectors"][0]["cel"]["expression"] == (
        'device.attributes["gpu.amd.com"].type == "amdgpu" && '
        'has(device.attributes["gpu.amd.com"].partitionProfile) && '
        'device.attributes["gpu.amd.com"].partitionProfile == "spx_nps1"')


def test_a_multi_node_group_claims_a_whole_node_per_pod(aimc, tmp_path):
    endpoint = QWEN.format(replicas=1).replace("Qwen/Qwen3-32B", "meta-llama/Llama-3.1-405B-Instruct").replace(
        "precision: bf16", "gpuCount: 16")
    path = _tree(tmp_path, nodes=4, endpoint=endpoint)
    cluster = tmp_path / "cluster.yaml"  # the recipes of the 16-GPU group are for MI250 (tests/cases/multinode-vllm)
    cluster.write_text(cluster.read_text().replace("hardware: MI300X", "hardware: MI250"))
    objs = _objects(aimc, path)
    template = _one(objs, "ResourceClaimTemplate")
    assert template["spec"]["spec"]["devices"]["requests"][0]["exactly"]["count"] == 8
    group = _one(objs, "LeaderWorkerSet")["spec"]["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        pod = group[role]["spec"]
        assert pod["resourceClaims"] == [{"name": "gpu", "resourceClaimTemplateName": template["metadata"]["name"]}]
        assert "amd.com/gpu" not in pod["containers"][0]["resources"]["limits"]


def test_capacity_is_counted_as_for_the_device_plugin(aimc, tmp_path):
    """Two nodes of 8 GPUs: 17 one-GPU replicas do not fit, with or without DRA."""
    result = aimc("build", _tree(tmp_path, replicas=17))
    assert result.code == 1 and "mi300x" in result.err and "overcommit" in result.err.lower(), result
    assert aimc("build", _tree(tmp_path, replicas=16)).code == 0


def test_a_target_before_1_34_is_an_error_naming_the_version_and_its_source(aimc, tmp_path):
    result = aimc("build", _tree(tmp_path, kubernetes='  kubernetes: {version: "1.33.4"}\n'))
    assert result.code == 1 and result.out == ""
    assert "cluster.yaml:12: spec.nodePools[0].allocation: allocation: dra needs Kubernetes 1.34 or later" in result.err
    assert "the target is 1.33 from spec.kubernetes.version (" in result.err and "cluster.yaml:5)" in result.err


def test_argo_cds_kube_version_is_the_version_checked(tmp_path, monkeypatch):
    path = _tree(tmp_path)  # the inventory says 1.34; the cluster Argo CD deploys to says 1.32
    monkeypatch.chdir(tmp_path)
    try:
        argocd.generate({"KUBE_VERSION": "v1.32.1"}, tmp_path)
    except UserError as error:
        text = "\n".join(str(d) for d in error.diagnostics)
    else:
        raise AssertionError("a 1.32 cluster accepted resource.k8s.io/v1")
    assert "needs Kubernetes 1.34 or later" in text and "the target is 1.32 from KUBE_VERSION" in text
    assert path


def test_without_a_known_version_a_warning_says_what_dra_needs(aimc, tmp_path):
    result = aimc("build", _tree(tmp_path, kubernetes=""))
    assert result.code == 0
    assert "warning: spec.nodePools[0].allocation:" in result.err and "Kubernetes 1.34" in result.err
    assert aimc("build", "--strict", _tree(tmp_path, kubernetes="")).code == 1


def test_dra_settings_without_dra_and_a_gpu_resource_with_it_are_errors(aimc, tmp_path):
    path = _tree(tmp_path, pool_extra="      gpuResource: amd.com/gpu\n")
    result = aimc("build", path)
    assert result.code == 1 and "spec.nodePools[0].gpuResource: a pool with allocation: dra" in result.err
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("      allocation: dra\n", "").replace(
        "gpuResource: amd.com/gpu", "dra: {deviceClassName: gpu.amd.com}"))
    result = aimc("build", path)
    assert result.code == 1 and "spec.nodePools[0].dra: dra settings apply only to a pool with allocation: dra" \
        in result.err


def test_the_rendered_objects_load_into_the_kubernetes_typed_models(tmp_path):
    result = pipeline.compile(pipeline.Options(paths=(_tree(tmp_path),), kube_version=parse("1.34")))
    kinds = {o.obj["kind"] for o in result.objects}
    assert "ResourceClaimTemplate" in kinds
    assert typed_models.check_objects(result.objects) == []


@pytest.mark.parametrize("version", ["1.34.0", "1.35.0", "1.36.0", "1.37.0"])
def test_the_golden_dra_objects_validate_against_every_kubernetes_from_1_34(aimc, version):
    """kubernetes-validate's schemas of each version that serves resource.k8s.io/v1 (1.34, GA, to the newest aimc
    targets, tests/test_cli_build.py); before 1.34 the build is refused (above)."""
    import kubernetes_validate

    objs = _objects(aimc, str(CASES / "dra-claims" / "inputs"))
    assert {"ResourceClaimTemplate", "Deployment"} <= {o["kind"] for o in objs}
    for obj in objs:
        kubernetes_validate.validate(obj, version, strict=True)


def test_a_cluster_that_turned_dra_off_is_an_error_naming_the_gate(aimc, tmp_path):
    kubernetes = '  kubernetes:\n    version: "1.35"\n    featureGates: {DynamicResourceAllocation: false}\n'
    result = aimc("build", _tree(tmp_path, kubernetes=kubernetes))
    assert result.code == 1 and "spec.nodePools[0].allocation: allocation: dra needs Dynamic Resource Allocation, " \
        "which the cluster turned off (spec.kubernetes.featureGates.DynamicResourceAllocation: false" in result.err


@pytest.mark.parametrize("field, value", [
    ("dra", {"deviceClassName": "gpu.amd.com\n---\nkind: Secret"}),
    ("dra", {"deviceClassName": "$(HOME)"}),
    ("dra", {"deviceClassName": "x" * 300}),
    ("dra", {"deviceClassName": "gpu.ämd.com"}),
    ("kubernetes", {"version": "1.34; rm -rf /"}),
    ("kubernetes", {"version": "1." + "9" * 5000}),
    ("kubernetes", {"featureGates": {"Anything`id`": True}}),
])
def test_hostile_text_in_the_dra_and_kubernetes_settings_is_refused_at_its_field(aimc, tmp_path, field, value):
    """Text that would reach a selector or a message raw (line breaks, document markers, `$(`, shell metacharacters,
    huge values, Unicode) is refused by the schema with file:line and the field, exit 1, never a traceback."""
    import json

    if field == "dra":
        path = _tree(tmp_path, pool_extra=f"      dra: {json.dumps(value)}\n")
    else:
        path = _tree(tmp_path, kubernetes=f"  kubernetes: {json.dumps(value)}\n")
    result = aimc("build", path)
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err, result
    assert "cluster.yaml:" in result.err and (f"spec.nodePools[0].{field}" in result.err
                                               or f"spec.{field}" in result.err)
    assert "\n---\n" not in result.err and "kind: Secret\n" not in result.err
