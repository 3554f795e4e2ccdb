"""The performance model (aimc/perf): the physics it must respect, the calibration it ships, and `aimc estimate`."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import REPO

from aimc.catalog.model_facts import builtin_catalog
from aimc.perf import serving
from aimc.perf.calibration import Calibration, calibration_file, shipped
from aimc.perf.hardware import Peaks, peaks
from aimc.perf.physics import Configuration
from aimc.records import replace

LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
CALIBRATION = shipped()


def _config(model=LLAMA_70B, gpu="MI300X", precision="fp8", tp=8, **more) -> Configuration:
    facts = builtin_catalog().lookup(model)
    assert facts is not None
    known = peaks(gpu)
    assert known is not None
    return Configuration(facts, known, precision, "vllm", tp, **more)


def _predict(config: Configuration, concurrency: int, inp=1024, out=512) -> serving.Prediction:
    return serving.predict(config, serving.Workload(inp, out, concurrency), CALIBRATION)


@pytest.mark.parametrize("model", [LLAMA_70B, "deepseek-ai/DeepSeek-R1-0528", "Qwen/Qwen3-235B-A22B",
                                   "openai/gpt-oss-120b"])
@pytest.mark.parametrize("gpu", ["MI300X", "MI355X"])
def test_monotonic_in_concurrency(model, gpu):
    """More requests in flight: TTFT and TPOT never fall, throughput never falls (past the batch limit it stays)."""
    config = _config(model, gpu, "fp8", 8, kv_capacity_tokens=2_000_000)
    previous = None
    for concurrency in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096):
        now = _predict(config, concurrency)
        if previous is not None:
            assert now.ttft_s >= previous.ttft_s
            assert now.tpot_s >= previous.tpot_s
            assert now.output_tokens_per_s >= previous.output_tokens_per_s * (1 - 1e-12)
        previous = now


def test_tpot_falls_with_tensor_parallelism_when_decode_is_memory_bound():
    """One request of a 70B model: each step reads the weights; more GPUs read them in parallel."""
    tpot = [_predict(_config(tp=tp), 1).tpot_s for tp in (1, 2, 4, 8)]
    assert tpot == sorted(tpot, reverse=True) and tpot[0] > 2 * tpot[-1]


def test_fp8_is_faster_than_bf16_where_the_hardware_has_fp8():
    fp8, bf16 = _predict(_config(precision="fp8"), 32, 4096), _predict(_config(precision="bf16"), 32, 4096)
    assert fp8.ttft_s < bf16.ttft_s and fp8.tpot_s < bf16.tpot_s
    assert fp8.output_tokens_per_s > bf16.output_tokens_per_s


def test_fp8_compute_falls_back_to_16_bits_without_an_fp8_peak():
    """A GPU whose peaks list no fp8: FP8 weights still halve the bytes read, the products run in bf16."""
    no_fp8 = Peaks("X", 5.3, (("bf16", 1307.0),), 448.0)
    assert no_fp8.compute_dtype("fp8") == "bf16" and no_fp8.flops("fp8") == no_fp8.flops("bf16")
    assert peaks("MI300X").compute_dtype("fp4") == "bf16"  # no FP4 tensor cores on CDNA3
    assert peaks("MI355X").compute_dtype("fp4") == "fp4"


def test_moe_runs_its_active_parameters():
    """DeepSeek-R1 (671B, 37B active) prefills like a 37B model; taken as dense it would be ~18x slower."""
    moe = _config("deepseek-ai/DeepSeek-R1-0528")
    dense = replace(moe, model=replace(moe.model, active_parameters_b=moe.model.parameters_b))
    one_moe, one_dense = _predict(moe, 1, 8192, 64), _predict(dense, 1, 8192, 64)
    assert one_dense.ttft_s > 5 * one_moe.ttft_s
    assert one_dense.tpot_s > 5 * one_moe.tpot_s  # one token reads the active experts only


def test_mla_latent_is_not_split_by_tensor_parallelism():
    """The MLA latent is cached whole on every rank: at long context, adding ranks does not shrink KV reads."""
    model = _config("deepseek-ai/DeepSeek-R1-0528").model
    assert model.kv_split(8) == 1


def test_sliding_window_layers_read_at_most_their_window():
    gpt = _config("openai/gpt-oss-120b", "MI355X", "fp4")
    assert gpt.model.sliding_window_layers
    full = replace(gpt, model=replace(gpt.model, sliding_window_layers=0, sliding_window=None))
    assert _predict(gpt, 64, 65536, 256).tpot_s < _predict(full, 64, 65536, 256).tpot_s


def test_fp4_uses_the_fp4_peak_on_mi355x():
    fp4, fp8 = _predict(_config(gpu="MI355X", precision="fp4"), 8, 8192), _predict(_config(gpu="MI355X"), 8, 8192)
    assert fp4.ttft_s < fp8.ttft_s


def test_batch_is_bounded_by_the_kv_cache():
    config = _config(kv_capacity_tokens=15360)  # 10 requests of 1024 + 512 tokens
    assert _predict(config, 64).batch == 10


# -- the calibration ------------------------------------------------------------------------------------------

def _tool():
    spec = importlib.util.spec_from_file_location("perf_calibrate", REPO / "tools" / "perf_calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_calibration_is_what_the_tool_fits(capsys):
    """The factors and error figures in the catalog are reproduced by a fit on the vendored data."""
    assert _tool().main(["--check"]) == 0, capsys.readouterr().err


def test_held_out_points_are_never_fitted():
    tool = _tool()
    rows = [json.loads(line) for line in tool.DATA.read_text().splitlines() if line.strip()]
    found, _ = tool.points(rows, tool.models())
    test = [p for p in found if p["heldOut"]]
    assert test and all(tool.held_out(rows[p["row"] - 1]) for p in test)
    # `result` fits on the points that are not held out (the check above reproduces the shipped file from it): the
    # held-out rows are exactly the Vultr ones, AMD's 0.11.1 table and Kimi-K2.5.
    assert {rows[p["row"] - 1]["gpu"] for p in test} == {"mi325x", "mi355x", "mi300x"}
    assert all("0.11.1" in str(rows[p["row"] - 1].get("image")) for p in test if p["gpu"] == "MI300X")
    data = calibration_file()
    assert data["data"]["heldOutPoints"] == len(test)
    assert set(data["error"]["heldOut"]) >= {"ttft", "totalTokensPerSecondPerGpu"}


def test_docs_state_the_measured_error():
    """docs/concepts/performance.md quotes every error figure of the shipped calibration."""
    text = (REPO / "docs" / "concepts" / "performance.md").read_text()
    for split, metrics in calibration_file()["error"].items():
        for metric, figures in metrics.items():
            assert f"{figures['medianAbsolutePercentageError']:.1f} %" in text, (split, metric)


def test_calibration_round_trips():
    assert Calibration.from_json(CALIBRATION.to_json()) == CALIBRATION


# -- aimc estimate --------------------------------------------------------------------------------------------

ESTIMATE = ("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "fp8", "--gpus", "8",
            "--input-tokens", "1024", "--output-tokens", "512")


def test_estimate_json_per_concurrency(aimc):
    run = aimc(*ESTIMATE, "--concurrency", "1", "8", "64", "--format", "json")
    assert run.code == 0, run.err
    items = json.loads(run.out)
    assert [i["concurrency"] for i in items] == [1, 8, 64]
    assert set(items[0]) == {"concurrency", "ttftSeconds", "tpotSeconds", "outputTokensPerSecond",
                             "outputTokensPerSecondPerGpu", "totalTokensPerSecondPerGpu", "source"}
    assert all(i["source"] == "model" for i in items)
    assert items[2]["outputTokensPerSecond"] > items[0]["outputTokensPerSecond"]
    assert items[0]["outputTokensPerSecondPerGpu"] == pytest.approx(items[0]["outputTokensPerSecond"] / 8, rel=1e-3)
    assert aimc(*ESTIMATE, "-c", "64", "-c", "1", "-c", "8", "--format", "json").out == run.out


def test_estimate_text_table(aimc):
    run = aimc(*ESTIMATE, "--concurrency", "4")
    assert run.code == 0 and "TTFT" in run.out and "in fp8 on 8 x MI300X" in run.out


@pytest.mark.parametrize(("args", "says"), [
    (("estimate", "acme/none", "--hardware", "MI300X", "--gpus", "1", "--input-tokens", "1", "--output-tokens", "1",
      "-c", "1"), "MODEL: no facts for model 'acme/none'"),
    (("estimate", LLAMA_70B, "--hardware", "MI250", "--gpus", "8", "--input-tokens", "1", "--output-tokens", "1",
      "-c", "1"), "no performance peaks for MI250"),
    (("estimate", LLAMA_70B, "--hardware", "H100", "--gpus", "8", "--input-tokens", "1", "--output-tokens", "1",
      "-c", "1"), "--hardware: unknown GPU 'H100'"),
    (("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "bf16", "--gpus", "1", "--input-tokens",
      "1000000", "--output-tokens", "1", "-c", "1"), "does not fit"),
    (("estimate", LLAMA_70B, "--hardware", "MI300X", "--gpus", "3", "--input-tokens", "1", "--output-tokens", "1",
      "-c", "1"), "tensor parallelism 3 does not divide"),
    (("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "fp9", "--gpus", "8", "--input-tokens", "1",
      "--output-tokens", "1", "-c", "1"), "--precision: unknown precision 'fp9'"),
])
def test_estimate_errors_name_the_option(aimc, args, says):
    run = aimc(*args)
    assert run.code == 1 and says in run.err and "Traceback" not in run.err


def test_estimate_refuses_values_out_of_range(aimc):
    run = aimc(*ESTIMATE, "--concurrency", "0")
    assert run.code == 2 and "Traceback" not in run.err


def test_estimate_model_facts_file_and_hostile_id(aimc, tmp_path):
    """A model from --model-facts; its id, whatever it holds, reaches the terminal escaped."""
    facts = tmp_path / "m.yaml"
    facts.write_text("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {name: m}\nspec:\n"
                     "  id: \"acme/x\\n---\\n$(rm -rf /)\\u001b[31m\"\n  parametersB: 8\n  layers: 32\n"
                     "  attentionHeads: 32\n  kvHeads: 8\n  headDim: 128\n  maxContextLength: 8192\n")
    run = aimc("estimate", "acme/x\n---\n$(rm -rf /)\x1b[31m", "--model-facts", str(facts), "--hardware", "MI300X",
               "--precision", "bf16", "--gpus", "1", "--input-tokens", "128", "--output-tokens", "128", "-c", "1")
    assert run.code == 0, run.err
    assert "\x1b" not in run.out and "\n---\n" not in run.out
    broken = tmp_path / "bad.yaml"
    broken.write_text("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {name: m}\nspec:\n"
                      "  id: acme/x\n  parametersB: -1\n")
    bad = aimc("estimate", "acme/x", "--model-facts", str(broken), "--hardware", "MI300X", "--gpus", "1",
               "--input-tokens", "1", "--output-tokens", "1", "-c", "1")
    assert bad.code == 1 and f"{broken}:" in bad.err and "Traceback" not in bad.err


# -- measured evidence (resolve/evidence.py) -------------------------------------------------------------------

MEASURED = """
benchmarks:
  - configuration: vllm/8_gpu
    scenario: latency
    concurrency: 1
    requestRate: inf
    completed: 32
    requestThroughput: 0.4
    outputThroughput: 50.0
    totalThroughput: 450.0
    ttftMs: {p50: 50.0, p99: 70.0}
    itlMs: {p50: 20.0, p99: 25.0}
