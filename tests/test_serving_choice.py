"""spec.objective.serving (resolve/serving_choice.py, resolve/serving_objective.py): the objective chooses between
aggregated and disaggregated serving; `auto` renders the layout exactly as the spec.disaggregation it names, stays
aggregated where the layout saves nothing or the pool cannot run it; `disaggregated` insists; the default warns."""

from __future__ import annotations

import pytest
import yaml
from conftest import write_tree

RDMA_POOL = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  nodePools:
    - name: mi355x
      hardware: MI355X
      gpusPerNode: 8
      nodeCount: 4
      network: {rdmaResource: amd.com/nic, rdmaDevices: [rdma0, rdma1]}
"""
# Four GPUs per node and no RDMA: a prefill of 2 GPUs and a decode of 4 cannot share a node, and the KV cache cannot
# cross nodes (resolve/disaggregation.network_problems).
NO_RDMA_POOL = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  nodePools: [{name: mi355x, hardware: MI355X, gpusPerNode: 4, nodeCount: 8}]
"""
LONG = """  objective:
    workload: {inputTokens: 8192, outputTokens: 512, requestsPerSecond: 1}
    maxTtftSeconds: 0.9
    maxTpotSeconds: 0.02
"""
SHORT = """  objective:
    workload: {inputTokens: 256, outputTokens: 256, concurrency: 16}
    maxTtftSeconds: 2
    maxTpotSeconds: 0.05
"""
LAYOUT = "  disaggregation: {prefill: {replicas: 1, gpuCount: 2}, decode: {replicas: 1, gpuCount: 4}}\n"


def _endpoint(objective: str, extra: str = "") -> str:
    return ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen}\nspec:\n"
            "  model: Qwen/Qwen3-32B\n  servingEngine: sglang\n" + objective + extra)


def _tree(tmp_path, objective: str, extra: str = "", pool: str = RDMA_POOL):
    return write_tree(tmp_path, {"inventory.yaml": pool, "endpoint.yaml": _endpoint(objective, extra)})


def _serving(value: str) -> str:
    return f"    serving: {value}\n"


def _kinds(out: str) -> list[str]:
    return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in yaml.safe_load_all(out) if o)


def test_auto_renders_the_layout_exactly_as_the_spec_disaggregation_it_names(aimc, tmp_path):
    auto = aimc("build", str(_tree(tmp_path / "auto", LONG + _serving("auto"))))
    written = aimc("build", str(_tree(tmp_path / "written", LONG, LAYOUT)))
    assert auto.code == 0 and written.code == 0, auto.err + written.err
    assert auto.out == written.out  # byte for byte: the same resolve path
    assert "Deployment/qwen-prefill-sglang" in _kinds(auto.out) and "Deployment/qwen-decode-sglang" in _kinds(auto.out)
    plan = aimc("plan", str(tmp_path / "auto"))
    assert "sglang/prefill" in plan.out and "sglang/decode" in plan.out  # capacity counts both roles
    text = aimc("explain", str(tmp_path / "auto")).out
    assert ("serving (spec.objective.serving: auto): disaggregated: it meets the targets on 6 GPUs, aggregated "
            "serving needs 8") in text
    assert "best aggregated: qwen3-32b-mi355x-bf16 sglang 4_gpu on pool mi355x, 2 replica(s) = 8 GPUs: meets" in text
    assert "best disaggregated: 1 prefill x 2 + 1 decode x 4 GPUs (6 GPUs): meets" in text
    assert "not calibrated against measured disaggregated runs" in text


def test_auto_stays_aggregated_when_aggregated_needs_fewer_gpus(aimc, tmp_path):
    auto = aimc("build", str(_tree(tmp_path / "auto", SHORT + _serving("auto"))))
    default = aimc("build", str(_tree(tmp_path / "default", SHORT)))
    assert auto.code == 0 and auto.out == default.out and "disaggregation-mode" not in auto.out
    text = aimc("explain", str(tmp_path / "auto")).out
    assert ("serving (spec.objective.serving: auto): aggregated: it meets the targets on 1 GPUs, the best "
            "disaggregated layout needs 2") in text
    assert "best disaggregated: 1 prefill x 1 + 1 decode x 1 GPUs (2 GPUs): meets" in text
    assert "serving (" not in aimc("explain", str(tmp_path / "default")).out  # the default says nothing here


