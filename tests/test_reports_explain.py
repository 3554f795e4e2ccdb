"""`aimc explain`: the trace of one endpoint, and only that endpoint's diagnostics."""

from __future__ import annotations


def test_explain_one_endpoint_shows_its_trace_and_not_other_endpoints_warnings(aimc):
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b")
    assert result.code == 0
    assert "endpoint qwen3-32b (examples/endpoints/qwen3-32b.yaml" in result.out
    assert "qwen3-32b-mi300x-bf16 vllm 4_gpu on pool mi300x: SELECTED" in result.out
    assert "rejected (gpu_count): 1 GPU, endpoint asks for 4" in result.out
    assert "qwen3-32b-tuned" not in result.out  # its alias warnings belong to another endpoint


def test_explain_shows_the_warnings_of_the_endpoint_asked_for(aimc):
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b-tuned")
    assert "--max-batch-size is not a vllm flag; using --max-num-seqs" in result.out


def test_explain_unknown_endpoint_names_the_known_ones(aimc):
    result = aimc("explain", "examples", "--endpoint", "nope")
    assert result.code == 1
    assert "no endpoint named nope; endpoints: llama-3-8b, llama-405b, mistral-small-24b, qwen3-32b" in result.out
