"""`aimc explain` shows the memory arithmetic of the selected configuration and every rejection reason."""

from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).parent / "cases"


def test_explain_shows_memory_arithmetic_of_the_selection(aimc):
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b")
    assert result.code == 0, result
    assert ("  memory per GPU: needs 19.9 GiB per GPU, has 172.8 GiB (192 GiB × 0.90): weights 15.27 GiB × 1.02 + "
            "activations and non-torch 2.30 GiB + KV 2.00 GiB (one 32768-token sequence / 4); HIP graphs 1.00 GiB "
            "outside the budget") in result.out


def test_explain_shows_memory_rejections(aimc):
    result = aimc("explain", str(CASES / "error-memory-fit" / "inputs"))
    assert result.code == 1
    assert ("qwen3-32b-mi250-one-gcd vllm 1_gpu on pool mi250: rejected (memory): needs 72.6 GiB per GPU, "
            "has 58.9 GiB (64 GiB × 0.92, vLLM 0.27.1's default)") in result.out


def test_smallest_fitting_configuration_wins_without_gpu_count(aimc):
    result = aimc("explain", str(CASES / "aimmodel-smallest-fit" / "inputs"))
    assert result.code == 0, result
    assert "acme-big-mi250-bf16 vllm 1_gpu on pool mi250: rejected (memory)" in result.out
    assert "acme-big-mi250-bf16 vllm 2_gpu on pool mi250: SELECTED: fits:" in result.out


def test_model_without_facts_is_a_warning(aimc):
    result = aimc("build", str(CASES / "error-strict-no-model-facts" / "inputs"))
    assert result.code == 0
    assert "warning: spec.model: no facts for model 'Acme/Tiny-1B'" in result.err
    explained = aimc("explain", str(CASES / "error-strict-no-model-facts" / "inputs"))
    assert "  memory per GPU: fit not checked: no facts for model 'Acme/Tiny-1B'" in explained.out


def test_node_pool_memory_overrides_the_hardware_catalog(aimc, tmp_path):
    from conftest import write_tree

    write_tree(tmp_path, {
        "cluster.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
                        "spec:\n  nodePools: [{name: cpx, hardware: MI300X, gpusPerNode: 8, nodeCount: 1, "
                        "memoryGiB: 48}]\n",
        "qwen.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen}\n"
                     "spec: {model: Qwen/Qwen3-32B, precision: bf16}\n",
    })
    result = aimc("explain", str(tmp_path))
    assert result.code == 0, result
    assert ("qwen3-32b-mi300x-bf16 vllm 1_gpu on pool cpx: rejected (memory): needs 72.6 GiB per GPU, has 43.2 GiB "
            "(48 GiB × 0.90)") in result.out
    assert "qwen3-32b-mi300x-bf16 vllm 2_gpu on pool cpx: SELECTED" in result.out
