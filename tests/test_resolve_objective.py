"""spec.objective (resolve/objective.py): the configuration that meets a latency target with the fewest GPUs, the
replica count it sets, the checks with a fixed GPU count, and what `explain` and `plan` show of it."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import write_tree

INVENTORY = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: c}
spec:
  nodePools: [{name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 8}]
"""


def _endpoint(objective: str, extra: str = "") -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama}\nspec:\n"
            "  model: meta-llama/Llama-3.3-70B-Instruct\n  precision: fp8\n" + extra + "  objective:\n" + objective)


def _tree(tmp_path, objective: str, extra: str = ""):
    return write_tree(tmp_path, {"inventory.yaml": INVENTORY, "endpoint.yaml": _endpoint(objective, extra)})


def _workload(aimc, root, *more):
    """(GPUs per replica, replicas, the rendered objects) of a build."""
    run = aimc("build", str(root), *more)
    assert run.code == 0, run.err
    objects = [o for o in yaml.safe_load_all(run.out) if o]
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    gpus = int(deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["amd.com/gpu"])
    return gpus, deployment["spec"].get("replicas"), objects


WORKLOAD = "    workload: {inputTokens: 1024, outputTokens: 512, concurrency: 64}\n"


def test_a_loose_objective_takes_fewer_gpus_than_a_tight_one(aimc, tmp_path):
    loose = _tree(tmp_path / "loose", WORKLOAD + "    maxTtftSeconds: 5\n    maxTpotSeconds: 0.2\n")
    tight = _tree(tmp_path / "tight", WORKLOAD + "    maxTtftSeconds: 1\n    maxTpotSeconds: 0.025\n")
    gpus_loose, replicas_loose, _ = _workload(aimc, loose)
    gpus_tight, replicas_tight, _ = _workload(aimc, tight)
    assert gpus_loose * replicas_loose < gpus_tight * replicas_tight
    assert (gpus_loose, replicas_loose) == (1, 1)


def test_the_choice_is_the_fewest_gpus_that_meet_the_targets(aimc, tmp_path):
    """The prediction of every candidate is in `explain`; the selected one has the fewest GPUs in total of those
    that meet, and a candidate with fewer GPUs misses."""
    root = _tree(tmp_path, WORKLOAD + "    maxTtftSeconds: 2\n    maxTpotSeconds: 0.03\n")
    gpus, replicas, _ = _workload(aimc, root)
    text = aimc("explain", str(root)).out
    assert "objective: TTFT <= 2 s, TPOT <= 0.03 s at 64 concurrent requests of 1024 + 512 tokens" in text
    predicted = [line for line in text.splitlines() if "predicted:" in line]
    assert len(predicted) == 4  # the 1, 2, 4 and 8 GPU configurations that fit
    totals = []
    for line in predicted:
        total = int(line.split(" GPUs, ")[0].rsplit("= ", 1)[1])
        totals.append((line.split("predicted: ")[1].split(" ")[0], total))
    meeting = [total for verdict, total in totals if verdict == "meets"]
    assert gpus * replicas == min(meeting)
    selected = text.splitlines()[text.splitlines().index(next(line for line in text.splitlines()
                                                              if ": SELECTED" in line)) + 1]
    assert f"= {gpus * replicas} GPUs" in selected and "(model)" in selected


def test_requests_per_second_workload_sets_replicas(aimc, tmp_path):
    few = _tree(tmp_path / "few", "    workload: {inputTokens: 1024, outputTokens: 256, requestsPerSecond: 1}\n"
                                  "    maxTpotSeconds: 0.05\n")
    many = _tree(tmp_path / "many", "    workload: {inputTokens: 1024, outputTokens: 256, requestsPerSecond: 10}\n"
                                    "    maxTpotSeconds: 0.05\n")
    gpus_few, replicas_few, _ = _workload(aimc, few)
    gpus_many, replicas_many, _ = _workload(aimc, many)
    assert gpus_many * replicas_many > gpus_few * replicas_few


def test_autoscaling_minimum_follows_the_objective(aimc, tmp_path):
    root = _tree(tmp_path, WORKLOAD + "    maxTtftSeconds: 1\n    maxTpotSeconds: 0.025\n",
                 "  autoScaling: {enabled: true, maxReplicas: 1}\n")
    gpus, replicas, objects = _workload(aimc, root)
    assert replicas is None  # the autoscaler owns the count
    [hpa] = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    plain = _workload(aimc, _tree(tmp_path / "plain", WORKLOAD + "    maxTtftSeconds: 1\n    maxTpotSeconds: 0.025\n"))
    assert hpa["spec"]["minReplicas"] == plain[1] and hpa["spec"]["maxReplicas"] == max(1, plain[1])


