"""vLLM's refusals of expert parallelism with LoRA adapters on a mixture of experts (aimc/resolve/lora_expert_parallel.py,
read from the released wheels; docs/operations/adapters.md "What aimc refuses"), and SGLang's absence of one. The
golden case tests/cases/error-adapter-expert-parallel shows the errors at the fields of customArgs, of an engine's
customArgs and of a recipe."""

from __future__ import annotations

import pytest
from conftest import write_tree

from aimc.catalog.model_facts import builtin_catalog
from aimc.resolve import lora_expert_parallel, lora_mlp

EP = {"--enable-lora": None, "--enable-expert-parallel": None}


def model(model_id: str):
    found = builtin_catalog().lookup(model_id)
    assert found is not None
    return found


def flags(problems) -> list[str]:
    return [problem.flag for problem in problems]


@pytest.mark.parametrize(("version", "refused"), [
    ("0.10.2", False),  # no FusedMoEWithLoRA: the experts get no LoRA layer, expert parallelism is untouched
    ("0.11.0", False),  # the 0.11.0 wheel has no vllm/lora/layers/fused_moe.py
    ("0.11.1", True), ("0.11.2", True), ("0.17.0", True), ("0.19.0", True), ("0.20.2", True),
    ("0.21.0", False), ("0.27.1", False), ("0.34.0", False),  # FusedMoEWithLoRA._ep_check serves it
])
def test_vllm_refuses_expert_parallelism_with_moe_lora_from_0_11_1_to_0_20(version, refused):
    problems = lora_expert_parallel.problems("vllm", version, model("mistralai/Mixtral-8x7B-Instruct-v0.1"), EP, 2)
    assert flags(problems) == (["--enable-expert-parallel"] if refused else [])


def test_the_refusal_cites_the_release_read():
    mixtral = model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    message = lora_expert_parallel.problems("vllm", "0.11.1", mixtral, EP, 2)[0].message
    assert "vllm/lora/layers/fused_moe.py:38" in message
    assert "EP support for Fused MoE LoRA is not implemented yet." in message
    assert "remove --enable-expert-parallel" in message and "without spec.adapters" in message
    assert "vllm/lora/layers/fused_moe.py:49" in lora_expert_parallel.problems("vllm", "0.17.0", mixtral, EP, 2)[0].message
    # a release between those read: the line of the newest read release before it
    assert "fused_moe.py, line 38 in 0.11.1" in lora_expert_parallel.problems("vllm", "0.14.0", mixtral, EP, 2)[0].message


def test_no_refusal_where_expert_parallelism_is_not_used():
    mixtral = model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    # one GPU and no data parallelism: FusedMoEParallelConfig.make leaves use_ep off
    assert lora_expert_parallel.problems("vllm", "0.17.0", mixtral, EP, 1) == []
    assert flags(lora_expert_parallel.problems("vllm", "0.17.0", mixtral, {**EP, "--data-parallel-size": "2"}, 1)) \
        == ["--enable-expert-parallel"]
    assert lora_expert_parallel.problems("vllm", "0.17.0", mixtral, {"--enable-lora": None}, 2) == []
    assert lora_expert_parallel.problems("vllm", "0.17.0", model("Qwen/Qwen3-32B"), EP, 2) == []  # dense
    assert lora_expert_parallel.problems("vllm", "0.17.0", mixtral, {"--enable-expert-parallel": None}, 2) == []


def test_newer_vllm_serves_it_only_with_its_conditions():
    mixtral = model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert flags(lora_expert_parallel.problems("vllm", "0.27.1", mixtral, {**EP, "--fully-sharded-loras": None}, 2)) \
        == ["--fully-sharded-loras"]
    assert flags(lora_expert_parallel.problems("vllm", "0.21.0", mixtral, {**EP, "--all2all-backend": "mori"}, 2)) \
        == ["--all2all-backend"]
    for fallback in ("allgather_reducescatter", "pplx", "naive"):  # pplx and naive fall back to the first
        assert lora_expert_parallel.problems("vllm", "0.21.0", mixtral, {**EP, "--all2all-backend": fallback}, 2) == []
    round_robin = {**EP, "--expert-placement-strategy": "round_robin"}
    assert flags(lora_expert_parallel.problems("vllm", "0.34.0", mixtral, round_robin, 2)) \
        == ["--expert-placement-strategy"]
    assert lora_expert_parallel.problems("vllm", "0.27.1", mixtral, round_robin, 2) == []  # not in 0.27.1's check


def test_sequence_parallel_moe_layers_are_refused_on_the_models_that_make_them():
    dp = {**EP, "--data-parallel-size": "2"}
    qwen = model("Qwen/Qwen3-235B-A22B")
    problems = lora_expert_parallel.problems("vllm", "0.27.1", qwen, dp, 4)
    assert flags(problems) == ["--enable-expert-parallel"]
    assert "sequence-parallel" in problems[0].message and "fused_moe.py:241" in problems[0].message
    assert lora_expert_parallel.problems("vllm", "0.27.1", qwen, EP, 4) == []  # no data parallelism
    assert lora_expert_parallel.problems("vllm", "0.27.1", model("mistralai/Mixtral-8x7B-Instruct-v0.1"), dp, 4) == []
    oss = model("openai/gpt-oss-120b")  # gpt_oss.py turns sequence parallelism off under LoRA from 0.27.1
    assert flags(lora_expert_parallel.problems("vllm", "0.24.0", oss, dp, 4)) == ["--enable-expert-parallel"]
    assert lora_expert_parallel.problems("vllm", "0.27.1", oss, dp, 4) == []


def test_sglang_has_no_such_rule():
    qwen = model("Qwen/Qwen3-235B-A22B")
    args = {"--enable-lora": None, "--ep-size": "8", "--moe-a2a-backend": "deepep"}
    for version in ("0.5.5.post3", "0.5.16", "0.5.23"):
        assert lora_expert_parallel.problems("sglang", version, qwen, args, 8) == []


def test_expert_lora_starts_at_0_11_1_as_both_modules_read_it():
    """The 0.11.0 wheel has no vllm/lora/layers/fused_moe.py, the 0.11.1 wheel defines FusedMoEWithLoRA there."""
    mixtral = model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert lora_mlp.EXPERT_LORA_SINCE["vllm"] == lora_expert_parallel.FIRST_MOE_LORA == "0.11.1"
    assert lora_mlp.mlp_slots(mixtral, "vllm", "0.11.0").groups == ()
    assert lora_mlp.mlp_slots(mixtral, "vllm", "0.11.1").groups == (lora_mlp.MlpGroup(32, 14336, 8),)


CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm}
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}
"""
ENDPOINT = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: mixtral}
spec:
  model: mistralai/Mixtral-8x7B-Instruct-v0.1
  gpuCount: 2
  image: {image: "vllm/vllm-openai-rocm:v0.17.0"}
  customArgs: {-ep: true}
%s"""


def test_the_error_is_at_the_field_as_written_and_exits_1(aimc, tmp_path):
    adapters = "  adapters:\n    - {name: mx-sql, source: 'hf://acme/mixtral-sql-lora', rank: 16}\n"
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": ENDPOINT % adapters})
    result = aimc("validate", str(tmp_path))
    assert result.code == 1, result.err
    assert "endpoints.yaml:8: spec.customArgs.-ep: --enable-expert-parallel cannot be combined with LoRA adapters" \
        in result.err, result.err
    assert "Traceback" not in result.err
    write_tree(tmp_path, {"endpoints.yaml": ENDPOINT % ""})
    result = aimc("validate", str(tmp_path))
    assert result.code == 0, result.err
