"""`aimc recipes validate` runs the engine flag checks (aimc/recipe_checks.py), over the built-in catalog and the
published prototype recipes."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import REPO, SHARED_FIXTURES

from aimc.resolve import recipe_checks
from aimc.validate import recipes as parse

PROTOTYPE_RECIPES = SHARED_FIXTURES / "yu-amd-aim-engine" / "config" / "recipes"


def test_every_built_in_recipe_passes_every_flag_check():
    for recipe in parse.builtin_catalog().recipes:
        assert recipe_checks.check_recipe(recipe) == [], recipe.id


def test_every_built_in_recipe_flag_is_one_the_default_images_version_accepts():
    """The check `tools/refresh_engine.py` asks for after moving a default: each flag a built-in recipe sets, against
    the flag set of the default image's engine version on the recipe's hardware (vLLM 0.27.1, SGLang 0.5.16)."""
    from aimc.catalog import runtime as rt
    from aimc.catalog.flag_sets import flag_set
    from aimc.resolve import images
    from aimc.resolve.flag_names import SGLANG_TO_VLLM

    catalog, checked = rt.runtime(), Counter()
    for recipe in parse.builtin_catalog().recipes:
        for config in recipe.configs:
            default = catalog.default_image(config.engine, images.architecture(recipe.hardware))
            if default is None:  # SGLang on MI250: no image, such configurations need one supplied
                continue
            flags = flag_set(config.engine, rt.nearest_version(catalog.engine(config.engine).flag_set_versions,
                                                               default.version))
            assert flags.version == default.version, f"{default.image}: no flag set of its own version"
            for flag, _value in config.args:
                name = SGLANG_TO_VLLM.get(flag, flag) if config.engine == "vllm" else flag
                assert flags.lookup(name) is not None, f"{recipe.id} {config.engine}: {flag} refused by {flags.label}"
                checked[flags.label] += 1
    assert set(checked) == {"vllm 0.27.1", "sglang 0.5.16"} and min(checked.values()) > 100


def test_a_recipe_flag_the_default_version_removed_is_an_error_naming_the_release(aimc, tmp_path):
    """--max-num-partial-prefills is in vLLM 0.24.0 and gone in 0.27.1, the default image's version."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text("recipe_id: r\nmodel_id: Qwen/Qwen3-32B\nhuggingface_id: Qwen/Qwen3-32B\nhardware: MI300X\nprecision: bf16\nvllm_serve:\n"
                      "  1_gpu:\n    enabled: true\n    args:\n      --max-num-partial-prefills: '2'\n")
    result = aimc("recipes", "validate", str(recipe))
    assert result.code == 1
    assert (f"{recipe}:10: vllm_serve.1_gpu.args.--max-num-partial-prefills: --max-num-partial-prefills is not a "
            "vllm 0.27.1 flag: present in vLLM 0.24.0, absent in 0.27.1") in result.err