def test_no_configuration_meets_lists_the_best_predictions(aimc, tmp_path):
    root = _tree(tmp_path, WORKLOAD + "    maxTpotSeconds: 0.0001\n")
    run = aimc("build", str(root))
    assert run.code == 1 and "Traceback" not in run.err
    [line] = [line for line in run.err.splitlines() if "spec.objective" in line]
    assert line.startswith(f"{root / 'endpoint.yaml'}:7: spec.objective: no configuration meets TPOT <= 0.0001 s")
    assert "the best predictions: llama-3-3-70b-instruct-mi300x-fp8 vllm 8_gpu on pool mi300x: TTFT" in line
    assert "Loosen the targets" in line


def test_a_fixed_gpu_count_is_checked_not_chosen(aimc, tmp_path):
    root = _tree(tmp_path, WORKLOAD + "    maxTpotSeconds: 0.01\n", "  gpuCount: 1\n")
    run = aimc("build", str(root))
    assert run.code == 0
    assert "warning: spec.objective: llama-3-3-70b-instruct-mi300x-fp8 vllm 1_gpu on pool mi300x with 1 replica(s) " \
           "is predicted to miss TPOT <= 0.01 s" in run.err
    strict = aimc("build", "--strict", str(root))
    assert strict.code == 1 and "spec.objective" in strict.err
    met = _tree(tmp_path / "met", WORKLOAD + "    maxTpotSeconds: 1\n", "  gpuCount: 1\n  replicas: 3\n")
    assert _workload(aimc, met, "--strict")[:2] == (1, 3)


@pytest.mark.parametrize(("objective", "extra", "says"), [
    ("    workload: {inputTokens: 1, outputTokens: 1, concurrency: 1, requestsPerSecond: 1}\n    maxTpotSeconds: 1\n",
     "", "spec.objective.workload: give either concurrency (requests in flight) or requestsPerSecond, exactly one"),
    ("    workload: {inputTokens: 1, outputTokens: 1}\n    maxTpotSeconds: 1\n", "",
     "give either concurrency"),
    ("    workload: {inputTokens: 1, outputTokens: 1, concurrency: 1}\n", "",
     "spec.objective: give a target: maxTtftSeconds and/or maxTpotSeconds"),
    (WORKLOAD + "    maxTpotSeconds: 1\n", "  replicas: 2\n",
     "spec.objective: without gpuCount the objective chooses the replica count: remove spec.replicas"),
    (WORKLOAD + "    maxTpotSeconds: 1\n", "  servingEngines: [vllm, sglang]\n",
     "an objective sizes one engine; this endpoint lists 2"),
    (WORKLOAD + "    maxTpotSeconds: 0\n", "", "spec.objective.maxTpotSeconds"),
    (WORKLOAD + "    maxTtftSeconds: '2'\n", "", "spec.objective.maxTtftSeconds"),
    ("    workload: {inputTokens: 0, outputTokens: 1, concurrency: 1}\n    maxTpotSeconds: 1\n", "",
     "spec.objective.workload.inputTokens"),
    ("    workload: {inputTokens: 1, outputTokens: 1, concurrency: 99999999999}\n    maxTpotSeconds: 1\n", "",
     "spec.objective.workload.concurrency"),
    (WORKLOAD + "    maxTpotSeconds: 1\n    maxTpot: 1\n", "", "spec.objective.maxTpot"),
])
def test_objective_errors_name_file_line_and_field(aimc, tmp_path, objective, extra, says):
    root = _tree(tmp_path, objective, extra)
    run = aimc("validate", str(root))
    assert run.code == 1 and "Traceback" not in run.err
    assert says in run.err and f"{root / 'endpoint.yaml'}:" in run.err


def test_plan_shows_predicted_capacity(aimc, tmp_path):
    root = _tree(tmp_path, WORKLOAD + "    maxTtftSeconds: 2\n    maxTpotSeconds: 0.04\n")
    text = aimc("plan", str(root)).out
    assert "Predicted capacity" in text and "REQ/S/REPLICA" in text and "pool mi300x" in text
    [row] = json.loads(aimc("plan", str(root), "--format", "json").out)["predictedCapacity"]
    assert row["meetsObjective"] and row["source"] == "model"
    assert row["requestsPerSecond"] == pytest.approx(row["requestsPerSecondPerReplica"] * row["replicas"], rel=1e-3)
    assert row["replicas"] * row["concurrencyPerReplica"] >= 64


def test_without_objective_nothing_changes(aimc, tmp_path):
    """The static ranking and replicas stay as they were when no objective is written."""
    plain = write_tree(tmp_path, {"inventory.yaml": INVENTORY, "endpoint.yaml": _endpoint("").replace(
        "  objective:\n", "")})
    gpus, replicas, _ = _workload(aimc, plain)
    assert (gpus, replicas) == (1, 1)
    text = aimc("explain", str(plain)).out
    assert "predicted:" not in text  # no objective: nothing judged against one
    # Every kept candidate is still predicted, at the built-in latency scenario, with its source.
    predicted = [line for line in text.splitlines() if "predicted (latency scenario: 1024 + 128 tokens, 1 request "
                                                          "in flight): TTFT" in line]
    assert len(predicted) == 4 and all(line.endswith("(model)") for line in predicted)
