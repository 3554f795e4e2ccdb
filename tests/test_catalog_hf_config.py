"""`aimc models import`: config.json -> model facts, against facts verified by hand (the real configs of
../shared/fixtures/hf-configs/, skipped when absent, and the Mistral-7B-Instruct-v0.3 config under tests/data)."""

from __future__ import annotations

import json

import pytest
import yaml
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
                               "parametersB": 30.5, "activeParametersB": 3.04, "experts": 128, "expertsPerToken": 8},
    "deepseek-ai/DeepSeek-V3": {"architecture": "DeepseekV3ForCausalLM", "layers": 61, "hiddenSize": 7168,
                                    "attentionHeads": 128, "kvLatentDim": 576, "maxContextLength": 163840,
                                    "nativePrecision": "fp8", "quantization": "fp8", "parametersB": 671, "activeParametersB": 36.6,
                                    "experts": 256, "expertsPerToken": 8},
    "deepseek-ai/DeepSeek-R1": {"architecture": "DeepseekV3ForCausalLM", "layers": 61, "kvLatentDim": 576,
                                    "maxContextLength": 163840, "nativePrecision": "fp8", "parametersB": 671},
    "openai/gpt-oss-120b": {"architecture": "GptOssForCausalLM", "layers": 36, "hiddenSize": 2880, "attentionHeads": 64,
                                "kvHeads": 8, "headDim": 64, "maxContextLength": 131072, "nativePrecision": "fp4",
                                "nativeWeightBits": 4, "quantization": "mxfp4", "parametersB": 117, "experts": 128,
                                "expertsPerToken": 4, "slidingWindow": 128, "slidingWindowLayers": 18,
                                "activeParametersB": 5.13},
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


# -- junk in a config.json: an error at file:line naming the key, never a crash or a wrong document ------------------

def _config_error(tmp_path, text: str, name: str = "acme/m") -> list[str]:
    from aimc.reports import model_import

    (tmp_path / "config.json").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as error:  # the facts, then the AIMModel's schema, as `aimc models import` checks
        model_import.checked_document(hf_config.import_model(str(tmp_path), name))
    return [d.format() for d in error.value.diagnostics]


MISTRAL_CONFIG = json.loads((MISTRAL / "config.json").read_text())


@pytest.mark.parametrize("change, expected", [
    ({"architectures": {"a": 1}}, "config.json:2: architectures: '{\"a\": 1}' is not valid: expected a list of strings"),
    ({"hidden_size": "4096"}, "config.json:9: hidden_size: '4096' is not valid: expected a whole number from 0 to"),
    ({"quantization_config": "fp8"}, "quantization_config: 'fp8' is not valid: expected a JSON object"),
    ({"num_hidden_layers": 2**40}, "num_hidden_layers: '1099511627776' is not valid: expected a whole number from 0"),
    ({"num_hidden_layers": -3}, "num_hidden_layers: '-3' is not valid"),
    ({"hidden_size": float("nan")}, "hidden_size: 'NaN' is not valid"),
    ({"tie_word_embeddings": "yes"}, "tie_word_embeddings: 'yes' is not valid: expected true or false"),
    ({"kv_lora_rank": 512}, "qk_rope_head_dim: missing: an MLA config (kv_lora_rank 512) gives qk_rope_head_dim"),
    ({"kv_lora_rank": 512, "qk_rope_head_dim": 64}, "qk_nope_head_dim: missing: an MLA config"),
    ({"num_attention_heads": 0}, "num_attention_heads: the AIMModel would not be valid: spec.attentionHeads (from "
                                 "num_attention_heads): 0 is less than the minimum of 1"),
    ({"max_position_embeddings": 0}, "max_position_embeddings: the AIMModel would not be valid"),
    ({"hidden_size": 16, "num_attention_heads": 32}, "head_dim: missing: hidden_size 16 is smaller than "
                                                     "num_attention_heads 32"),
    ({"first_k_dense_replace": 99}, None),  # dense layers beyond the layers: no count, and no negative one
])
def test_a_config_value_of_the_wrong_type_or_range_is_an_error_at_its_key(tmp_path, change, expected):
    config = {**MISTRAL_CONFIG, **change}
    if "first_k_dense_replace" in change:  # a MoE layout whose dense layers outnumber the layers
        config.update(architectures=["Qwen3MoeForCausalLM"], num_experts=8, num_experts_per_tok=2,
                      moe_intermediate_size=768)
    messages = _config_error(tmp_path, json.dumps(config, indent=2))
    assert all(message.startswith(str(tmp_path / "config.json") + ":") for message in messages)
    if expected:
        assert any(expected in message for message in messages), messages


def test_a_number_too_long_to_convert_and_deep_nesting_are_errors_with_their_line(tmp_path):
    [message] = _config_error(tmp_path, '{\n"a": 1,\n"num_hidden_layers": 1' + "0" * 5000 + "\n}")
    assert ":3: cannot read it as JSON: a number of more than 4,300 digits" in message
    [message] = _config_error(tmp_path, '{\n"a":\n' + "[" * 5000 + "]" * 5000 + "}")
    assert ":3: nested too deeply" in message


def test_a_utf16_config_json_is_an_error_on_line_1_that_names_the_encoding(tmp_path):
    (tmp_path / "config.json").write_bytes(json.dumps(MISTRAL_CONFIG).encode("utf-16"))
    with pytest.raises(UserError) as error:
        hf_config.import_model(str(tmp_path), "acme/m")
    [diagnostic] = error.value.diagnostics
    assert diagnostic.line == 1 and "it is UTF-16: save it as UTF-8" in diagnostic.message


