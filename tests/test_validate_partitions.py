"""Partitioned GPUs (spec.nodePools[].partition) and the hardware catalog's corrections."""

from __future__ import annotations

from conftest import write_tree

from aimc.catalog import model_facts as facts
from aimc.model.inputs import NodePool, Origin, Partition
from aimc.resolve import fit

INVENTORY = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
             "spec:\n  nodePools:\n    - name: p\n      hardware: %s\n      gpusPerNode: %d\n      nodeCount: 1\n%s")
QWEN = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen}\n"
        "spec: {model: Qwen/Qwen3-32B, precision: bf16}\n")


def pool(hardware="MI300X", partition=None, memory=None):
    return NodePool("p", hardware, 8, 1, "amd.com/gpu", (), (), memory, 0, Origin("c.yaml", "c.yaml", 1), partition)


def test_memory_per_logical_gpu_is_the_device_memory_divided_by_compute_partitions():
    assert fit.pool_memory(pool()) == 192
    assert fit.pool_memory(pool(partition=Partition("DPX", "NPS1"))) == 96
    assert fit.pool_memory(pool(partition=Partition("QPX", "NPS1"))) == 48
    assert fit.pool_memory(pool(partition=Partition("CPX", "NPS4"))) == 24
    assert fit.pool_memory(pool(partition=Partition("CPX", "NPS4"), memory=23.5)) == 23.5  # memoryGiB wins


def test_a_cpx_pool_is_not_192_gib_per_gpu(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": INVENTORY % ("MI300X", 64, ("      partition: {compute: CPX, memory: NPS4}\n"
                                                    "      nodeSelector: {amd.com/compute-memory-partition: cpx_nps4}\n")),
        "qwen.yaml": QWEN,
    })
    result = aimc("explain", str(tmp_path))
    assert result.code == 0, result
    assert ("qwen3-32b-mi300x-bf16 vllm 1_gpu on pool p: rejected (memory): needs 72.6 GiB per GPU, has 21.6 GiB "
            "(24 GiB × 0.90)") in result.out
    assert "qwen3-32b-mi300x-bf16 vllm 4_gpu on pool p: SELECTED" in result.out


def test_a_mixed_partition_resource_must_declare_its_partition(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, "      gpuResource: amd.com/cpx_nps4\n"),
                          "qwen.yaml": QWEN})
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert ("cluster.yaml:10: spec.nodePools[0].gpuResource: 'amd.com/cpx_nps4' is not amd.com/gpu, so aimc cannot "
            "tell how much memory one unit has: declare the pool's partition: {compute: CPX, memory: NPS4} (memory "
            "per GPU = device memory / compute partitions), or memoryGiB") in result.err
    for extra in ("      gpuResource: amd.com/cpx_nps4\n      partition: {compute: CPX, memory: NPS4}\n",
                  "      gpuResource: amd.com/cpx_nps4\n      memoryGiB: 24\n"):
        write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, extra)})
        assert aimc("build", str(tmp_path)).code == 0


def test_partition_contradictions_are_errors_with_file_and_line(aimc, tmp_path):
    cases = [
        (INVENTORY % ("MI300X", 64, "      gpuResource: amd.com/cpx_nps4\n      partition: {compute: DPX}\n"),
         "cluster.yaml:11: spec.nodePools[0].partition: DPX/NPS1 contradicts gpuResource 'amd.com/cpx_nps4'"),
        (INVENTORY % ("MI250", 8, "      partition: {compute: CPX}\n"),
         "cluster.yaml:10: spec.nodePools[0].partition: MI250 cannot be partitioned; GPUs that can: MI300X, MI325X, "
         "MI350X, MI355X; remove partition"),
        (INVENTORY % ("MI300X", 12, "      partition: {compute: CPX}\n"),
         "cluster.yaml:8: spec.nodePools[0].gpusPerNode: 12 is not a multiple of 8: gpusPerNode counts logical GPUs"),
    ]
    for inventory, message in cases:
        write_tree(tmp_path, {"cluster.yaml": inventory, "qwen.yaml": QWEN})
        result = aimc("build", str(tmp_path))
        assert result.code == 1 and message in result.err, result.err


