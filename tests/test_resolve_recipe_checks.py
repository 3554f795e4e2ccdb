"""`aimc recipes validate` runs the engine flag checks (aimc/recipe_checks.py), over the built-in catalog and the
published prototype recipes."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from aimc.validate import recipes as parse
from aimc.resolve import recipe_checks
from conftest import REPO, SHARED_FIXTURES

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
    assert lines[-1] == "aimc: 65 errors"  # 32 --dtype errors below, 33 configurations that cannot fit (test_profiles)
    lines = [line for line in lines if "enabled, but" not in line]
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
def test_official_profiles_flag_checks_find_only_the_removed_capture_flag(aimc):
    """170 profiles; every flag passes vLLM 0.11.1's set except --max-seq-len-to-capture, absent from 0.11."""
    result = aimc("recipes", "validate", str(AIM_PROFILES))
    # Models without facts warn once each (as build does); the errors are the removed flag only.
    lines = [line for line in result.err.splitlines() if ": warning: aim_id: no facts for model" not in line]
    assert len(lines) < len(result.err.splitlines())
    assert lines[-1] == "aimc: 80 errors"
    assert all(line.endswith(": engine_args.max-seq-len-to-capture: --max-seq-len-to-capture is not a vllm 0.11.1 "
                             "flag") for line in lines[:-1])
    assert len({line.split(":")[0] for line in lines[:-1]}) == 80  # one per profile
