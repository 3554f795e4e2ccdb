"""`aimc models import`: config.json -> model facts, against facts verified by hand (the real configs of
../shared/fixtures/hf-configs/, skipped when absent, and the Mistral-7B-Instruct-v0.3 config under tests/data)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, SHARED_FIXTURES

from aimc.catalog import hf_config
from aimc.errors import UserError

MISTRAL = REPO / "tests" / "data" / "hf-configs" / "mistralai" / "Mistral-7B-Instruct-v0.3"
FIXTURES = SHARED_FIXTURES / "hf-configs"

# Verified by hand against each config.json and the published totals (models.md): parameters to 0.1 %.
EXPECTED = {
    "Qwen/Qwen3-32B": {"architecture": "Qwen3ForCausalLM", "layers": 64, "hiddenSize": 5120, "attentionHeads": 64, "kvHeads": 8,
                           "headDim": 128, "maxContextLength": 40960, "nativePrecision": "bf16", "parametersB": 32.8},
    "Qwen/Qwen3-30B-A3B": {"architecture": "Qwen3MoeForCausalLM", "layers": 48, "hiddenSize": 2048, "attentionHeads": 32,
                               "kvHeads": 4, "headDim": 128, "maxContextLength": 40960, "nativePrecision": "bf16",
                               "parametersB": 30.5, "activeParametersB": 3.35, "experts": 128, "expertsPerToken": 8},
    "deepseek-ai/DeepSeek-V3": {"architecture": "DeepseekV3ForCausalLM", "layers": 61, "hiddenSize": 7168,
                                    "attentionHeads": 128, "kvLatentDim": 576, "maxContextLength": 163840,
                                    "nativePrecision": "fp8", "quantization": "fp8", "parametersB": 671, "activeParametersB": 37.5,
                                    "experts": 256, "expertsPerToken": 8},
    "deepseek-ai/DeepSeek-R1": {"architecture": "DeepseekV3ForCausalLM", "layers": 61, "kvLatentDim": 576,
                                    "maxContextLength": 163840, "nativePrecision": "fp8", "parametersB": 671},
    "openai/gpt-oss-120b": {"architecture": "GptOssForCausalLM", "layers": 36, "hiddenSize": 2880, "attentionHeads": 64,
                                "kvHeads": 8, "headDim": 64, "maxContextLength": 131072, "nativePrecision": "fp4",
                                "nativeWeightBits": 4, "quantization": "mxfp4", "parametersB": 117, "experts": 128,
                                "expertsPerToken": 4, "slidingWindow": 128},
}


def _check(imported, expected):
    for field, value in expected.items():
        got = imported.value(field)
        if isinstance(value, float) or field == "parametersB":
            assert got == pytest.approx(value, rel=0.004), field
        else:
            assert got == value, field


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures absent")
@pytest.mark.parametrize("model_id", sorted(EXPECTED))
def test_every_real_config(model_id):
    folder = FIXTURES / model_id
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    imported = hf_config.import_model(str(folder))
    assert imported.id == model_id
    _check(imported, EXPECTED[model_id])
    sources = {f.field: f.source for f in imported.facts}
    assert sources["layers"] == "num_hidden_layers"


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures absent")
def test_the_fixture_folder_holds_no_config_without_expectations():
    found = {str(p.parent.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*/config.json")}
    assert found <= set(EXPECTED)


def test_mistral_7b_instruct_v03():
    imported = hf_config.import_model(str(MISTRAL))
    assert imported.id == "mistralai/Mistral-7B-Instruct-v0.3"
    _check(imported, {"architecture": "MistralForCausalLM", "layers": 32, "hiddenSize": 4096, "attentionHeads": 32,
                          "kvHeads": 8, "headDim": 128, "maxContextLength": 32768, "nativePrecision": "bf16", "parametersB": 7.25})
    assert imported.value("slidingWindow") is None  # sliding_window: null since v0.2
    assert {f.field: f.source for f in imported.facts}["headDim"] == "hidden_size 4096 / num_attention_heads 32"


def test_name_option_and_safetensors_index(tmp_path):
    config = json.loads((MISTRAL / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config))
    # A synthetic index: its total_size (bytes) over 2 bytes per bf16 parameter gives the count.
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 14_000_000_000}}))
    imported = hf_config.import_model(str(tmp_path / "config.json"), "acme/m")
    assert imported.id == "acme/m" and imported.value("parametersB") == 7.0
    assert "metadata.total_size" in {f.field: f.source for f in imported.facts}["parametersB"]


def test_missing_facts_are_listed_with_the_keys_looked_for(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["AcmeForCausalLM"], "hidden_size": 64}))
    with pytest.raises(UserError) as error:
        hf_config.import_model(str(tmp_path), "acme/x")
    text = str(error.value)
    for what in ("num_hidden_layers", "num_attention_heads", "max_position_embeddings"):
        assert what in text


def test_multimodal_text_config_is_read():
    config = {"architectures": ["LlamaForCausalLM"], "text_config": {
        "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 4096}}
    facts = {f.field: f for f in hf_config.facts_of(config, None, "c.json")}
    assert facts["layers"].source == "text_config.num_hidden_layers" and facts["kvHeads"].value == 2
