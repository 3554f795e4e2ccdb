"""`aimc estimate` with targets: the best aggregated configuration and the best disaggregated layout that meet them,
and the choice between them (aimc/resolve/estimate_objective.py, reports/estimate.format_choice)."""

from __future__ import annotations

import json

import pytest

from aimc.resolve.estimate_objective import decide

LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
BASE = ("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "fp8")
LONG_PROMPTS = (*BASE, "--input-tokens", "8192", "--output-tokens", "256", "--concurrency", "64",
                "--max-ttft-seconds", "1", "--max-tpot-seconds", "0.04", "--max-gpus", "100")
SHORT_PROMPTS = (*BASE, "--input-tokens", "1024", "--output-tokens", "512", "--concurrency", "64",
                 "--max-ttft-seconds", "1", "--max-tpot-seconds", "0.025")


def test_long_prompts_choose_the_disaggregated_layout_on_fewer_gpus(aimc):
    run = aimc(*LONG_PROMPTS)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert "replicas of 1, 2, 4, 8 GPUs" in lines[0] and "at most 100 GPUs" in lines[0]
    assert lines[1].startswith("aggregated: 10 replica(s) x 8 GPUs (80 GPUs)")
    assert lines[2].startswith("disaggregated: 6 prefill x 4 + 3 decode x 4 GPUs (36 GPUs): ")
    assert lines[3] == "choice: disaggregated: it meets the targets on 36 GPUs, aggregated serving needs 80"
    assert "not calibrated against measured disaggregated runs" in run.out


def test_short_prompts_choose_aggregated_and_json_says_both(aimc):
    run = aimc(*SHORT_PROMPTS, "--format", "json")
    assert run.code == 0, run.err
    found = json.loads(run.out)
    assert found["choice"] == "aggregated" and found["calibrated"] is False
    assert found["why"] == "it meets the targets on 8 GPUs, disaggregated serving needs 11"
    assert found["objective"] == {"inputTokens": 1024, "outputTokens": 512, "concurrency": 64,
                                  "maxTtftSeconds": 1.0, "maxTpotSeconds": 0.025, "maxGpus": 64}
    aggregated, apart = found["aggregated"], found["disaggregated"]
    assert (aggregated["replicas"], aggregated["gpusPerReplica"], aggregated["gpus"]) == (1, 8, 8)
    assert apart["prefill"] == {"replicas": 3, "gpusPerReplica": 1}
    assert apart["decode"] == {"replicas": 2, "gpusPerReplica": 4} and apart["gpus"] == 11
    # The same figures as estimate without targets, for that replica and that layout.
    alone = json.loads(aimc(*BASE, "--gpus", "8", "--input-tokens", "1024", "--output-tokens", "512",
                            "--concurrency", "64", "--format", "json").out)
    assert aggregated["predictionPerReplica"] == alone[0]
    layout = json.loads(aimc(*BASE, "--gpus", "8", "--input-tokens", "1024", "--output-tokens", "512",
                             "--concurrency", "64", "--prefill-gpus", "1", "--prefill-replicas", "3",
                             "--decode-gpus", "4", "--decode-replicas", "2", "--format", "json").out)
    assert apart["prediction"] == layout["disaggregated"]["predictions"][0]


def test_a_request_rate_and_one_replica_size(aimc):
    run = aimc("estimate", "Qwen/Qwen3-32B", "--hardware", "MI355X", "--engine", "sglang", "--gpus", "4",
               "--input-tokens", "8192", "--output-tokens", "512", "--requests-per-second", "1",
               "--max-ttft-seconds", "0.9", "--max-tpot-seconds", "0.02", "--format", "json")
    assert run.code == 0, run.err
    found = json.loads(run.out)
    assert found["objective"]["requestsPerSecond"] == 1.0 and "concurrency" not in found["objective"]
    assert found["aggregated"]["gpusPerReplica"] == 4
    assert found["disaggregated"]["prefill"]["gpusPerReplica"] == 4  # --gpus: the one size, for both roles too
    assert found["disaggregated"]["decode"]["gpusPerReplica"] == 4
    assert found["disaggregated"]["prediction"]["outputTokensPerSecond"] >= 512 * 0.999


def test_targets_nothing_meets_is_said_not_an_error(aimc):
    run = aimc(*BASE, "--input-tokens", "8192", "--output-tokens", "256", "--concurrency", "64",
               "--max-ttft-seconds", "0.001")
    assert run.code == 0, run.err
    assert "aggregated: none meets the targets" in run.out
    assert "disaggregated: no layout meets the targets" in run.out
    assert ("choice: none: neither aggregated nor disaggregated serving is predicted to meet the targets within 64 "
            "GPUs") in run.out


@pytest.mark.parametrize(("args", "says"), [
    (("--concurrency", "8", "16", "--max-ttft-seconds", "1"), "give the load once"),
    (("--concurrency", "8", "--requests-per-second", "2", "--max-ttft-seconds", "1"), "give the load once"),
    (("--max-ttft-seconds", "1"), "give the load once"),
    (("--concurrency", "8", "--max-ttft-seconds", "1", "--prefill-gpus", "2"), "searches the disaggregated layouts"),
    (("--gpus", "8", "--concurrency", "8", "--requests-per-second", "2"), "--requests-per-second belongs to"),
    (("--gpus", "8", "--concurrency", "8", "--max-gpus", "8"), "--max-gpus belongs to"),
    (("--concurrency", "8",), "Missing option '--gpus'"),
    (("--gpus", "8",), "Missing option '--concurrency'"),
    (("--concurrency", "8", "--max-tpot-seconds", "0"), "--max-tpot-seconds"),
])
def test_target_usage_errors(aimc, args, says):
    run = aimc(*BASE, "--input-tokens", "1024", "--output-tokens", "128", *args)
    assert run.code == 2 and says in run.err, run.err
    assert "Traceback" not in run.err


def test_a_replica_size_that_cannot_be_predicted_names_gpus(aimc):
    """--gpus 3: tensor parallelism 3 cannot split the model's 64 heads (1, 2, 4 and 8, the default sizes, can)."""
    run = aimc(*BASE, "--gpus", "3", "--input-tokens", "1024", "--output-tokens", "128", "--concurrency", "4",
               "--max-ttft-seconds", "9")
    assert run.code == 1 and run.err.startswith("--gpus") and "Traceback" not in run.err, run.err


def test_the_choice_is_fewer_gpus_and_aggregated_on_a_tie():
    assert decide(8, 6, 64)[0] == "disaggregated"
    assert decide(6, 8, 64)[0] == "aggregated"
    assert decide(8, 8, 64) == ("aggregated", "both meet the targets on 8 GPUs: aggregated is the simpler deployment")
    assert decide(None, 8, 64)[0] == "disaggregated" and decide(8, None, 64)[0] == "aggregated"
    assert decide(None, None, 16)[0] is None
