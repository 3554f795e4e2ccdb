"""Capacity plan (resolve/capacity.py, resolve/rollout.py) and `aimc plan`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from aimc.model.plan import Rollout
from aimc.records import replace
from aimc.render import deployment, leaderworkerset
from aimc.resolve import capacity, rollout

CASES = Path(__file__).parent / "cases"


def _resolved(case: str):
    """The resolved endpoints and inventory of a golden case's inputs."""
    from aimc.pipeline import Options, compile

    result = compile(Options(paths=(str(CASES / case / "inputs"),), allow_overcommit=True))
    return result.resolution.endpoints, result.inputs.inventory


def _with_rollout(resolved, rollout_plan):
    return replace(resolved, engines=tuple(replace(e, rollout=rollout_plan) for e in resolved.engines))


def test_the_plan_decides_the_rollout_once():
    endpoints, _ = _resolved("error-overcommit")
    assert {e.rollout for r in endpoints for e in r.engines} == {Rollout(rollout.SURGE_PODS, rollout.MAX_UNAVAILABLE)}


def test_capacity_and_the_deployment_read_the_same_surge():
    """The Deployment renders the plan's surge, and the capacity plan counts exactly that surge: change the plan
    and both follow (before, capacity parsed a strategy dict it had rendered itself)."""
    endpoints, inventory = _resolved("error-overcommit")
    surging = _with_rollout(endpoints[0], Rollout(max_surge=2, max_unavailable=0))
    engine = surging.engines[0]
    rendered = deployment.render(surging, engine, inventory)
    assert rendered["spec"]["strategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}
    demand = capacity.demand(surging, engine)
    assert demand.surge_pods == 2
    assert demand.max_gpus == engine.gpu_count * (demand.max_replicas + 2)


def test_capacity_and_the_leaderworkerset_read_the_same_surge():
    endpoints, inventory = _resolved("multinode-vllm")
    grouped = next(r for r in endpoints if r.engines[0].group is not None)
    surging = _with_rollout(grouped, Rollout(max_surge=1, max_unavailable=1))
    engine = surging.engines[0]
    rendered = leaderworkerset.render(surging, engine, inventory)
    assert rendered["spec"]["rolloutStrategy"]["rollingUpdateConfiguration"] == {"maxUnavailable": 1, "maxSurge": 1}
    demand = capacity.demand(surging, engine)
    assert demand.surge_pods == 1
    assert demand.max_gpus == engine.group.gpus_per_node * engine.group.nodes * (demand.max_replicas + 1)


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


def test_the_overcommit_warning_does_not_advise_the_option_already_given(aimc, tmp_path):
    inputs = _overcommitted(tmp_path)
    assert "or pass --allow-overcommit" in aimc("build", str(inputs)).err
    allowed = aimc("build", str(inputs), "--allow-overcommit").err
    assert "pass --allow-overcommit" not in allowed
    assert "stay Pending until nodes are added or replicas lowered" in allowed


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
