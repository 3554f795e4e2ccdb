"""The performance model of disaggregated serving (aimc/perf/disaggregated.py) and `aimc estimate --prefill-gpus
--decode-gpus`: the physics it must respect, and the comparison with aggregated serving it prints."""

from __future__ import annotations

import json

import pytest

from aimc.catalog.model_facts import builtin_catalog
from aimc.perf import disaggregated as D
from aimc.perf import serving
from aimc.perf.calibration import shipped
from aimc.perf.hardware import peaks
from aimc.perf.physics import Configuration
from aimc.records import replace

LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
DEEPSEEK = "deepseek-ai/DeepSeek-R1-0528"
CALIBRATION = shipped()


def _config(model=LLAMA_70B, tp=4, kv=2_000_000, gpu="MI300X", **more) -> Configuration:
    facts = builtin_catalog().lookup(model)
    known = peaks(gpu)
    assert facts is not None and known is not None
    return Configuration(facts, known, "fp8", "vllm", tp, kv_capacity_tokens=kv, **more)


def _layout(prefill=1, decode=1, tp_p=4, tp_d=4, **more) -> D.Layout:
    return D.Layout(_config(tp=tp_p), _config(tp=tp_d), prefill, decode, **more)


def _predict(layout: D.Layout, concurrency: int, inp=8192, out=1024):
    return D.predict(layout, serving.Workload(inp, out, concurrency), CALIBRATION)


@pytest.mark.parametrize("concurrency", [1, 4, 16, 64, 256, 1024])
def test_littles_law_holds_for_the_closed_loop(concurrency):
    """C clients, each sending its next request when the last ends: C = X × (TTFT + (O − 1) × TPOT)."""
    out = 1024
    found = _predict(_layout(), concurrency, out=out)
    assert concurrency == pytest.approx(found.requests_per_s * (found.ttft_s + (out - 1) * found.tpot_s), rel=1e-9)


def test_decode_runs_without_prefill_interference():
    """The same decode replica at the same batch: aggregated serving interleaves every arriving prompt's prefill
    with the decode steps (TPOT × (1 + a)); a decode role never prefills, so its TPOT is the bare step."""
    config = _config(tp=8)
    workload = serving.Workload(8192, 1024, 16)
    together = serving.predict(config, workload, CALIBRATION)
    apart = D.predict(D.Layout(_config(tp=8), config, 4, 1), workload, CALIBRATION)
    assert apart.tpot_s < together.tpot_s * 0.9


def test_the_transfer_moves_one_shard_per_rank_over_its_own_nic():
    layout = _layout(tp_p=4, tp_d=4)
    short, long = D.transfer_seconds(layout, 1024), D.transfer_seconds(layout, 8192)
    assert long - D.TRANSFER_LATENCY_S == pytest.approx(8 * (short - D.TRANSFER_LATENCY_S))
    slower = D.transfer_seconds(replace(layout, transfer_gb_s=D.TRANSFER_GB_S / 4), 8192)
    assert slower - D.TRANSFER_LATENCY_S == pytest.approx(4 * (long - D.TRANSFER_LATENCY_S))
    # Llama-3.3-70B: 8 KV heads × 128 × 2 (K, V) × 2 bytes (no --kv-cache-dtype) × 80 layers per token.
    per_token = 2 * 8 * 128 * 2 * 80
    assert long - D.TRANSFER_LATENCY_S == pytest.approx(8192 * per_token / 4 / (D.TRANSFER_GB_S * 1e9))
    # The receiving side with fewer ranks holds bigger shards: it bounds the transfer.
    assert D.transfer_seconds(_layout(tp_p=8, tp_d=2), 8192) > D.transfer_seconds(_layout(tp_p=8, tp_d=8), 8192)


def test_an_mla_latent_is_not_split_by_tensor_parallelism():
    """DeepSeek's compressed latent is cached whole on every rank: each rank sends all of it."""
    one = D.Layout(_config(DEEPSEEK, tp=8), _config(DEEPSEEK, tp=8))
    two = D.Layout(_config(DEEPSEEK, tp=4), _config(DEEPSEEK, tp=4))
    assert D.transfer_seconds(one, 4096) == pytest.approx(D.transfer_seconds(two, 4096))


def test_more_prefill_replicas_help_only_where_prefill_is_the_bottleneck():
    """Long prompts, short answers, many clients: prefill limits the rate and a second prefill replica raises it;
    short prompts, long answers: decode limits it and more prefill does nothing."""
    prefill_bound = [_predict(_layout(prefill=p), 256, inp=16384, out=64).requests_per_s for p in (1, 2)]
    assert prefill_bound[1] > 1.5 * prefill_bound[0]
    decode_bound = [_predict(_layout(prefill=p), 256, inp=256, out=2048).requests_per_s for p in (1, 2)]
    assert decode_bound[1] == pytest.approx(decode_bound[0], rel=1e-6)
    more_decode = _predict(_layout(decode=2), 256, inp=256, out=2048).requests_per_s
    assert more_decode > 1.5 * decode_bound[0]