def test_auto_stays_aggregated_where_the_pool_cannot_move_the_kv_cache(aimc, tmp_path):
    auto = aimc("build", str(_tree(tmp_path / "auto", LONG + _serving("auto"), pool=NO_RDMA_POOL)))
    default = aimc("build", str(_tree(tmp_path / "default", LONG, pool=NO_RDMA_POOL)))
    assert auto.code == 0, auto.err
    assert auto.out == default.out and "disaggregation-mode" not in auto.out
    assert "warning: spec.objective: " not in default.err  # the default does not advise what cannot run
    text = aimc("explain", str(tmp_path / "auto")).out
    assert "aggregated: the layout that would win cannot be served here: node pool 'mi355x'" in text
    assert "declares no RDMA" in text


def test_auto_stays_aggregated_beside_endpoint_wide_autoscaling(aimc, tmp_path):
    scaling = "  autoScaling: {enabled: true, maxReplicas: 4}\n"
    auto = aimc("build", str(_tree(tmp_path / "auto", LONG + _serving("auto"), scaling)))
    assert auto.code == 0 and "disaggregation-mode" not in auto.out, auto.err
    text = aimc("explain", str(tmp_path / "auto")).out
    assert "aggregated: the layout that would win cannot be served with spec.autoScaling" in text


def test_the_default_warns_with_the_yaml_that_renders_the_layout(aimc, tmp_path):
    run = aimc("build", str(_tree(tmp_path / "default", LONG)))
    assert run.code == 0
    assert ("endpoint.yaml:7: warning: spec.objective: aggregated serving needs 8 GPUs (TTFT <= 0.9 s, TPOT <= 0.02 s "
            "at 1 requests/s of 8192 + 512 tokens); a disaggregated layout, 1 prefill x 2 + 1 decode x 4 GPUs "
            "(6 GPUs), is predicted to meet it: add spec.disaggregation: {prefill: {replicas: 1, gpuCount: 2}, "
            "decode: {replicas: 1, gpuCount: 4}}, or set spec.objective.serving: auto (the P/D model is not "
            "calibrated against measured disaggregated runs") in run.err
    assert aimc("build", "--strict", str(tmp_path / "default")).code == 1
    # The YAML it names: the layout is predicted to meet the objective, nothing is left to warn about.
    followed = aimc("build", "--strict", str(_tree(tmp_path / "followed", LONG, LAYOUT)))
    assert followed.code == 0, followed.err
    assert "meets (the performance model's disaggregated extension" in aimc("explain", str(tmp_path / "followed")).out
    # Explicitly aggregated: the same warning, and explain shows the comparison.
    explicit = aimc("build", str(_tree(tmp_path / "explicit", LONG + _serving("aggregated"))))
    assert explicit.out == run.out and "add spec.disaggregation" in explicit.err


def test_disaggregated_renders_the_best_layout_even_where_aggregated_needs_fewer(aimc, tmp_path):
    run = aimc("build", str(_tree(tmp_path, SHORT + _serving("disaggregated"))))
    assert run.code == 0, run.err
    assert "Deployment/qwen-prefill-sglang" in _kinds(run.out)
    text = aimc("explain", str(tmp_path)).out
    assert "disaggregated, as written: the best layout that meets the targets" in text
    assert "best disaggregated: 1 prefill x 1 + 1 decode x 1 GPUs (2 GPUs)" in text


def test_disaggregated_without_a_layout_that_meets_is_an_error_at_serving(aimc, tmp_path):
    tight = LONG.replace("maxTtftSeconds: 0.9", "maxTtftSeconds: 0.01")
    run = aimc("build", str(_tree(tmp_path, tight + _serving("disaggregated"))))
    assert run.code == 1 and run.out == ""
    assert ("endpoint.yaml:11: spec.objective.serving: no disaggregated layout within 32 GPUs (the node pools' "
            "capacity; at most 8 replicas per role) is predicted to meet TTFT <= 0.01 s") in run.err


def test_disaggregated_where_the_pool_cannot_run_it_is_an_error_at_serving(aimc, tmp_path):
    run = aimc("build", str(_tree(tmp_path, LONG + _serving("disaggregated"), pool=NO_RDMA_POOL)))
    assert run.code == 1 and run.out == ""
    assert "endpoint.yaml:11: spec.objective.serving: the layout the objective chose (spec.disaggregation: " in run.err
    assert "declares no RDMA" in run.err


@pytest.mark.parametrize(("objective", "extra", "says"), [
    (LONG + _serving("sometimes"), "", "endpoint.yaml:11: spec.objective.serving: "),
    (LONG + _serving("auto"), LAYOUT, "endpoint.yaml:11: spec.objective.serving: serving: auto contradicts "
                                      "spec.disaggregation"),
    (LONG + _serving("aggregated"), LAYOUT, "serving: aggregated contradicts spec.disaggregation"),
    (LONG + _serving("disaggregated"), "  autoScaling: {enabled: true, maxReplicas: 2}\n",
     "spec.objective.serving: serving: disaggregated runs prefill and decode as separate roles, each with its own "
     "replicas: spec.autoScaling does not apply"),
    (LONG + _serving("disaggregated"), "  servingEngines: [sglang]\n", "of one engine: give spec.servingEngine"),
])
def test_serving_that_cannot_hold_is_an_error_with_its_line(aimc, tmp_path, objective, extra, says):
    root = _tree(tmp_path, objective, extra)
    if "servingEngines" in extra:
        (root / "endpoint.yaml").write_text(_endpoint(objective, extra).replace("  servingEngine: sglang\n", ""))
    run = aimc("build", str(root))
    assert run.code == 1 and run.out == "" and says in run.err, run.err
    assert "Traceback" not in run.err