def test_a_recipe_flag_sglang_renamed_is_written_under_its_new_name_with_a_warning(aimc, tmp_path):
    """SGLang 0.5.16 made --cuda-graph-max-bs a deprecated alias of --cuda-graph-max-bs-decode (0.5.23 drops it)."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text("recipe_id: r\nmodel_id: Qwen/Qwen3-32B\nhuggingface_id: Qwen/Qwen3-32B\nhardware: MI300X\nprecision: bf16\nsglang_serve:\n"
                      "  1_gpu:\n    enabled: true\n    args:\n      --cuda-graph-max-bs: '128'\n")
    result = aimc("recipes", "validate", str(recipe))
    assert result.code == 0, result
    assert (f"{recipe}:10: warning: sglang_serve.1_gpu.args.--cuda-graph-max-bs: --cuda-graph-max-bs was renamed "
            "--cuda-graph-max-bs-decode in SGLang 0.5.16 (the decode and prefill graph sizes were split; the old "
            "flag sized the decode graphs): written as --cuda-graph-max-bs-decode for sglang 0.5.16") in result.err
    assert "deprecated" not in result.err


def test_built_in_catalog_validates_on_the_command_line(aimc):
    result = aimc("recipes", "validate", str(REPO / "recipes"))
    assert result.code == 0, result
    assert result.err.endswith("recipes: valid\n") and "warning" not in result.err


@pytest.mark.skipif(not PROTOTYPE_RECIPES.is_dir(), reason="shared fixtures absent")
def test_prototype_recipes_report_every_float8_dtype_with_file_and_line(aimc):
    result = aimc("recipes", "validate", str(PROTOTYPE_RECIPES))
    assert result.code == 1
    lines = result.err.splitlines()
    # 32 --dtype errors below, 33 configurations that cannot fit (test_profiles), 4 FP8 precisions on MI250 (gfx90a)
    assert lines[-1] == "aimc: 69 errors"
    precision = [line for line in lines if ": precision: fp8 weights need gfx942 or gfx950 with " in line]
    assert sorted(line.split(":")[0].rsplit("/", 1)[1] for line in precision) == [
        "llama-3-1-405b-fp8-kv-mi250-fp8.yaml"] * 2 + ["llama-4-maverick-17b-mi250-fp8.yaml"] * 2
    lines = [line for line in lines if "enabled, but" not in line and line not in precision]
    dtype = re.compile(r"^(?P<file>.+\.yaml):(?P<line>\d+): (?P<engine>vllm|sglang)_serve\.\d_gpu\.args\.--dtype: "
                       r"'(?P<value>float8_e[45]m[23])' is not a valid --dtype for ")
    errors = [dtype.match(line) for line in lines if ": warning: " not in line and not line.startswith("aimc: ")]
    assert all(errors) and len(errors) == 32
    by_file = Counter(m["file"].rsplit("/", 1)[1] for m in errors)
    assert by_file == {"llama-3-1-405b-fp8-kv-mi250-fp8.yaml": 8, "llama-3-1-405b-fp8-kv-mi300x-fp8.yaml": 8,
                       "llama-4-maverick-17b-mi250-fp8.yaml": 8, "llama-4-maverick-17b-mi300x-fp8.yaml": 8}
    for match in errors:  # the line really holds that --dtype
        text = (PROTOTYPE_RECIPES / match["file"].rsplit("/", 1)[1]).read_text().splitlines()
        assert text[int(match["line"]) - 1].strip() == f"--dtype: {match['value']}"


@pytest.mark.skipif(not PROTOTYPE_RECIPES.is_dir(), reason="shared fixtures absent")
def test_prototype_recipes_vllm_names_under_sglang_are_warnings(aimc):
    warnings = [line for line in aimc("recipes", "validate", str(PROTOTYPE_RECIPES)).err.splitlines()
                if ": warning: " in line]
    translated = Counter(re.search(r"args\.(--[a-z-]+): ", line)[1] for line in warnings)
    assert translated == {"--gpu-memory-utilization": 30, "--max-num-batched-tokens": 30, "--max-model-len": 24}
    assert all("sglang_serve." in line and "is vLLM's name; sglang 0.5.16 calls it" in line
               for line in warnings)


AIM_PROFILES = SHARED_FIXTURES / "aim-build" / "profiles"


@pytest.mark.skipif(not AIM_PROFILES.is_dir(), reason="shared fixtures absent")
def test_official_profiles_checks_find_only_what_vllm_refuses(aimc):
    """170 profiles against the default image's vLLM (0.27.1): --max-seq-len-to-capture (gone in 0.11, 80 profiles)
    and --swap-space (gone in 0.18, 96 profiles), which did nothing in the V1 engine, are dropped with a warning; the
    only errors are vLLM's own start-up refusal of --enable-auto-tool-choice without --tool-call-parser (the two
    Cohere command-a-reasoning MI250X profiles)."""
    result = aimc("recipes", "validate", str(AIM_PROFILES))
    # Models without facts warn once each (as build does); they are not what this test counts.
    lines = [line for line in result.err.splitlines() if ": warning: aim_id: no facts for model" not in line]
    assert len(lines) < len(result.err.splitlines())
    assert lines[-1] == "aimc: 2 errors"
    errors = [line for line in lines[:-1] if ": warning: " not in line]
    warnings = Counter(line.partition(": warning: ")[2] for line in lines[:-1] if ": warning: " in line)
    assert len(errors) == 2
    for line in errors:
        assert "/CohereLabs/command-a-reasoning-08-2025/vllm-mi250x-fp16-tp8-" in line
        assert line.endswith(".yaml:16: engine_args.enable-auto-tool-choice: --enable-auto-tool-choice requires "
                             "--tool-call-parser: vLLM 0.27.1 refuses to start (validate_parsed_serve_args, "
                             "vllm/entrypoints/openai/cli_args.py:414); add "
                             "--tool-call-parser with the model's parser, or remove --enable-auto-tool-choice")
    assert warnings == {
        "engine_args.max-seq-len-to-capture: --max-seq-len-to-capture was removed in vLLM 0.11.0 and does nothing "
        "in vllm 0.27.1 (it only sized HIP/CUDA-graph capture for the V0 engine, which vLLM 0.11's V1 engine does "
        "not use): left out of the command line": 80,
        "engine_args.swap-space: --swap-space was removed in vLLM 0.18.0 and does nothing in vllm 0.27.1 (CPU swap "
        "space for the V0 engine's preempted sequences; the V1 engine allocates none (0.17.0 only checks it against "
        "host memory, vllm/config/cache.py:235)): left out of the command line": 96}
