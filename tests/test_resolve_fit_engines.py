"""Each engine's own memory accounting (resolve/fit_vllm.py, resolve/fit_sglang.py, resolve/fit_kv.py), checked
against the worked cases of the runtime reference and SGLang 0.5.5.post3's ServerArgs arithmetic."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_FIXTURES

from aimc.catalog import model_facts as facts
from aimc.resolve import fit, fit_sglang

HF_CONFIGS = SHARED_FIXTURES / "hf-configs"


def model(model_id):
    return facts.builtin_catalog().lookup(model_id)


def compute(model_id, precision, gpus, memory, engine="vllm", **settings):
    values = {"utilisation": None, "max_len": None, "kv_dtype": None, **settings}
    return fit.compute(model(model_id), precision, gpus, memory, fit.Settings(**values), engine)


# -- vLLM: weights, activations and non-torch inside the budget, KV left holds one sequence, graphs outside ------

def test_llama_70b_on_one_mi300x_at_131072_tokens_starts_at_095_not_at_090():
    """runtime.md: u=0.90 leaves ≈37 GiB for KV, 40 GiB needed → vLLM refuses; u=0.95 ≈46.7 GiB → starts."""
    at_090 = compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, 192, utilisation=0.9, max_len=131072)
    at_095 = compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, 192, utilisation=0.95, max_len=131072)
    assert round(at_090.kv_gib, 2) == 40.0
    assert 35 < at_090.kv_left_gib < 40 and not at_090.fits
    assert at_095.kv_left_gib > 45 and at_095.fits


def test_llama_70b_at_131072_tokens_starts_on_two_mi300x():
    assert compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 2, 192, utilisation=0.9, max_len=131072).fits


def test_deepseek_r1_fp8_on_eight_mi300x_at_163840_tokens_starts():
    result = compute("deepseek-ai/DeepSeek-R1-0528", "fp8", 8, 192, max_len=163840)
    assert result.fits and round(result.kv_gib, 1) == 10.7  # MLA latent, replicated


def test_hip_graphs_need_room_outside_the_utilisation_budget():
    # Qwen3-32B fits one MI300X easily, but at 0.997 only 0.58 GiB of the GPU is left for the graphs.
    greedy = compute("Qwen/Qwen3-32B", "bf16", 1, 192, utilisation=0.997, max_len=32768)
    assert greedy.budget_fits and not greedy.graphs_fit and not greedy.fits
    assert greedy.summary() == ("leaves 0.58 GiB outside the budget (192 GiB × 0.003), HIP graphs need "
                                "1.00 GiB")
    eager = compute("Qwen/Qwen3-32B", "bf16", 1, 192, utilisation=0.997, max_len=32768, no_graphs=True)
    assert eager.fits and eager.outside_gib == 0


def test_enforce_eager_on_the_command_line_turns_the_graph_reserve_off():
    from aimc.resolve.arg_merge import merge_args

    read = fit.settings(merge_args("vllm", (("--enforce-eager", None),), 1, (), ()))
    assert read.no_graphs
    assert fit.settings(merge_args("sglang", (("--disable-cuda-graph", None), ("--cuda-graph-max-bs", "64")), 1,
                                   (), ())) == fit.Settings(None, None, None, no_graphs=True, graph_max_bs=64)


# -- SGLang: its own default fraction, × 0.85 with aiter above 8192 tokens, fails only when the pool is empty -----

@pytest.mark.parametrize("memory, tp, expected", [
    (192, 1, 0.867),  # 16384-token chunks, 512 graphs: reserved 512 + 24576 + 1024 + 128 MiB
    (192, 8, 0.862),
    (64, 1, 0.795),   # MI250 GCD: 8192-token chunks, 256 graphs
    (256, 4, 0.898),   # MI325X, TP 4: reserved 512 + 24576 + 1024 + 512 MiB
])
def test_sglang_default_fraction_is_computed_as_sglang_does(memory, tp, expected):
    assert fit_sglang.default_fraction(memory, tp, 1, fit.Settings(None, None, None)) == expected


def test_sglang_fraction_is_multiplied_by_085_with_aiter_above_8192_tokens():
    long = compute("Qwen/Qwen3-32B", "bf16", 1, 192, "sglang", utilisation=0.9, max_len=32768)
    assert round(long.fraction, 4) == 0.765
    assert "0.9 × 0.85 with aiter above 8192 tokens" in long.summary()
    short = compute("Qwen/Qwen3-32B", "bf16", 1, 192, "sglang", utilisation=0.9, max_len=8192)
    assert short.fraction == 0.9
    triton = compute("Qwen/Qwen3-32B", "bf16", 1, 192, "sglang", utilisation=0.9, max_len=32768,
                     attention_backend="triton")
    assert triton.fraction == 0.9
    unset = compute("Qwen/Qwen3-32B", "bf16", 1, 192, "sglang", max_len=32768)
    assert round(unset.fraction, 5) == round(0.867 * 0.85, 5)
    assert "SGLang 0.5.16's default 0.867" in unset.summary()  # the default image's release
    # gpt-oss runs on triton under SGLang on ROCm (a model-specific rule), so no 0.85.
    assert compute("openai/gpt-oss-20b", "fp4", 1, 192, "sglang", utilisation=0.9).fraction == 0.9


def test_sglang_starts_whenever_its_pool_is_above_zero():
    # Llama-3.3-70B bf16 on one MI300X at --mem-fraction-static 0.85 and 32768 tokens: 0.85 × 0.85 × 192 GiB leaves
    # a 4 GiB pool, less than one 32768-token sequence (10 GiB): SGLang starts and caps requests (vLLM would refuse).
    capped = compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, 192, "sglang", utilisation=0.85, max_len=32768)
    assert capped.fits and 0 < capped.kv_left_gib < capped.kv_gib
    assert "SGLang caps a request at about 13065 tokens" in capped.describe()
    # One MI250 GCD: the weights alone exceed the fraction: "Not enough memory".
    assert not compute("Qwen/Qwen3-32B", "bf16", 1, 64, "sglang", max_len=8192).fits


def test_the_same_configuration_is_judged_by_each_engine_s_rules():
    # vLLM at 0.85 (no 0.85 factor) needs room for one 32768-token sequence: 163.2 - 136.4 = 26.8 GiB ≥ 10 GiB.
    assert compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, 192, utilisation=0.85, max_len=32768).fits
    assert compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, 192, utilisation=0.7, max_len=32768).fits is False


# -- sliding-window and chunked-attention layers keep only their window --------------------------------------

def test_gpt_oss_sliding_window_layers_keep_their_window():
    gpt = model("openai/gpt-oss-120b")
    assert (gpt.sliding_window, gpt.sliding_window_layers, gpt.full_attention_layers) == (128, 18, 18)
    result = compute("openai/gpt-oss-120b", "fp4", 1, 192, max_len=131072)
    per_token_layer = 2 * 8 * 64 * 2
    kept = 128 - 1 + 8192  # window - 1 + one batch (vLLM's SlidingWindowSpec)
    assert result.kv_gib == pytest.approx((18 * 131072 + 18 * kept) * per_token_layer / 2 ** 30)
    assert result.kv_gib < 0.6 * 131072 * gpt.kv_bytes_per_token() / 2 ** 30
    assert "18 of 36 layers keep 8319 tokens (128-token window)" in result.arithmetic()


def test_llama4_chunked_attention_layers_keep_one_chunk():
    llama4 = model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    assert (llama4.attention_chunk_size, llama4.chunked_attention_layers, llama4.full_attention_layers) == \
        (8192, 36, 12)
    result = compute("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "fp8", 8, 192, max_len=1048576)
    per_token_layer = 2 * 8 * 128 * 2 / 8
    assert result.kv_gib == pytest.approx((12 * 1048576 + 36 * (8192 + 8192)) * per_token_layer / 2 ** 30)


def test_windows_never_keep_more_than_the_sequence():
    result = compute("openai/gpt-oss-20b", "fp4", 1, 192, max_len=1024)
    assert result.kv_gib == pytest.approx(24 * 1024 * 2 * 8 * 64 * 2 / 2 ** 30)


def test_pipeline_parallelism_divides_weights_and_layers():
    whole = compute("meta-llama/Llama-3.3-70B-Instruct", "bf16", 4, 192, max_len=131072)
    staged = fit.compute(model("meta-llama/Llama-3.3-70B-Instruct"), "bf16", 4, 192,
                         fit.Settings(None, 131072, None), "vllm", pp=2)
    assert staged.weights_gib == whole.weights_gib
    assert staged.kv_split == 2 and staged.kv_gib == pytest.approx(whole.kv_gib)  # TP 2 × PP 2


# -- model facts agree with the real config.json files -------------------------------------------------------

@pytest.mark.skipif(not HF_CONFIGS.is_dir(), reason="shared fixtures absent")
@pytest.mark.parametrize("model_id", ["Qwen/Qwen3-32B", "openai/gpt-oss-120b", "deepseek-ai/DeepSeek-R1"])
def test_model_facts_match_config_json(model_id):
    config = json.loads((HF_CONFIGS / model_id / "config.json").read_text())
    facts_of = model(model_id)
    assert facts_of.max_context == config["max_position_embeddings"]
    assert facts_of.layers == config["num_hidden_layers"]
    sliding = sum(1 for kind in config.get("layer_types") or () if kind == "sliding_attention")
    assert facts_of.sliding_window_layers == sliding
    if sliding:
        assert facts_of.sliding_window == config["sliding_window"]


# -- AIMModel documents describe windows too -------------------------------------------------------------------

def _aimmodel(**extra):
    spec = {"id": "acme/Windowed-7B", "parametersB": 7, "layers": 32, "attentionHeads": 32, "kvHeads": 8,
            "headDim": 128, "maxContextLength": 32768, **extra}
    return {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMModel", "metadata": {"name": "w"}, "spec": spec}


def test_aimmodel_schema_takes_window_facts_in_pairs():
    from aimc.validate import schema

    assert schema.validate("model", _aimmodel(slidingWindow=4096, slidingWindowLayers=24), "m.yaml", 1) == []
    assert schema.validate("model", _aimmodel(attentionChunkSize=8192, chunkedAttentionLayers=24), "m.yaml", 1) == []
    problems = schema.validate("model", _aimmodel(slidingWindow=4096), "m.yaml", 1)
    assert problems and "slidingWindowLayers" in problems[0].format()


def test_aimmodel_window_layers_cannot_exceed_the_layers():
    from aimc.errors import Collector
    from aimc.load.documents import Document
    from aimc.validate.models import model_catalog

    data = _aimmodel(slidingWindow=4096, slidingWindowLayers=40)
    collector = Collector()
    model_catalog([Document("m.yaml", "m.yaml", 0, 1, "model", data)], collector)
    assert [d.format() for d in collector.errors] == [
        "m.yaml:1: spec: slidingWindowLayers + chunkedAttentionLayers is 40, more than the 32 layers"]
    data = _aimmodel(slidingWindow=4096, slidingWindowLayers=16)
    windowed = model_catalog([Document("m.yaml", "m.yaml", 0, 1, "model", data)], Collector()).lookup("acme/windowed-7b")
    assert (windowed.sliding_window, windowed.sliding_window_layers, windowed.full_attention_layers) == (4096, 16, 16)


# -- vLLM's defaults follow the release of the image ----------------------------------------------------------

def test_vllm_default_utilisation_and_batch_follow_the_release():
    def at(version, memory=192):
        values = fit.Settings(utilisation=None, max_len=32768, kv_dtype=None)
        return fit.compute(model("Qwen/Qwen3-32B"), "bf16", 1, memory, values, "vllm", version=version)

    assert at("0.11.1").fraction == 0.9 and at("0.17.0").fraction == 0.9
    assert at("0.22.0").fraction == 0.92 and at("0.27.1").fraction == 0.92
    latest = at("0.34.0")  # unset: the extensible KV cache sizes itself from measured memory, graphs inside
    assert (latest.fraction, latest.outside_gib) == (1.0, 0.0)
    assert latest.runtime_gib == pytest.approx(at("0.27.1").runtime_gib + 1.0)
    assert latest.fraction_note == "vLLM 0.34.0's default: sized from measured memory"
    from aimc.resolve import fit_vllm

    no_batch = fit.Settings(utilisation=None, max_len=None, kv_dtype=None)
    assert fit_vllm.batched_tokens(192, no_batch, "0.27.1") == 8192
    assert fit_vllm.batched_tokens(192, no_batch, "0.34.0") == 16384  # GPUs of 160 GiB or more from 0.34
    assert fit_vllm.batched_tokens(64, no_batch, "0.34.0") == 2048
