from __future__ import annotations

import json

import pytest
from conftest import REPO, SHARED_FIXTURES, write_tree


def test_list_filters_by_model_and_hardware(aimc):
    result = aimc("recipes", "list", "--model", "qwen3-32b", "--hardware", "mi250", "--format", "json")
    rows = json.loads(result.out)
    assert [r["id"] for r in rows] == ["qwen3-32b-mi250-bf16"]
    assert rows[0]["engines"] == {"vllm": [2, 4, 8], "sglang": [2, 4, 8]}


def test_list_text_table_has_every_builtin_recipe(aimc):
    out = aimc("recipes", "list").out
    for path in (REPO / "recipes").glob("*.yaml"):
        assert path.stem in out


def test_show_prints_the_recipe_and_suggests_on_typo(aimc):
    assert "recipe_id: qwen3-32b-mi300x-bf16" in aimc("recipes", "show", "qwen3-32b-mi300x-bf16").out
    result = aimc("recipes", "show", "qwen3-32b-mi300x-bf17")
    assert result.code == 1 and "did you mean 'qwen3-32b-mi300x-bf16'" in result.err


def test_validate_builtin_recipes_pass(aimc):
    files = [str(p) for p in sorted((REPO / "recipes").glob("*.yaml"))]
    result = aimc("recipes", "validate", *files)
    assert result.code == 0, result.err


def test_validate_reports_tp_mismatch_and_id_mismatch(aimc, tmp_path):
    write_tree(tmp_path, {"bad.yaml": "recipe_id: other\nmodel_id: a/b\nhuggingface_id: a/b\nhardware: MI300X\n"
                                      "precision: bf16\nvllm_serve:\n  2_gpu:\n    enabled: true\n    args:\n"
                                      "      --tensor-parallel-size: '4'\n"})
    result = aimc("recipes", "validate", str(tmp_path / "bad.yaml"))
    assert result.code == 1
    assert "bad.yaml:1: recipe_id: 'other' differs from the file name 'bad'" in result.err
    assert "bad.yaml:10: vllm_serve.2_gpu.args.--tensor-parallel-size: tensor-parallel size 4" in result.err


@pytest.mark.skipif(not (SHARED_FIXTURES / "yu-amd-aim-engine").is_dir(), reason="shared fixtures absent")
def test_published_recipes_load(aimc):
    files = sorted((SHARED_FIXTURES / "yu-amd-aim-engine/config/recipes").glob("*.yaml"))
    result = aimc("recipes", "list", "--recipes", str(files[0].parent), "--format", "json")
    ids = {r["id"] for r in json.loads(result.out)}
    assert {p.stem for p in files} <= ids


def test_list_with_no_match_says_so(aimc):
    result = aimc("recipes", "list", "--model", "no-such-model", "--hardware", "MI300X")
    assert result.code == 0 and result.out == ""
    assert "no recipe matches --model no-such-model and --hardware MI300X" in result.err


def test_list_with_an_unknown_hardware_is_an_error_with_a_suggestion(aimc):
    result = aimc("recipes", "list", "--hardware", "MI999")
    assert result.code == 1 and result.out == ""
    assert "--hardware: unknown hardware 'MI999'; known: MI100," in result.err
    assert "(did you mean 'MI300X'?)" in aimc("recipes", "list", "--hardware", "MI300").err


TINY_RECIPE = (REPO / "tests/cases/error-strict-no-model-facts/inputs/recipes/acme-tiny-mi300x-bf16.yaml").read_text()
TINY_MODEL = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMModel
metadata: {name: acme-tiny}
spec: {id: Acme/Tiny-1B, parametersB: 1, layers: 16, attentionHeads: 16, kvHeads: 4, headDim: 64,
       maxContextLength: 8192}
"""


def test_validate_strict_warns_like_build_about_a_model_without_facts(aimc, tmp_path):
    write_tree(tmp_path, {"acme-tiny-mi300x-bf16.yaml": TINY_RECIPE})
    lenient = aimc("recipes", "validate", str(tmp_path))
    assert lenient.code == 0 and "warning: model_id: no facts for model 'Acme/Tiny-1B'" in lenient.err
    strict = aimc("recipes", "validate", "--strict", str(tmp_path))
    assert strict.code == 1 and "acme-tiny-mi300x-bf16.yaml:2: model_id: no facts for model" in strict.err


def test_validate_accepts_aimmodel_files_and_uses_their_facts(aimc, tmp_path):
    write_tree(tmp_path, {"acme-tiny-mi300x-bf16.yaml": TINY_RECIPE, "models/acme-tiny.yaml": TINY_MODEL})
    result = aimc("recipes", "validate", "--strict", str(tmp_path))
    assert result.code == 0, result
    assert "no facts" not in result.err


def test_validate_of_a_missing_file_is_exit_1_like_build(aimc, tmp_path):
    result = aimc("recipes", "validate", str(tmp_path / "nope.yaml"))
    assert result.code == aimc("build", str(tmp_path / "nope.yaml")).code == 1
    assert "nope.yaml: no such file or directory" in result.err
