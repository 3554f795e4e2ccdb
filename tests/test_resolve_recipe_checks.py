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
    assert all("sglang_serve." in line and "is vLLM's name; sglang 0.5.5.post3 calls it" in line
               for line in warnings)


AIM_PROFILES = SHARED_FIXTURES / "aim-build" / "profiles"


@pytest.mark.skipif(not AIM_PROFILES.is_dir(), reason="shared fixtures absent")
def test_official_profiles_checks_find_only_what_vllm_refuses(aimc):
    """170 profiles against the default image's vLLM (0.11.1): --max-seq-len-to-capture, which 0.11 removed and
    ignores, is dropped with a warning (80 profiles); the only errors are vLLM's own start-up refusal of
    --enable-auto-tool-choice without --tool-call-parser (the two Cohere command-a-reasoning MI250X profiles)."""
    result = aimc("recipes", "validate", str(AIM_PROFILES))
    # Models without facts warn once each (as build does); they are not what this test counts.
    lines = [line for line in result.err.splitlines() if ": warning: aim_id: no facts for model" not in line]
    assert len(lines) < len(result.err.splitlines())
    assert lines[-1] == "aimc: 2 errors"
    errors = [line for line in lines[:-1] if ": warning: " not in line]
    warnings = [line for line in lines[:-1] if ": warning: " in line]
    assert len(errors) == 2
    for line in errors:
        assert "/CohereLabs/command-a-reasoning-08-2025/vllm-mi250x-fp16-tp8-" in line
        assert line.endswith(".yaml:16: engine_args.enable-auto-tool-choice: --enable-auto-tool-choice requires "
                             "--tool-call-parser: vLLM 0.11.1 refuses to start (validate_parsed_serve_args, "
                             "vllm/entrypoints/openai/cli_args.py:292); add "
                             "--tool-call-parser with the model's parser, or remove --enable-auto-tool-choice")
    assert len(warnings) == 80 and all(
        line.endswith(": warning: engine_args.max-seq-len-to-capture: --max-seq-len-to-capture was removed in vLLM "
                      "0.11.0 and does nothing in vllm 0.11.1 (it only sized HIP/CUDA-graph capture for the V0 "
                      "engine, which vLLM 0.11's V1 engine does not use): left out of the command line")
        for line in warnings)
