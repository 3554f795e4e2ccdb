"""Data-parallel ranks against the pod's GPUs (aimc/resolve/world_size.py): each rank is a whole engine of
tensor × pipeline workers on devices of its own, so a pod alone must hold ranks × TP × PP GPUs."""

from __future__ import annotations

import pytest
from conftest import write_tree

from aimc.resolve import world_size

CLUSTER = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
           "spec:\n  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}]\n")
ENDPOINT = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
            "spec:\n  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  gpuCount: %d\n  servingEngine: %s\n"
            "  customArgs:\n%s")


@pytest.mark.parametrize(("engine", "canonical"), [("vllm", "--data-parallel-size"), ("sglang", "--dp-size")])
def test_data_parallel_ranks_beyond_the_pods_gpus_are_an_error_at_the_flag(aimc, tmp_path, engine, canonical):
    write_tree(tmp_path, {"c.yaml": CLUSTER,
                          "e.yaml": ENDPOINT % (1, engine, "    --data-parallel-size: 64\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == "", result.err
    assert (f"e.yaml:10: spec.customArgs.--data-parallel-size: {canonical} 64 runs 64 data-parallel engines "
            "of tensor-parallel size 1, 64 GPUs, but the pod has 1: ") in result.err, result.err
    assert f"Remove {canonical} and raise spec.replicas" in result.err


def test_a_data_parallel_size_of_one_still_builds(aimc, tmp_path):
    write_tree(tmp_path, {"c.yaml": CLUSTER, "e.yaml": ENDPOINT % (2, "vllm", "    --data-parallel-size: 1\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err


@pytest.mark.parametrize(("engine", "args", "gpus", "wrong"), [
    ("vllm", {"--data-parallel-size": "2", "--tensor-parallel-size": "4"}, 8, False),
    ("vllm", {"--data-parallel-size": "2", "--tensor-parallel-size": "8"}, 8, True),
    ("vllm", {"--data-parallel-size": "4", "--data-parallel-size-local": "2", "--tensor-parallel-size": "4"}, 8,
     False),
    ("vllm", {"--data-parallel-size": "4", "--data-parallel-size-local": "4", "--tensor-parallel-size": "4"}, 8,
     True),
    ("vllm", {"--data-parallel-size": "16", "--data-parallel-external-lb": True, "--data-parallel-rank": "3",
              "--tensor-parallel-size": "8"}, 8, False),  # ranks placed elsewhere by the user's own launch
    ("vllm", {"--data-parallel-size": "2", "--tensor-parallel-size": "2", "--pipeline-parallel-size": "2"}, 8,
     False),
    ("vllm", {"--data-parallel-size": "2", "--tensor-parallel-size": "4", "--pipeline-parallel-size": "2"}, 8,
     True),
    ("sglang", {"--data-parallel-size": "2", "--tp-size": "8"}, 8, True),
    ("sglang", {"--dp-size": "2", "--tp-size": "4"}, 8, False),
    ("sglang", {"--dp-size": "8", "--tp-size": "8", "--enable-dp-attention": True}, 8, False),  # inside the TP group
])
def test_the_ranks_times_their_workers_must_fit_the_pod(engine, args, gpus, wrong):
    found = world_size._data_parallel(engine, "x", args, gpus)
    assert bool(found) is wrong, found