"""


def _recipes_with_evidence(tmp_path):
    """The built-in Llama-3.3-70B FP8 MI300X recipe, as a repository's own, with one measurement of vllm/8_gpu in
    the built-in `latency` scenario (1024 + 128 tokens, one request at a time)."""
    folder = tmp_path / "recipes"
    folder.mkdir()
    text = (REPO / "recipes" / "llama-3-3-70b-instruct-mi300x-fp8.yaml").read_text()
    (folder / "llama-3-3-70b-instruct-mi300x-fp8.yaml").write_text(text + MEASURED)
    return folder


def test_a_measurement_of_the_workload_replaces_the_model(aimc, tmp_path):
    folder = _recipes_with_evidence(tmp_path)
    args = ("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "fp8", "--gpus", "8", "--input-tokens",
            "1024", "--output-tokens", "128", "--recipes", str(folder), "--format", "json")
    [exact] = json.loads(aimc(*args, "-c", "1").out)
    assert exact["source"] == "measured" and exact["ttftSeconds"] == 0.05 and exact["tpotSeconds"] == 0.02
    assert exact["outputTokensPerSecond"] == 50.0
    # Another load: the model, scaled by measured / predicted at the measured load (same ratio at every load).
    [model_1] = json.loads(aimc(*args[:-4], "--format", "json", "-c", "1").out)
    [model_8] = json.loads(aimc(*args[:-4], "--format", "json", "-c", "8").out)
    [scaled_8] = json.loads(aimc(*args, "-c", "8").out)
    assert scaled_8["source"] == "model"
    assert scaled_8["tpotSeconds"] == pytest.approx(model_8["tpotSeconds"] * 0.02 / model_1["tpotSeconds"], rel=2e-3)
    text = aimc(*args[:-2], "-c", "8").out
    assert "model scaled by the measurement of latency (1024 + 128 tokens) at concurrency 1" in text


def test_objective_selection_reads_measured_evidence(aimc, tmp_path):
    """A measurement of a configuration at the objective's load is what the objective is judged on."""
    from conftest import write_tree

    folder = _recipes_with_evidence(tmp_path)
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama}\nspec:\n"
                "  model: meta-llama/Llama-3.3-70B-Instruct\n  precision: fp8\n  gpuCount: 8\n  objective:\n"
                "    workload: {inputTokens: 1024, outputTokens: 128, concurrency: 1}\n    maxTpotSeconds: 0.015\n")
    inventory = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
                 "  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n")
    root = write_tree(tmp_path / "repo", {"endpoint.yaml": endpoint, "inventory.yaml": inventory})
    model_only = aimc("build", str(root))
    assert model_only.code == 0 and "spec.objective" not in model_only.err  # the model predicts ~8.6 ms
    measured = aimc("build", str(root), "--recipes", str(folder))
    assert measured.code == 0
    assert "predicted to miss TPOT <= 0.015 s" in measured.err and "(measured)" in measured.err
