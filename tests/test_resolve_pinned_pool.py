"""spec.nodePool: an endpoint names the inventory's pool it runs on (aimc/resolve/pinned_pool.py)."""

from __future__ import annotations

import json

from conftest import write_tree

POOLS = {
    "mi300x": "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}\n",
    # Both MI300X: only the partition tells them apart (24 GiB per logical GPU in CPX).
    "mi300x-cpx": ("    - {name: mi300x-cpx, hardware: MI300X, gpusPerNode: 64, nodeCount: 1,\n"
                   "       partition: {compute: CPX, memory: NPS4},\n"
                   "       nodeSelector: {amd.com/gpu.compute-memory-partition: cpx_nps4}}\n"),
}


def _inventory(*order: str) -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
            "spec:\n  defaults: {namespace: inference}\n  nodePools:\n" + "".join(POOLS[name] for name in order))


def _endpoint(extra: str = "") -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama}\nspec:\n"
            "  model: meta-llama/Llama-3.1-8B-Instruct\n  precision: fp8\n  gpuCount: 1\n" + extra)


def _pool(aimc, repo) -> str:
    run = aimc("plan", str(repo), "--format", "json")
    assert run.code == 0, run.err
    (entry,) = json.loads(run.out)["endpoints"]
    return entry["nodePool"]


def test_without_a_pin_reordering_the_pools_moves_the_endpoint_with_one_it_stays(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"), "llama.yaml": _endpoint()})
    assert _pool(aimc, tmp_path) == "mi300x"
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x-cpx", "mi300x")})
    assert _pool(aimc, tmp_path) == "mi300x-cpx"  # the pools were reordered: the endpoint moved
    write_tree(tmp_path, {"llama.yaml": _endpoint("  nodePool: mi300x\n")})
    assert _pool(aimc, tmp_path) == "mi300x"
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"),
                          "llama.yaml": _endpoint("  nodePool: mi300x-cpx\n")})
    assert _pool(aimc, tmp_path) == "mi300x-cpx"
    built = aimc("build", str(tmp_path))
    assert "amd.com/gpu.compute-memory-partition: cpx_nps4" in built.out  # the pool's nodeSelector


def test_the_pin_shows_in_explain_and_plan(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"),
                          "llama.yaml": _endpoint("  nodePool: mi300x-cpx\n")})
    explain = aimc("explain", str(tmp_path))
    assert "  asks for: meta-llama/Llama-3.1-8B-Instruct in fp8 with 1 GPU on node pool 'mi300x-cpx' (vllm)" \
        in explain.out
    assert "vllm 1_gpu on pool mi300x-cpx: SELECTED" in explain.out
    assert "on pool mi300x:" not in explain.out
    assert "rejected (node_pool): for MI250" not in explain.out  # no MI250 pool: no_pool, as before
    plan = aimc("plan", str(tmp_path))
    assert "mi300x-cpx (spec.nodePool)" in plan.out
    report = json.loads(aimc("plan", str(tmp_path), "--format", "json").out)
    assert report["endpoints"][0]["nodePoolPinned"] is True


def test_an_unknown_pool_is_an_error_with_a_suggestion(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"),
                          "llama.yaml": _endpoint("  nodePool: mi300-cpx\n")})
    run = aimc("build", str(tmp_path))
    assert run.code == 1 and run.out == ""
    assert run.err.splitlines()[0] == (
        f"{tmp_path}/llama.yaml:8: spec.nodePool: no node pool 'mi300-cpx' in the inventory ({tmp_path}/cluster.yaml:1) "
        "(did you mean 'mi300x-cpx'?); its node pools: mi300x (MI300X), mi300x-cpx (MI300X)")


def test_a_pool_of_other_hardware_than_spec_hardware_is_an_error(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"),
                          "llama.yaml": _endpoint("  hardware: MI355X\n  nodePool: mi300x\n")})
    run = aimc("build", str(tmp_path))
    assert run.code == 1
    assert ("llama.yaml:9: spec.nodePool: node pool 'mi300x' has MI300X GPUs, but spec.hardware asks for MI355X: "
            "remove spec.hardware (the pool decides it) or name a pool of MI355X") in run.err


def test_a_pool_that_cannot_serve_the_endpoint_says_why_and_which_pool_could(aimc, tmp_path):
    """Qwen3-32B in bf16 on one GPU needs 72.6 GiB: a CPX logical GPU has 24 GiB, a whole MI300X 192 GiB."""
    qwen = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen}\nspec:\n"
            "  model: Qwen/Qwen3-32B\n  precision: bf16\n  nodePool: mi300x-cpx\n  gpuCount: 1\n")
    write_tree(tmp_path, {"cluster.yaml": _inventory("mi300x", "mi300x-cpx"), "qwen.yaml": qwen})
    run = aimc("build", str(tmp_path))
    assert run.code == 1
    first = run.err.splitlines()[0]
    assert first.startswith(f"{tmp_path}/qwen.yaml:8: spec.gpuCount: no recipe serves Qwen/Qwen3-32B in bf16 with 1 GPU "
                            "on node pool 'mi300x-cpx' (vllm)")
    assert "needs 72.6 GiB per GPU, has 21.6 GiB (24 GiB × 0.90)" in first
    assert ("node pool 'mi300x-cpx' (MI300X, CPX/NPS4, 64 GPUs per node) cannot serve it; node pool 'mi300x' could "
            "(qwen3-32b-mi300x-bf16 vllm 1_gpu): name it in spec.nodePool, or remove spec.nodePool") in first
    # Without a GPU count the pool itself is the field at fault.
    write_tree(tmp_path, {"qwen.yaml": qwen.replace("  gpuCount: 1\n", "").replace("bf16", "bf16\n  metric: latency")
                          .replace("Qwen/Qwen3-32B", "Qwen/Qwen3-235B-A22B")})
    first = aimc("build", str(tmp_path)).err.splitlines()[0]
    assert "spec.nodePool: no recipe serves Qwen/Qwen3-235B-A22B" in first, first