def test_the_partition_label_has_two_upstream_names_and_either_selects_the_pool(aimc, tmp_path):
    """AMD's device-plugin node labeller writes amd.com/gpu.compute-memory-partition (ROCm/k8s-device-plugin
    cmd/k8s-node-labeller/main.go, createLabelPrefix gives amd.com/gpu.<name>; main_test.go); the device plugin's docs
    (docs/user-guide/configuration.md) and the GPU operator (ROCm/gpu-operator internal/utils.go) name it
    amd.com/compute-memory-partition. Value: <compute>_<memory> lower-case (internal/pkg/amdgpu/amdgpu.go)."""
    from aimc.validate.partitions import PARTITION_LABELS

    assert PARTITION_LABELS == ("amd.com/gpu.compute-memory-partition", "amd.com/compute-memory-partition")
    cpx = "      partition: {compute: CPX, memory: NPS4}\n"
    for label in PARTITION_LABELS:
        write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, cpx + f"      nodeSelector: {{{label}: cpx_nps4}}\n"),
                              "qwen.yaml": QWEN})
        result = aimc("build", "--strict", str(tmp_path))
        assert result.code == 0 and "partition label" not in result.err, result.err
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, cpx + "      nodeSelector: {a: b}\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0
    assert ("cluster.yaml:10: warning: spec.nodePools[0].nodeSelector: the pool is CPX/NPS4, but its nodeSelector "
            "names no partition label: its pods may land on nodes of another mode") in result.err
    assert "amd.com/gpu.compute-memory-partition: cpx_nps4" in result.err
    assert aimc("build", "--strict", str(tmp_path)).code == 1
    # The mixed naming (amd.com/cpx_nps4) selects the nodes by the resource itself: no label needed.
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, cpx + "      gpuResource: amd.com/cpx_nps4\n")})
    assert "partition label" not in aimc("build", str(tmp_path)).err


def test_a_partition_label_of_another_mode_is_an_error(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 64, "      partition: {compute: CPX, memory: NPS4}\n"
                                                        "      nodeSelector: {amd.com/gpu.compute-memory-partition: "
                                                        "spx_nps1}\n"), "qwen.yaml": QWEN})
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert ("cluster.yaml:11: spec.nodePools[0].nodeSelector.amd.com/gpu.compute-memory-partition: 'spx_nps1' "
            "contradicts the pool's partition CPX/NPS4: the node labeller writes 'cpx_nps4' on such nodes") in result.err


def test_nps4_pairs_with_cpx_only(aimc, tmp_path):
    """"NPS4 is supported only for CPX compute type" (ROCm/gpu-operator docs/dcm/device-config-manager-configmap.md)."""
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 8, "      partition: {compute: SPX, memory: NPS4}\n"
                                                        "      nodeSelector: {amd.com/gpu.compute-memory-partition: "
                                                        "spx_nps4}\n"), "qwen.yaml": QWEN})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    assert ("cluster.yaml:10: warning: spec.nodePools[0].partition: SPX with NPS4 is not a mode AMD supports: NPS4 "
            "pairs with CPX only") in result.err
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300X", 8, "      partition: {compute: SPX, memory: NPS1}\n"
                                                        "      nodeSelector: {amd.com/gpu.compute-memory-partition: "
                                                        "spx_nps1}\n")})
    assert aimc("build", "--strict", str(tmp_path)).code == 0


def test_hardware_catalog_corrections():
    mi308x = facts.gpu("MI308X")
    assert mi308x.memory_gib == 192
    assert facts.gpu("MI325X").product_name == "AMD_Instinct_MI325_OAM"
    assert facts.gpu("MI355X").product_name == "AMD_Instinct_MI355_OAM"
    assert facts.gpu("MI300X").product_name == "AMD_Instinct_MI300X_OAM"
    assert facts.gpu("MI300A").shared_memory and not facts.gpu("MI300X").shared_memory


def test_mi308x_device_ids_include_74bc():
    from aimc.catalog.files import read_yaml

    ids = {entry["name"]: entry["deviceIds"] for entry in read_yaml("hardware.yaml")["gpus"]}
    assert ids["MI308X"] == ["74a2", "74a8", "74b6", "74bc"]


def test_mi300a_shared_memory_warns_that_the_fit_is_optimistic(aimc, tmp_path):
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: tiny}\n"
                "spec: {model: acme/tiny, hardware: MI300A, precision: bf16, gpuCount: 1, recipe: tiny-mi300a}\n")
    recipe = ("recipe_id: tiny-mi300a\nmodel_id: meta-llama/Llama-3.1-8B-Instruct\n"
              "huggingface_id: meta-llama/Llama-3.1-8B-Instruct\nhardware: MI300A\nprecision: bf16\n"
              "vllm_serve:\n  1_gpu:\n    enabled: true\n    args: {--max-model-len: '8192'}\n")
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300A", 4, ""), "recipes/tiny-mi300a.yaml": recipe,
                          "tiny.yaml": endpoint.replace("acme/tiny", "meta-llama/Llama-3.1-8B-Instruct")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    assert ("cluster.yaml:6: warning: spec.nodePools[0]: MI300A memory (128 GiB) is shared with the CPU and the OS, "
            "so the GPU gets less and the memory fit is optimistic") in result.err
    write_tree(tmp_path, {"cluster.yaml": INVENTORY % ("MI300A", 4, "      memoryGiB: 96\n")})
    assert "shared with the CPU" not in aimc("build", str(tmp_path)).err