def test_disaggregated_beside_spec_disaggregation_agrees(aimc, tmp_path):
    both = aimc("build", str(_tree(tmp_path / "both", LONG + _serving("disaggregated"), LAYOUT)))
    written = aimc("build", str(_tree(tmp_path / "written", LONG, LAYOUT)))
    assert both.code == 0 and both.out == written.out, both.err


MI250_POOL = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  nodePools: [{name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 8, network: {rdmaResource: amd.com/nic}}]
"""
LLAMA = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: llama}
spec:
  model: meta-llama/Llama-3.3-70B-Instruct
  objective:
    workload: {inputTokens: 4096, outputTokens: 256, concurrency: 32}
    maxTpotSeconds: 0.2
"""


def test_on_a_gpu_the_model_cannot_predict_auto_stays_aggregated_and_disaggregated_is_an_error(aimc, tmp_path):
    """MI250 has no performance peaks in the hardware catalog: no layout can be predicted there."""
    auto = write_tree(tmp_path / "auto", {"i.yaml": MI250_POOL, "e.yaml": LLAMA + "    serving: auto\n"})
    run = aimc("build", str(auto))
    assert run.code == 0 and "disaggregation" not in run.out, run.err
    text = aimc("explain", str(auto)).out
    assert "aggregated: no disaggregated layout can be predicted" in text
    insisted = write_tree(tmp_path / "insisted", {"i.yaml": MI250_POOL, "e.yaml": LLAMA + "    serving: disaggregated\n"})
    run = aimc("build", str(insisted))
    assert run.code == 1 and "e.yaml:9: spec.objective.serving: no configuration the endpoint's selection kept can " \
                              "be predicted" in run.err, run.err


def test_auto_where_neither_meets_fails_and_says_what_became_of_the_layout(aimc, tmp_path):
    tight = LONG.replace("maxTtftSeconds: 0.9", "maxTtftSeconds: 0.01")
    run = aimc("build", str(_tree(tmp_path, tight + _serving("auto"))))
    assert run.code == 1 and run.out == ""
    assert "endpoint.yaml:7: spec.objective: no configuration meets TTFT <= 0.01 s" in run.err
    assert ("endpoint.yaml:11: spec.objective.serving: auto: aggregated serving fails (the errors of this endpoint), "
            "and disaggregated serving too: no layout within 32 GPUs is predicted to meet the targets") in run.err


VLLM_POOL = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 4, network: {rdmaResource: amd.com/nic}}
"""
VLLM = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: chat}
spec:
  model: meta-llama/Llama-3.3-70B-Instruct
  precision: fp8
  objective:
    workload: {inputTokens: 1024, outputTokens: 512, concurrency: 64}
    maxTtftSeconds: 1
    maxTpotSeconds: 0.025
    serving: auto
"""


def test_vllm_auto_renders_the_layout_and_an_image_without_a_connector_stays_aggregated(aimc, tmp_path):
    """vLLM too: 3 prefill x 1 + 1 decode x 4 GPUs against 2 x 4 aggregated; pinned to AMD's 0.11.1 fork, which has
    no KV connector aimc can render (MoRI-IO is registered from vLLM 0.17.0), auto stays aggregated and says why."""
    default_image = write_tree(tmp_path / "default", {"i.yaml": VLLM_POOL, "e.yaml": VLLM})
    run = aimc("build", str(default_image))
    assert run.code == 0 and "--kv-transfer-config" in run.out, run.err
    assert "Deployment/chat-prefill-vllm" in _kinds(run.out)
    old = VLLM.replace("  precision: fp8\n", "  precision: fp8\n  image: rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103\n")
    pinned = write_tree(tmp_path / "pinned", {"i.yaml": VLLM_POOL, "e.yaml": old})
    run = aimc("build", str(pinned))
    assert run.code == 0 and "--kv-transfer-config" not in run.out, run.err
    text = aimc("explain", str(pinned)).out
    assert ("aggregated: the layout that would win cannot be served here: aimc's runtime catalog names no KV transfer "
            "backend for image 'rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103'") in text
