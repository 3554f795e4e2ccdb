"""Capacity plan (aimc/capacity.py, aimc/rollout.py) and `aimc plan`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from aimc.resolve import rollout

CASES = Path(__file__).parent / "cases"


def test_surge_pods_follow_the_rendered_strategy():
    assert rollout.surge_pods({"spec": {}}, 1) == 1  # Kubernetes default: 25 %, rounded up
    assert rollout.surge_pods({"spec": {}}, 8) == 2
    assert rollout.surge_pods({"spec": {"strategy": rollout.strategy()}}, 8) == rollout.SURGE_PODS == 0
    assert rollout.surge_pods({"spec": {"strategy": {"type": "Recreate"}}}, 5) == 0
    assert rollout.surge_pods({"spec": {"strategy": {"rollingUpdate": {"maxSurge": "50%"}}}}, 3) == 2
    assert rollout.surge_pods({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 2}}}}, 3) == 2


def _overcommitted(tmp_path: Path) -> Path:
    shutil.copytree(CASES / "error-overcommit" / "inputs", tmp_path / "inputs")
    return tmp_path / "inputs"


def test_plan_fails_on_an_overcommitted_pool_but_still_prints_the_table(aimc, tmp_path):
    inputs = _overcommitted(tmp_path)
    result = aimc("plan", str(inputs))
    assert result.code == 1
    assert "OVERCOMMITTED by 2" in result.out
    assert "node pool 'mi300x' is overcommitted: up to 10 GPUs requested (llama (vllm) 2, qwen (vllm) 8)" in result.err


def test_allow_overcommit_turns_the_error_into_a_warning(aimc, tmp_path):
    inputs = _overcommitted(tmp_path)
    assert aimc("build", str(inputs)).code == 1
    result = aimc("build", str(inputs), "--allow-overcommit")
    assert result.code == 0 and "kind: Deployment" in result.out
    assert "warning: spec.nodePools[0]: node pool 'mi300x' is overcommitted" in result.err
    assert aimc("validate", str(inputs), "--allow-overcommit").code == 0
    assert aimc("build", str(inputs), "--allow-overcommit", "--strict").code == 1


def test_plan_json_shares_and_totals(aimc, tmp_path):
    inputs = _overcommitted(tmp_path)
    report = json.loads(aimc("plan", str(inputs), "--format", "json", "--allow-overcommit").out)
    pool = report["nodePools"][0]
    assert (pool["capacity"], pool["maxGPUs"], pool["overcommitted"]) == (8, sum(
        e["maxGPUs"] for e in report["endpoints"]), True)
    qwen = next(e for e in report["endpoints"] if e["endpoint"] == "qwen")
    assert qwen["maxGPUs"] == qwen["gpusPerPod"] * (qwen["maxReplicas"] + qwen["surgePods"])
    assert qwen["minGPUs"] == 2


def test_plan_of_the_examples_fits(aimc):
    result = aimc("plan", "examples")
    assert result.code == 0, result
    assert "OVERCOMMITTED" not in result.out
