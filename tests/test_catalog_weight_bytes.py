"""Weights of quantized checkpoints counted per tensor group (aimc/catalog/weight_bytes.py)."""

from __future__ import annotations

import pytest
from conftest import REPO, SHARED_FIXTURES, write_tree

from aimc.catalog import hf_config
from aimc.catalog.model_facts import builtin_models
from aimc.catalog.weight_bytes import weight_bytes

GIB = 2 ** 30


def _model(model_id: str):
    return next(m for m in builtin_models() if model_id == m.id or model_id in m.aliases)


def test_gpt_oss_checkpoints_weigh_what_openai_publishes():
    # gpt-oss model card (OpenAI, arXiv 2508.10925), table of the two models: checkpoint sizes 60.8 GiB (120b) and
    # 12.8 GiB (20b): attention, routers, embedding and head in bf16 (config.json modules_to_not_convert), experts in
    # MXFP4 (4 bits and one 8-bit scale per 32). Counting every parameter at 4 bits gave 54.5 and 9.8 GiB.
    assert weight_bytes(_model("openai/gpt-oss-120b"), "fp4").gb * 1e9 / GIB == pytest.approx(60.8, abs=0.1)
    assert weight_bytes(_model("openai/gpt-oss-20b"), "fp4").gb * 1e9 / GIB == pytest.approx(12.8, abs=0.1)


def test_deepseek_fp8_keeps_embedding_head_and_routers_in_bf16():
    # DeepSeek-V3 README_WEIGHTS.md: FP8 weights with a float32 weight_scale_inv per 128x128 block; the embedding,
    # head (0.9B each) and router gates are bf16 (inference/model.py).
    stored = weight_bytes(_model("deepseek-ai/DeepSeek-V3"), "fp8")
    assert [g.name for g in stored.groups] == ["bf16", "fp8", "scales"]
    assert stored.gb == pytest.approx(673.12, abs=0.01)  # 671 GB counting 671B x 1 byte
    assert stored.describe() == "673.12 GB: bf16 1.96B × 2 B + fp8 669.04B × 1 B + scales 0.16 GB"
    # a bf16 (dequantized) checkpoint is all one width
    assert weight_bytes(_model("deepseek-ai/DeepSeek-V3"), "bf16").groups[0].gb == 671 * 2


@pytest.mark.parametrize("model_id", ["deepseek-ai/DeepSeek-V3", "openai/gpt-oss-120b"])
def test_the_import_reads_the_same_layout_from_the_real_config(model_id):
    folder = SHARED_FIXTURES / "hf-configs" / model_id
    if not folder.is_dir():
        pytest.skip("fixture absent")
    imported = hf_config.import_model(str(folder))
    layout = imported.value("quantizedLayout")
    built_in = _model(model_id).quantized_layout
    assert layout["precision"] == built_in.precision
    assert layout["keptParametersB"] == pytest.approx(built_in.kept_parameters_b, abs=0.001)
    assert layout["scaleBytesPerWeight"] == built_in.scale_bytes_per_weight


def test_deepseek_v3_fp8_at_full_context_no_longer_fits_four_mi300x(aimc, tmp_path):
    """671B x 1 byte left 0.4 GiB per GPU at 163,840 tokens on 4 x MI300X; the bf16 tensors and the block scales
    take 0.5 GiB more per GPU, so the configuration is rejected, and explain shows the split."""
    write_tree(tmp_path, {
        "c.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
                  "spec:\n  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n",
        "e.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: ds}\nspec:\n"
                  "  model: deepseek-ai/DeepSeek-V3\n  hardware: MI300X\n  gpuCount: 4\n  precision: fp8\n"
                  "  customArgs: {--max-model-len: '163840'}\n"})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == ""
    explained = aimc("explain", str(tmp_path)).out
    assert "4_gpu on pool p: rejected (memory)" in explained
    assert "weights 156.72 GiB (673.12 GB: bf16 1.96B × 2 B + fp8 669.04B × 1 B + scales 0.16 GB, / 4 GPUs)" in explained


def test_built_in_layouts_validate_as_aimmodel_fields():
    import yaml

    from aimc.validate import schema

    for entry in yaml.safe_load((REPO / "aimc" / "catalog" / "models.yaml").read_text())["models"]:
        if "quantizedLayout" in entry:
            doc = {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMModel", "metadata": {"name": "m"},
                   "spec": {k: v for k, v in entry.items() if k not in ("gated",)}}
            assert schema.validate("model", doc, "models.yaml", 1) == [], entry["id"]
