"""Serving another checkpoint than the endpoint names is never silent (aimc/resolve/checkpoint.py)."""

from __future__ import annotations

from test_render import build, endpoint

LOW_MEMORY = "model: Qwen/Qwen3-32B\ngpuCount: 1\naimFrameworkOverrides: {gpuMemoryUtilization: 0.3}"


def test_a_switch_to_the_fp8_checkpoint_is_a_warning_naming_both(aimc, tmp_path):
    result = build(aimc, tmp_path, {"q": endpoint("q", LOW_MEMORY)})
    assert result.code == 0, result
    assert "- Qwen/Qwen3-32B-FP8\n" in result.out
    assert ("q.yaml:5: warning: spec.model: serves the checkpoint 'Qwen/Qwen3-32B-FP8' (recipe qwen3-32b-mi300x-fp8, "
            "fp8), not 'Qwen/Qwen3-32B'") in result.err


def test_the_warning_fails_a_strict_build(aimc, tmp_path):
    build(aimc, tmp_path, {"q": endpoint("q", LOW_MEMORY)})
    assert aimc("build", "--strict", str(tmp_path)).code == 1


def test_no_warning_when_the_precision_asks_for_it_or_the_checkpoint_is_the_named_one(aimc, tmp_path):
    asked = build(aimc, tmp_path, {"q": endpoint("q", LOW_MEMORY + "\nprecision: fp8")})
    assert asked.code == 0 and "serves the checkpoint" not in asked.err
    same = build(aimc, tmp_path, {"q": endpoint("q", "model: Qwen/Qwen3-32B\ngpuCount: 1")})
    assert same.code == 0 and "serves the checkpoint" not in same.err
