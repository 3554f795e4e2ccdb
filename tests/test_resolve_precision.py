"""Weight precision against the GPU architecture (aimc/resolve/precision.py)."""

from __future__ import annotations

from conftest import write_tree

from aimc.resolve.precision import precision_problem

CLUSTER = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
           "  nodePools: [{name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 1},\n"
           "              {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n")


def test_fp8_needs_gfx942_or_newer_and_fp4_gfx950():
    assert precision_problem("fp8", "MI250", "vllm").startswith(
        "fp8 weights need gfx942 or gfx950 with vllm; MI250 is gfx90a, which has no fp8 support: use gfx942 (")
    assert precision_problem("fp8", "MI300X", "sglang") is None
    assert precision_problem("fp4", "MI300X", "sglang").startswith("fp4 weights need gfx950 with sglang; MI300X is "
                                                                   "gfx942")
    assert precision_problem("fp4", "MI355X", "sglang") is None
    # vLLM runs MXFP4 checkpoints (gpt-oss) on gfx90a and gfx942 by dequantizing them, as AMD's profiles do.
    assert precision_problem("fp4", "MI300X", "vllm") is None
    assert precision_problem("bf16", "MI250", "sglang") is None and precision_problem("fp8", "ACME1", "vllm") is None


def test_an_endpoint_asking_for_fp8_on_mi250_fails_at_its_precision_line(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": CLUSTER,
        "e.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
                  "spec:\n  model: meta-llama/Llama-3.1-8B-Instruct\n  hardware: MI250\n  precision: fp8\n",
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert result.err.startswith(f"{tmp_path}/e.yaml:7: spec.precision: fp8 weights need gfx942 or gfx950 with "
                                 "vllm; MI250 is gfx90a")
    assert result.err.endswith("aimc: 1 error\n")


def test_a_recipe_whose_precision_its_pool_cannot_run_is_rejected_as_a_candidate(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": CLUSTER,
        "acme-fp8.yaml": "recipe_id: acme-fp8\nmodel_id: meta-llama/Llama-3.1-8B-Instruct\n"
                         "huggingface_id: meta-llama/Llama-3.1-8B-Instruct\nhardware: MI250\nprecision: fp8\n"
                         "vllm_serve:\n  \"1_gpu\":\n    enabled: true\n    args: {--max-model-len: '8192'}\n",
        "e.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
                  "spec:\n  model: meta-llama/Llama-3.1-8B-Instruct\n  recipe: acme-fp8\n",
    })
    result = aimc("explain", str(tmp_path))
    assert "acme-fp8 vllm 1_gpu on pool mi250: rejected (precision): fp8 weights need gfx942 or gfx950" in result.out
    validate = aimc("recipes", "validate", str(tmp_path / "acme-fp8.yaml"))
    assert validate.code == 1
    assert f"{tmp_path}/acme-fp8.yaml:5: precision: fp8 weights need gfx942 or gfx950 with vllm" in validate.err


def test_precision_problem_memo_answers_each_question_on_its_own():
    # memoised: asked again in another order, each (precision, hardware, engine) keeps its own answer
    for _ in range(2):
        assert precision_problem("fp8", "MI300X", "vllm") is None
        assert "gfx90a" in precision_problem("fp8", "MI250", "vllm")
        assert precision_problem("bf16", "MI250", "vllm") is None
        assert "MI300X" in precision_problem("fp4", "MI300X", "sglang")