def test_the_decode_kv_cache_caps_the_batch_and_the_rest_waits():
    roomy = _predict(_layout(), 128)
    tight = _predict(D.Layout(_config(), _config(kv=20 * (8192 + 1024))), 128)
    assert tight.batch == 20 and roomy.batch > 20
    assert tight.ttft_s > roomy.ttft_s and tight.requests_per_s < roomy.requests_per_s


def test_latencies_and_throughput_grow_with_the_load():
    previous = None
    for concurrency in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512):
        now = _predict(_layout(), concurrency)
        if previous is not None:
            assert now.ttft_s >= previous.ttft_s * (1 - 1e-9) and now.tpot_s >= previous.tpot_s * (1 - 1e-9)
            assert now.output_tokens_per_s >= previous.output_tokens_per_s * (1 - 1e-9)
        previous = now
    assert previous is not None and previous.gpus == 8


# -- aimc estimate --------------------------------------------------------------------------------------------

BASE = ("estimate", LLAMA_70B, "--hardware", "MI300X", "--precision", "fp8", "--gpus", "8", "--input-tokens", "8192",
        "--output-tokens", "1024", "--concurrency", "1", "64")


def test_estimate_compares_aggregated_and_disaggregated_serving(aimc):
    run = aimc(*BASE, "--prefill-gpus", "4", "--decode-gpus", "4", "--format", "json")
    assert run.code == 0, run.err
    found = json.loads(run.out)
    assert found["aggregated"]["replicas"] == 1 and found["aggregated"]["gpusPerReplica"] == 8
    disaggregated = found["disaggregated"]
    assert disaggregated["prefill"] == {"replicas": 1, "gpusPerReplica": 4}
    assert disaggregated["transferGBPerSecondPerGpu"] == D.TRANSFER_GB_S
    assert [p["concurrency"] for p in disaggregated["predictions"]] == [1, 64]
    # The aggregated rows are `aimc estimate` without the layout, for one replica of --gpus.
    alone = json.loads(aimc(*BASE, "--format", "json").out)
    assert found["aggregated"]["predictions"] == alone
    assert run.out == aimc(*BASE, "--prefill-gpus", "4", "--decode-gpus", "4", "--format", "json").out


def test_estimate_spreads_the_aggregated_concurrency_over_as_many_gpus(aimc):
    run = aimc(*BASE, "--prefill-gpus", "8", "--decode-gpus", "8", "--decode-replicas", "3", "--format", "json")
    found = json.loads(run.out)
    assert found["aggregated"]["replicas"] == 4  # 8 + 3 × 8 GPUs in replicas of 8
    one = json.loads(aimc(*BASE[:-2], "16", "--format", "json").out)[0]
    four = found["aggregated"]["predictions"][1]  # 64 clients over 4 replicas: each serves 16
    assert four["ttftSeconds"] == one["ttftSeconds"]
    assert four["outputTokensPerSecond"] == pytest.approx(4 * one["outputTokensPerSecond"], rel=1e-3)


def test_estimate_text_says_what_is_compared_and_what_is_not_calibrated(aimc):
    run = aimc(*BASE, "--prefill-gpus", "2", "--decode-gpus", "8", "--prefill-replicas", "2",
               "--transfer-gbs", "12.5")
    assert run.code == 0, run.err
    assert "disaggregated: 2 prefill x 2 + 1 decode x 8 GPUs, KV transfer at 12.5 GB/s per GPU" in run.out
    assert "2 prefill replica(s) of 2 GPUs, 1 decode replica(s) of 8 GPUs (12 GPUs)" in run.out
    assert "not calibrated on measured disaggregated runs" in run.out


@pytest.mark.parametrize(("args", "code", "says"), [
    (("--prefill-gpus", "4"), 2, "give --decode-gpus"),
    (("--decode-gpus", "4"), 2, "give --prefill-gpus"),
    (("--decode-replicas", "2"), 2, "--decode-replicas describes a disaggregated layout"),
    (("--transfer-gbs", "10"), 2, "--transfer-gbs describes a disaggregated layout"),
    (("--prefill-gpus", "1", "--decode-gpus", "8", "--precision", "bf16", "--input-tokens", "131072"), 1,
     "--prefill-gpus"),
    (("--prefill-gpus", "3", "--decode-gpus", "8"), 1, "--prefill-gpus"),
])
def test_estimate_layout_errors_name_the_option(aimc, args, code, says):
    run = aimc(*BASE, *args)
    assert run.code == code and says in run.err, run.err
    assert "Traceback" not in run.err
