"""Selection errors a newcomer can act on: the field at fault, what exists for the model, and how to add a model."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, write_tree

from aimc.resolve.selection_errors import close_models, model_family, model_size, nearest_models

KNOWN = ["Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-32B", "meta-llama/Llama-3-8B-Instruct",
         "meta-llama/Llama-3.1-405B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct",
         "mistralai/Mistral-Small-3.2-24B-Instruct-2506", "mistralai/Mixtral-8x7B-Instruct-v0.1",
         "openai/gpt-oss-120b", "openai/gpt-oss-20b"]


@pytest.mark.parametrize("asked, expected", [
    ("mistralai/Mistral-7B-Instruct-v0.3", []),  # not Mixtral-8x7B: another family, another size (47B)
    ("Qwen/Qwen3-32b-instruct", ["Qwen/Qwen3-32B"]),
    ("qwen3-32b", ["Qwen/Qwen3-32B"]),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3-8B-Instruct"]),
    ("meta-llama/Llama-3.1-70B-Instruct", ["meta-llama/Llama-3.3-70B-Instruct"]),  # never the 405B or the 8B
    ("openai/gpt-oss-120B", ["openai/gpt-oss-120b"]),
    ("Qwen/Qwen3-30B-A3B", []),
    ("google/gemma-3-27b-it", []),
])
def test_close_models_share_family_and_size(asked, expected):
    assert close_models(asked, KNOWN) == expected


def test_an_unknown_model_lists_the_closest_few_not_the_whole_catalog(aimc, repo):
    catalog = KNOWN + [f"acme/Model-{i}B" for i in range(40)]  # a catalog that grew: the line must not
    assert nearest_models("meta-llama/Llama-3.2-1B", catalog) == [
        "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3-8B-Instruct"]
    write_tree(repo, {"e.yaml": _endpoint("  model: meta-llama/Llama-3.2-1B\n")})
    first = aimc("build", ".", cwd=repo).err.splitlines()[0]
    assert "closest of the " in first and "(`aimc recipes list` shows them all)" in first
    assert "gpt-oss" not in first and "Qwen" not in first  # three Llamas, not every model
    assert len(first) < 700


def test_family_and_size():
    assert (model_family("mistralai/Mixtral-8x7B-Instruct-v0.1"), model_size("mistralai/Mixtral-8x7B-Instruct-v0.1")) \
        == ("mixtral", "8x7b")
    assert (model_family("Qwen/Qwen3-235B-A22B"), model_size("Qwen/Qwen3-235B-A22B")) == ("qwen", "235b")
    assert model_size("Qwen/Qwen3") is None


def _endpoint(spec: str) -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\nspec:\n" + spec)


@pytest.fixture
def repo(tmp_path):
    shutil.copy(REPO / "examples" / "cluster.yaml", tmp_path / "cluster.yaml")
    return tmp_path


def test_unknown_model_says_how_to_proceed_and_suggests_no_other_model(aimc, repo):
    write_tree(repo, {"e.yaml": _endpoint("  model: mistralai/Mistral-7B-Instruct-v0.3\n")})
    run = aimc("build", ".", cwd=repo)
    assert run.code == 1
    assert run.err.startswith("e.yaml:5: spec.model: no recipe serves model 'mistralai/Mistral-7B-Instruct-v0.3'; ")
    assert "did you mean" not in run.err and "Mixtral" in run.err  # listed among the closest models, not suggested
    for way in ("`aimc models import PATH`", "`aimc recipes generate mistralai/Mistral-7B-Instruct-v0.3`",
                "<recipe_id>.yaml", "`aimc recipes list`", "recipes/README.md", "`aimc recipes --help`"):
        assert way in run.err


@pytest.mark.parametrize("spec, line, field, exists", [
    # No MI250 recipe exists for gpt-oss-120b (MXFP4): the hardware is at fault.
    ("  model: openai/gpt-oss-120b\n  hardware: MI250\n", 6, "spec.hardware",
     "available for openai/gpt-oss-120b (vllm): MI300X fp4"),
    # MI250 has Qwen3-32B in bf16 only (fp16 is a precision MI250 runs, so selection is what refuses it).
    ("  model: Qwen/Qwen3-32B\n  hardware: MI250\n  precision: fp16\n", 7, "spec.precision",
     "MI250 bf16 (2, 4, 8 GPUs), MI300X bf16 (1, 2, 4, 8 GPUs), MI300X fp8 (1, 2, 4 GPUs)"),
    ("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  gpuCount: 3\n", 7, "spec.gpuCount",
     "MI250 bf16 (2, 4, 8 GPUs), MI300X bf16 (1, 2, 4, 8 GPUs)"),
    # A GPU count on the engine entry: that entry's field.
    ("  model: Qwen/Qwen3-32B\n  servingEngines:\n    - {engine: vllm, gpuCount: 16}\n", 7,
     "spec.servingEngines[0].gpuCount", "MI300X fp8 (1, 2, 4 GPUs)"),
    # No SGLang configuration at all: say which engines the model has.
    ("  model: meta-llama/Llama-3.1-405B-Instruct\n  servingEngine: sglang\n", 1, "",
     "no enabled sglang configuration for meta-llama/Llama-3.1-405B-Instruct (only vllm: MI250 bf16 (16, 32 GPUs), "
     "MI300X fp8 (4, 8 GPUs)"),
    # Hardware no node pool has: what exists, which pools lack it.
    ("  model: Qwen/Qwen3-32B\n  hardware: MI325X\n", 6, "spec.hardware",
     "available for Qwen/Qwen3-32B (vllm): MI250 bf16 (2, 4, 8 GPUs)"),
])
def test_selection_errors_point_at_the_field_and_list_what_exists(aimc, repo, spec, line, field, exists):
    write_tree(repo, {"e.yaml": _endpoint(spec)})
    run = aimc("build", ".", cwd=repo)
    assert run.code == 1
    first = run.err.splitlines()[0]
    prefix = f"e.yaml:{line}: {field}: " if field else f"e.yaml:{line}: "
    assert first.startswith(prefix), first
    assert exists in first, first


def test_hardware_without_a_pool_is_marked(aimc, repo):
    inventory = (repo / "cluster.yaml").read_text()
    (repo / "cluster.yaml").write_text(inventory[:inventory.index("    - name: mi250")])
    write_tree(repo, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  gpuCount: 3\n")})
    run = aimc("build", ".", cwd=repo)
    assert "MI250 bf16 (2, 4, 8 GPUs; no node pool has it)" in run.err


def test_a_gpu_aimc_knows_is_not_taken_for_a_typo_of_a_pool_gpu(aimc, repo):
    """MI325X is in the hardware catalog (aimc/catalog/hardware.yaml): the inventory lacks it, nobody misspelt MI250."""
    write_tree(repo, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI325X\n")})
    first = aimc("build", ".", cwd=repo).err.splitlines()[0]
    assert "did you mean" not in first
    assert "(MI325X is a GPU aimc knows: add a node pool of it to the inventory" in first
    write_tree(repo, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI301X\n")})
    assert "(did you mean 'MI300X'?)" in aimc("build", ".", cwd=repo).err