def test_a_model_id_with_a_line_break_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(MISTRAL_CONFIG))
    with pytest.raises(UserError) as error:
        hf_config.import_model(str(tmp_path), "acme/x\n---\nkind: Secret")
    assert "--name: 'acme/x\\n---\\nkind: Secret' (--name) is not a model id" in error.value.diagnostics[0].format()


def test_a_windowed_model_imports_its_windowed_layers_so_the_aimmodel_validates(tmp_path):
    from aimc.reports import model_import
    from aimc.validate import schema

    config = {**MISTRAL_CONFIG, "sliding_window": 4096, "layer_types": ["sliding_attention", "full_attention"] * 16}
    (tmp_path / "config.json").write_text(json.dumps(config))
    imported = hf_config.import_model(str(tmp_path), "acme/m")
    assert imported.value("slidingWindowLayers") == 16
    document = yaml.safe_load(model_import.aimmodel_text(imported))
    assert schema.validate("model", document, "m.yaml", 1) == []


# -- what the import writes always validates, and builds ---------------------------------------------------------

REAL_CONFIGS = sorted(p.parent for root in (FIXTURES, SHARED_FIXTURES / "hf-configs-unverified")
                      for p in root.glob("*/*/config.json")) if FIXTURES.is_dir() else []


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures absent")
@pytest.mark.parametrize("folder", REAL_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_config_imports_to_a_document_that_validates_and_builds(folder, aimc, tmp_path):
    """gpt-oss-120b's config.json once gave `slidingWindow: 128` without `slidingWindowLayers`, which the AIMModel
    schema refuses ("'slidingWindowLayers' is a dependency"). An import either writes a document that validates
    and builds, or says which facts are missing; it never writes one that `build` refuses."""
    result = aimc("models", "import", str(folder))
    if result.code == 1:  # a refusal names what is missing (gemma-3: no max_position_embeddings, unknown layout)
        assert result.out == "" and "missing:" in result.err
        return
    assert result.code == 0, result.err
    model_id = f"{folder.parent.name}/{folder.name}"
    endpoint = (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: e}}\n"
                f"spec:\n  model: {model_id}\n  hardware: MI300X\n  gpuCount: 8\n")
    (tmp_path / "model.yaml").write_text(result.out)
    (tmp_path / "endpoint.yaml").write_text(endpoint)
    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
        "  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n")
    import yaml

    from aimc.validate import schema

    assert schema.validate("model", yaml.safe_load(result.out), "model.yaml", 1) == []
    built = aimc("build", str(tmp_path))
    assert built.code == 0, built.err
    assert "kind: Deployment" in built.out


def test_sliding_and_chunked_layers_are_counted_from_every_layout_key():
    base = {"num_hidden_layers": 12, "hidden_size": 1024, "num_attention_heads": 8, "num_key_value_heads": 8,
            "max_position_embeddings": 8192, "torch_dtype": "bfloat16"}
    index = {"metadata": {"total_size": 2_000_000_000}}

    def layout(**keys):
        facts = hf_config.facts_of({**base, **keys}, index, "c.json")
        return {f.field: f.value for f in facts if f.field in (
            "slidingWindow", "slidingWindowLayers", "attentionChunkSize", "chunkedAttentionLayers")}

    kinds = ["sliding_attention", "full_attention"] * 6
    assert layout(sliding_window=128, layer_types=kinds) == {"slidingWindow": 128, "slidingWindowLayers": 6}
    # transformers' Gemma 3 default (configuration_gemma3.py): sliding_window_pattern 6, every 6th layer full
    assert layout(sliding_window=1024, model_type="gemma3_text") == {"slidingWindow": 1024, "slidingWindowLayers": 10}
    assert layout(sliding_window=1024, sliding_window_pattern=4) == {"slidingWindow": 1024, "slidingWindowLayers": 9}
    assert layout(sliding_window=4096) == {"slidingWindow": 4096, "slidingWindowLayers": 12}  # Mistral-7B-v0.1
    assert layout(sliding_window=4096, use_sliding_window=False) == {}  # Qwen3: the window is off
    assert layout(sliding_window=128, layer_types=["full_attention"] * 12) == {}
    # Llama 4 (configuration_llama4.py): no_rope_layers marks the chunked layers; default every 4th layer global
    assert layout(attention_chunk_size=8192) == {"attentionChunkSize": 8192, "chunkedAttentionLayers": 9}
    assert layout(attention_chunk_size=8192, no_rope_layers=[1, 1, 0] * 4) == {
        "attentionChunkSize": 8192, "chunkedAttentionLayers": 8}


def test_the_gemma_3_layout_from_its_real_config():
    folder = SHARED_FIXTURES / "hf-configs-unverified" / "google" / "gemma-3-27b-it"
    if not folder.is_dir():
        pytest.skip("fixture absent")
    config = json.loads((folder / "config.json").read_text())
    config["text_config"]["max_position_embeddings"] = 131072  # absent from the file (transformers' default)
    facts = hf_config.facts_of(config, {"metadata": {"total_size": 54_000_000_000}}, "config.json")
    values = {f.field: f.value for f in facts}
    assert (values["slidingWindow"], values["slidingWindowLayers"]) == (1024, 52)  # 62 layers, every 6th full
