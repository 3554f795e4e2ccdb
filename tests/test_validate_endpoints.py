"""AIMEndpoint -> Endpoint rules that change what is rendered (aimc/validate/endpoints.py)."""

from __future__ import annotations

import json

from test_render import build, endpoint, find, objects


def _hpa(aimc, tmp_path, spec: str):
    result = build(aimc, tmp_path, {"a": endpoint("a", spec)})
    return result


def test_replicas_is_the_autoscaling_minimum_when_min_replicas_is_absent(aimc, tmp_path):
    result = _hpa(aimc, tmp_path, "model: Qwen/Qwen3-32B\nreplicas: 2\nautoScaling: {enabled: true, maxReplicas: 4}")
    hpa = find(objects(result), "HorizontalPodAutoscaler", "a-vllm")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 4)


def test_replicas_without_max_replicas_is_both_bounds(aimc, tmp_path):
    result = _hpa(aimc, tmp_path, "model: Qwen/Qwen3-32B\nreplicas: 2\nautoScaling: {enabled: true}")
    hpa = find(objects(result), "HorizontalPodAutoscaler", "a-vllm")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 2)


def test_plan_counts_replicas_as_the_minimum(aimc, tmp_path):
    _hpa(aimc, tmp_path, "model: Qwen/Qwen3-32B\nreplicas: 2\nautoScaling: {enabled: true, maxReplicas: 3}")
    result = aimc("plan", str(tmp_path), "--format", "json")
    assert result.code == 0, result
    assert json.loads(result.out)["endpoints"][0]["minReplicas"] == 2


def test_replicas_and_different_min_replicas_is_an_error(aimc, tmp_path):
    result = _hpa(aimc, tmp_path,
                  "model: Qwen/Qwen3-32B\nreplicas: 2\nautoScaling: {enabled: true, minReplicas: 1, maxReplicas: 3}")
    assert result.code == 1
    assert "a.yaml:7: spec.autoScaling.minReplicas: minReplicas (1) differs from spec.replicas (2)" in result.err


def test_max_replicas_below_replicas_is_an_error(aimc, tmp_path):
    result = _hpa(aimc, tmp_path, "model: Qwen/Qwen3-32B\nreplicas: 3\nautoScaling: {enabled: true, maxReplicas: 2}")
    assert result.code == 1
    assert "spec.autoScaling.maxReplicas: maxReplicas (2) is below the minimum (spec.replicas: 3)" in result.err


def test_equal_replicas_and_min_replicas_is_fine(aimc, tmp_path):
    result = _hpa(aimc, tmp_path,
                  "model: Qwen/Qwen3-32B\nreplicas: 2\nautoScaling: {enabled: true, minReplicas: 2, maxReplicas: 3}")
    assert find(objects(result), "HorizontalPodAutoscaler", "a-vllm")["spec"]["minReplicas"] == 2
