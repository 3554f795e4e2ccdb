"""SGLang's refusals of its second LoRA kernels on ROCm (aimc/resolve/lora_rocm.py, read from the released wheels;
docs/operations/adapters.md "What aimc refuses"): `--lora-backend triton_v2` with LoRA on and any
`--moe-runner-backend lora_*`, from 0.5.23, the first release with them. The golden case
tests/cases/error-adapter-sglang-rocm shows the errors at the fields of customArgs and of an engine's customArgs."""

from __future__ import annotations

import pytest
from conftest import write_tree

from aimc.resolve import lora_rocm

LORA = {"--enable-lora": None}
V2 = {"--lora-backend": "triton_v2"}


def flags(problems) -> list[str]:
    return [problem.flag for problem in problems]


def test_triton_v2_with_lora_is_refused_on_rocm_with_its_source_and_the_fix():
    problems = lora_rocm.problems("sglang", "0.5.23", "0.5.23", {**LORA, **V2})
    assert flags(problems) == ["--lora-backend"]
    message = problems[0].message
    assert "\"--lora-backend triton_v2 does not yet support ROCm\"" in message
    assert "sglang/srt/arg_groups/lora_hook.py:30" in message and "_check_v2_lora_modes" in message
    assert "line 54" in message
    assert "use --lora-backend csgmv (the default) or triton" in message
    # --lora-paths turns LoRA on as well (check_lora_server_args)
    assert flags(lora_rocm.problems("sglang", "0.5.23", "0.5.23", {"--lora-paths": ("a=/x",), **V2})) \
        == ["--lora-backend"]


def test_triton_v2_without_lora_is_never_checked():
    assert lora_rocm.problems("sglang", "0.5.23", "0.5.23", V2) == []


@pytest.mark.parametrize("backend", ["triton", "csgmv", "torch_native", None])
def test_the_other_lora_backends_are_served(backend):
    args = {**LORA, "--lora-backend": backend} if backend else LORA
    assert lora_rocm.problems("sglang", "0.5.23", "0.5.23", args) == []
    assert lora_rocm.problems("sglang", "0.5.23", "0.5.23", {**LORA, "--moe-runner-backend": "aiter"}) == []


@pytest.mark.parametrize("runner", ["lora_triton", "lora_marlin", "lora_cutedsl"])
def test_a_lora_moe_runner_is_refused_with_or_without_lora(runner):
    with_v2 = lora_rocm.problems("sglang", "0.5.23", "0.5.23", {**LORA, **V2, "--moe-runner-backend": runner})
    assert flags(with_v2) == ["--moe-runner-backend", "--lora-backend"]  # both must change
    assert f"\"--moe-runner-backend {runner} does not yet support ROCm\"" in with_v2[0].message
    assert "line 208" in with_v2[0].message and "remove --moe-runner-backend" in with_v2[0].message
    assert "check_lora_moe_runner_args at line 208" in with_v2[1].message  # checked with the runner, not at line 54
    without = lora_rocm.problems("sglang", "0.5.23", "0.5.23", {"--moe-runner-backend": runner})
    assert flags(without) == ["--moe-runner-backend"]
    assert "requires --enable-lora (or --lora-paths)" in without[0].message
    assert "lora_hook.py:201" in without[0].message


def test_the_rule_follows_the_engine_version_inside_the_image():
    args = {**LORA, **V2, "--moe-runner-backend": "lora_triton"}
    assert lora_rocm.problems("vllm", "0.22.0", "0.22.0", args) == []
    # 0.5.16 and older: its flag set refuses both values already, nothing more to say
    assert lora_rocm.problems("sglang", "0.5.16", "0.5.16", args) == []
    # 0.5.21 is checked against 0.5.23's flag set, which lets the values through: the 0.5.20 and 0.5.22 wheels lack them
    absent = lora_rocm.problems("sglang", "0.5.21", "0.5.23", args)
    assert flags(absent) == ["--lora-backend", "--moe-runner-backend"]
    assert "--lora-backend triton_v2 is not in SGLang 0.5.21: 0.5.23 is the first release with it" in absent[0].message
    # a later release than the one read: the line of the newest read release
    assert "lora_hook.py, line 30 in 0.5.23" in lora_rocm.problems("sglang", "0.5.24", "0.5.23", {**LORA, **V2})[0].message


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
metadata: {name: qwen}
spec:
  model: Qwen/Qwen3-32B
  gpuCount: 2
  servingEngine: sglang
  image: {image: "lmsysorg/sglang:v0.5.23-rocm720-mi30x"}
  customArgs:
    --lora-backend: %s
  adapters:
    - {name: qwen-sql, source: 'hf://acme/qwen3-32b-sql-lora', rank: 16}
"""


def test_the_error_is_at_the_field_as_written_and_exits_1(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": ENDPOINT % "triton_v2"})
    result = aimc("build", str(tmp_path))
    assert result.code == 1, result.err
    assert "endpoints.yaml:10: spec.customArgs.--lora-backend: --lora-backend triton_v2 cannot be served on AMD " \
        "GPUs: SGLang 0.5.23 refuses it on ROCm" in result.err, result.err
    assert "Traceback" not in result.err and result.out == ""
    write_tree(tmp_path, {"endpoints.yaml": ENDPOINT % "csgmv"})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    assert "--lora-backend" in result.out


def test_a_lora_moe_runner_in_an_engines_custom_args_is_an_error_there_without_adapters(aimc, tmp_path):
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen-moe}\nspec:\n"
                "  model: Qwen/Qwen3-235B-A22B\n  image: {image: \"lmsysorg/sglang:v0.5.23-rocm720-mi30x\"}\n"
                "  servingEngines:\n"
                "    - {engine: sglang, gpuCount: 8, customArgs: {--moe-runner-backend: lora_triton}}\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": endpoint})
    result = aimc("validate", str(tmp_path))
    assert result.code == 1, result.err
    assert "endpoints.yaml:8: spec.servingEngines[0].customArgs.--moe-runner-backend: --moe-runner-backend " \
        "lora_triton cannot be served on AMD GPUs" in result.err, result.err
    assert "requires --enable-lora (or --lora-paths)" in result.err and "Traceback" not in result.err
