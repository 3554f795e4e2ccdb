"""LoRA slots of every catalog model's MLPs, mixture-of-experts ones included (aimc/resolve/lora_mlp.py,
resolve/fit_lora.py; docs/operations/adapters.md "Memory fit"): the MLP facts of aimc/catalog/models.yaml against
the published config.json copies they cite, and the slot figures worked out by hand from those values."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, write_tree

from aimc.catalog.model_facts import builtin_catalog, builtin_models
from aimc.resolve import fit_lora, lora_mlp

FIXTURES = REPO / "tests" / "fixtures"
GIB = 2**30

# models.yaml id -> the vendored config.json its MLP facts cite (PROVENANCE-crds-configs.md).
SOURCES = {
    "meta-llama/Llama-3.1-8B-Instruct": "hf-configs-lora/meta-llama/Meta-Llama-3.1-8B",
    "meta-llama/Llama-3.3-70B-Instruct": "hf-configs-lora/meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.1-405B-Instruct": "hf-configs-lora/meta-llama/Meta-Llama-3.1-405B",
    "Qwen/Qwen3-32B": "hf-configs/Qwen/Qwen3-32B",
    "Qwen/Qwen3-235B-A22B": "hf-configs-lora/Qwen/Qwen3-235B-A22B",
    "mistralai/Mixtral-8x7B-Instruct-v0.1": "hf-configs-lora/mistralai/Mixtral-8x7B-v0.1",
    "mistralai/Mixtral-8x22B-Instruct-v0.1": "hf-configs-lora/mistralai/Mixtral-8x22B-v0.1",
    "deepseek-ai/DeepSeek-R1-0528": "hf-configs/deepseek-ai/DeepSeek-R1",
    "openai/gpt-oss-120b": "hf-configs/openai/gpt-oss-120b",
    "openai/gpt-oss-20b": "hf-configs-lora/openai/gpt-oss-20b",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "hf-configs-lora/meta-llama/Llama-4-Maverick-17B-128E-Instruct",
}
# Llama 3.x models whose MLP width comes from Meta's own SKU list and reference model alone (no published config.json
# of theirs was found byte-for-byte): tests/test_lora_llama_facts.py recomputes it (it checks the other Llama 3.x too).
FROM_META = {"meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct", "meta-llama/Llama-3-8B-Instruct"}
# No verified source of these was found: their MLPs stay out of the LoRA figure.
WITHOUT_MLP_FACTS = {"mistralai/Mistral-Small-3.2-24B-Instruct-2506"}


def expected_mlp_facts(config: dict) -> tuple:
    """(intermediateSize, moeIntermediateSize, experts, sharedExperts, denseLayers) read from a config.json
    the way each architecture defines them (transformers' modeling files)."""
    text = config.get("text_config", config)
    experts = text.get("num_experts") or text.get("num_local_experts") or text.get("n_routed_experts") or 0
    if not experts:
        return text["intermediate_size"], None, 0, 0, 0
    if "interleave_moe_layer_step" in text:  # Llama 4: configuration_llama4.py moe_layers, Llama4TextMoe
        step, layers = text["interleave_moe_layer_step"], text["num_hidden_layers"]
        moe_layers = len(range(step - 1, layers, step))
        return text["intermediate_size_mlp"], text["intermediate_size"], experts, 1, layers - moe_layers
    if "first_k_dense_replace" in text:  # DeepSeek-V3: modeling_deepseek_v3.py
        assert text["moe_layer_freq"] == 1
        return (text["intermediate_size"], text["moe_intermediate_size"], experts, text["n_shared_experts"],
                text["first_k_dense_replace"])
    assert not text.get("mlp_only_layers") and text.get("decoder_sparse_step", 1) == 1  # every layer MoE
    return None, text.get("moe_intermediate_size") or text["intermediate_size"], experts, 0, 0


@pytest.mark.parametrize("model_id", sorted(SOURCES))
def test_the_mlp_facts_of_the_catalog_are_those_of_the_cited_config(model_id):
    config = json.loads((FIXTURES / SOURCES[model_id] / "config.json").read_text())
    model = builtin_catalog().lookup(model_id)
    assert model is not None
    assert (model.intermediate_size, model.moe_intermediate_size, model.routed_experts, model.shared_experts,
            model.dense_layers) == expected_mlp_facts(config)
    text = config.get("text_config", config)
    assert (model.layers, model.hidden_size) == (text["num_hidden_layers"], text["hidden_size"])


def test_every_catalog_model_has_mlp_facts_or_is_listed_without():
    described = {m.id for m in builtin_models() if m.intermediate_size or m.routed_experts}
    assert described == set(SOURCES) | FROM_META
    assert {m.id for m in builtin_models()} - described == WITHOUT_MLP_FACTS
    docs = (REPO / "docs" / "operations" / "adapters.md").read_text()
    for model_id in WITHOUT_MLP_FACTS:
        assert model_id in docs


# -- the slot figures, by hand -------------------------------------------------------------------------------------

def model(model_id: str):
    found = builtin_catalog().lookup(model_id)
    assert found is not None
    return found


def test_mixtral_experts_take_slots_from_vllm_0_11_1_on():
    # TP 2, rank 16. Attention per layer: q,k,v A 3×4096 + B 4096/2 + 2×1024/2, o A 4096/2 + B 4096 = 21,504.
    # One expert (width 14336): gate/up A 2×4096 + B 2×14336/2, down A 14336/2 + B 4096 = 33,792; 8 of them.
    mixtral = model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    with_experts, held = fit_lora.slot_bytes(mixtral, 16, 2, "vllm", "0.11.1")
    assert with_experts == 32 * (21_504 + 8 * 33_792) * 16 * 2 == 298_844_160
    assert held == "attention and MLP projections (8 experts × 32 MoE layers)"
    before, held = fit_lora.slot_bytes(mixtral, 16, 2, "vllm", "0.10.2")
    assert before == 32 * 21_504 * 16 * 2
    assert held == "attention projections (vLLM 0.10.2 gives the routed experts none (FusedMoE LoRA from 0.11.1 on))"
    # SGLang 0.5.16 sizes the same per-expert buffers in every layer (all of Mixtral's are MoE)
    assert fit_lora.slot_bytes(mixtral, 16, 2, "sglang", "0.5.16")[0] == with_experts


def test_deepseek_counts_routed_and_shared_experts_and_its_dense_layers():
    # TP 8, rank 16, hidden 7168. Attention (the q,k,v,o estimate; MLA has no head_dim fact: 7168/128 = 56 per head):
    # 3×7168 + 7168/8 + 2×896 + 7168/8 + 7168 = 32,256 a layer. An MLP of width w: 2×7168 + 3w/8 + 7168:
    # an expert (2048) 22,272, the shared expert (1×2048) 22,272, a dense layer (18432) 28,416.
    r1 = model("deepseek-ai/DeepSeek-R1-0528")
    attention = 61 * 32_256
    vllm, held = fit_lora.slot_bytes(r1, 16, 8, "vllm", "0.11.1")
    assert vllm == (attention + 58 * 256 * 22_272 + 58 * 22_272 + 3 * 28_416) * 16 * 2 == 10_689_257_472
    assert held == "attention and MLP projections (256 experts × 58 MoE layers, shared experts, 3 dense MLPs)"
    # SGLang's per-expert buffers cover all 61 layers, the three dense ones too (mem_pool.py init_buffer)
    sglang, held = fit_lora.slot_bytes(r1, 16, 8, "sglang", "0.5.23")
    assert sglang == (attention + 61 * 256 * 22_272 + 58 * 22_272 + 3 * 28_416) * 16 * 2 == 11_236_614_144
    assert held == "attention and MLP projections (256 experts × all 61 layers, shared experts, 3 dense MLPs)"
    # before FusedMoE LoRA vLLM still wraps the shared experts and the dense MLPs (plain linear layers)
    old, _ = fit_lora.slot_bytes(r1, 16, 8, "vllm", "0.10.2")
    assert old == (attention + 58 * 22_272 + 3 * 28_416) * 16 * 2


def test_llama4_interleaves_dense_and_moe_layers_on_vllm():
    # TP 8, rank 8, hidden 5120, 40 heads of 128, 8 KV heads. Attention: 3×5120 + 5120/8 + 2×1024/8 + 5120/8
    # + 5120 = 22,016. An expert or the shared one (8192): 2×5120 + 3×8192/8 + 5120 = 18,432; a dense layer's
    # MLP (16384): 10,240 + 6,144 + 5,120 = 21,504.
    maverick = model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    figure, held = fit_lora.slot_bytes(maverick, 8, 8, "vllm", "0.11.1")
    assert figure == (48 * 22_016 + 24 * 128 * 18_432 + 24 * 18_432 + 24 * 21_504) * 8 * 2
    assert held == "attention and MLP projections (128 experts × 24 MoE layers, shared experts, 24 dense MLPs)"


def test_what_an_engine_release_does_not_let_aimc_count_is_said():
    maverick = model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    figure, held = fit_lora.slot_bytes(maverick, 8, 8, "sglang", "0.5.16")
    assert figure == 48 * 22_016 * 8 * 2
    assert held == ("attention projections only, MLP not counted: SGLang's Llama 4 get_hidden_dim "
                    "(srt/models/mllama4.py) has no expert entry")
    _, held = fit_lora.slot_bytes(model("Qwen/Qwen3-235B-A22B"), 16, 8, "sglang", "0.5.14")
    assert held == ("attention projections only, MLP not counted: SGLang 0.5.14's LoRA pool for mixture-of-experts "
                    "models is not modelled (read from 0.5.16 on)")
    _, held = fit_lora.slot_bytes(model("mistralai/Mistral-Small-3.2-24B-Instruct-2506"), 16, 1, "vllm", "0.11.1")
    assert held == ("attention projections only, MLP not counted: no intermediateSize in the facts of "
                    "mistralai/Mistral-Small-3.2-24B-Instruct-2506")


def test_dense_models_count_their_mlp_now_that_the_catalog_gives_it():
    # Llama-3.1-8B, TP 1, rank 16: attention 3×4096 + 4096 + 2×1024 + 4096 + 4096 = 26,624; MLP 2×4096 + 3×14336
    # + 4096 = 55,296; 32 layers.
    llama = model("meta-llama/Llama-3.1-8B-Instruct")
    figure, held = fit_lora.slot_bytes(llama, 16, 1, "vllm", "0.11.1")
    assert figure == 32 * (26_624 + 55_296) * 16 * 2
    assert held == "attention and MLP projections"
    assert lora_mlp.mlp_slots(llama, "sglang", "0.5.5.post3").groups == lora_mlp.mlp_slots(llama, "vllm", None).groups


# -- what explain shows ----------------------------------------------------------------------------------------------

CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm}
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}
"""


def test_explain_shows_the_experts_slots_of_a_moe_endpoint(aimc, tmp_path):
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: mixtral}\nspec:\n"
                "  model: mistralai/Mixtral-8x7B-Instruct-v0.1\n  gpuCount: 2\n  servingEngine: vllm\n"
                "  adapters:\n    - {name: sql, source: 'hf://acme/mixtral-sql', rank: 16}\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": endpoint})
    result = aimc("explain", str(tmp_path))
    assert result.code == 0, result.err
    # one slot (--max-loras 1) of 298,844,160 bytes (test_mixtral_experts_take_slots_from_vllm_0_11_1_on)
    assert "LoRA slots 0.28 GiB (1 slots × rank 16, attention and MLP projections (8 experts × 32 MoE layers))" \
        in result.out, result.out


MOE_MODEL = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMModel
metadata: {name: m}
spec:
  id: acme/moe
  parametersB: 10
  layers: 8
  hiddenSize: 1024
  attentionHeads: 8
  maxContextLength: 4096
%s"""


def test_an_aimmodel_gives_the_expert_facts_and_they_are_checked(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "models.yaml": MOE_MODEL % "  moeIntermediateSize: 512\n"})
    result = aimc("validate", str(tmp_path))
    assert result.code == 1
    assert "models.yaml:4: spec: 'experts' is a dependency of 'moeIntermediateSize'" in result.err, result.err
    write_tree(tmp_path, {"models.yaml": MOE_MODEL % "  experts: 4\n  moeIntermediateSize: 512\n  denseLayers: 8\n"})
    result = aimc("validate", str(tmp_path))
    assert result.code == 1
    assert ("models.yaml:13: spec.denseLayers: denseLayers is 8, but a mixture-of-experts model of 8 layers has fewer "
            "dense ones") in result.err, result.err


def test_the_fit_counts_the_experts_an_aimmodel_describes(aimc, tmp_path):
    facts = "  experts: 4\n  moeIntermediateSize: 512\n  sharedExperts: 1\n  intermediateSize: 2048\n" \
            "  denseLayers: 2\n"
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: moe}\nspec:\n"
                "  model: acme/moe\n  gpuCount: 1\n  servingEngine: vllm\n"
                "  adapters:\n    - {name: sql, source: 'hf://acme/moe-sql', rank: 16}\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "models.yaml": MOE_MODEL % facts, "endpoints.yaml": endpoint})
    result = aimc("explain", str(tmp_path))
    assert result.code == 0, result.err
    # TP 1, rank 16, hidden 1024, 8 heads of 128 (no kvHeads: 8). Attention 3×1024 + 1024 + 2×1024 + 1024 + 1024
    # = 8,192 a layer; an MLP of width w: 2×1024 + 3w + 1024: an expert or the shared one (512) 4,608, a dense
    # layer's (2048) 9,216. (8×8,192 + 6×4×4,608 + 6×4,608 + 2×9,216) × 16 × 2 bytes = 7,110,656 bytes.
    assert (8 * 8_192 + 6 * 4 * 4_608 + 6 * 4_608 + 2 * 9_216) * 16 * 2 == 7_110_656
    assert ("LoRA slots 0.01 GiB (1 slots × rank 16, attention and MLP projections (4 experts × 6 MoE layers, "
            "shared experts, 2 dense MLPs))") in result.out, result.out
    model = builtin_catalog().lookup("acme/moe")
    assert model is None  # the figure came from the repository's document, not a built-in entry


def test_experts_without_their_width_are_not_counted_and_said_so():
    """`experts` alone (what `aimc models import` wrote before moeIntermediateSize existed) is valid: the experts'
    slots cannot be sized and the note says so."""
    from aimc.catalog.model_facts import from_spec

    spec = {"id": "acme/moe", "parametersB": 10, "layers": 8, "hiddenSize": 1024, "attentionHeads": 8,
            "maxContextLength": 4096, "experts": 4}
    figure, held = fit_lora.slot_bytes(from_spec(spec, "m.yaml:1"), 16, 1, "vllm", "0.11.1")
    assert figure == 8 * 8_192 * 16 * 2
    assert held == "attention projections only, MLP not counted: no moeIntermediateSize in the facts of acme/moe"


# -- aimc models import writes the same facts ----------------------------------------------------------------------

@pytest.mark.parametrize("model_id", sorted(SOURCES))
def test_models_import_reads_the_mlp_facts_the_catalog_holds(model_id):
    from aimc.catalog import hf_mlp

    config = json.loads((FIXTURES / SOURCES[model_id] / "config.json").read_text())
    view = config.get("text_config", config)
    read = {field: value for field, value, _ in hf_mlp.mlp_facts(view, "", view["num_hidden_layers"])}
    found = builtin_catalog().lookup(model_id)
    assert found is not None
    assert (read.get("intermediateSize"), read.get("moeIntermediateSize"), read.get("sharedExperts", 0),
            read.get("denseLayers", 0)) == (found.intermediate_size, found.moe_intermediate_size,
                                            found.shared_experts, found.dense_layers)


def test_the_moe_layer_rules_of_each_architecture():
    from aimc.catalog.hf_mlp import mlp_facts

    def dense(**keys):
        facts = {f: v for f, v, _ in mlp_facts({"num_experts": 8, "moe_intermediate_size": 64, **keys}, "", 12)}
        return facts.get("denseLayers", 0)

    # DeepSeek-V2 style: MoE from first_k_dense_replace on, every moe_layer_freq-th layer (2, 4, 6, 8, 10 of 12)
    assert dense(first_k_dense_replace=1, moe_layer_freq=2) == 7
    assert dense(first_k_dense_replace=0) == 0
    # Qwen MoE: (i + 1) % decoder_sparse_step == 0 and not in mlp_only_layers (layers 1, 3, 5, 9, 11 stay MoE)
    assert dense(decoder_sparse_step=2, mlp_only_layers=[7, 8]) == 7
    # Llama 4: every interleave_moe_layer_step-th layer, or the listed moe_layers
    assert dense(interleave_moe_layer_step=3) == 8
    assert dense(interleave_moe_layer_step=1, moe_layers=[0, 5]) == 10
    # a config of any size is counted in closed form, and one whose dense layers would be all is left out
    huge = {f: v for f, v, _ in mlp_facts({"num_experts": 8, "moe_intermediate_size": 64,
                                           "first_k_dense_replace": 3}, "", 2**31 - 1)}
    assert huge["denseLayers"] == 3
    assert dense(first_k_dense_replace=12) == 0


def test_llama4_adapters_on_sglang_are_warned_about_the_mlp(aimc, tmp_path):
    endpoint = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: mav}\nspec:\n"
                "  model: meta-llama/Llama-4-Maverick-17B-128E-Instruct\n  gpuCount: 8\n  servingEngines: [vllm, sglang]\n"
                "  adapters:\n    - {name: sql, source: 'hf://acme/mav-sql', rank: 16}\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": endpoint})
    result = aimc("explain", str(tmp_path))
    warning = ("endpoints.yaml:8: warning: spec.adapters: SGLang 0.5.16 cannot give LoRA slots to the MLP experts of "
               "Llama4ForConditionalGeneration (the architecture of meta-llama/Llama-4-Maverick-17B-128E-Instruct)")
    assert warning in result.out + result.err, result.out + result.err
    assert "mllama4.py, Llama4ForConditionalGeneration.get_hidden_dim" in result.out + result.err
    assert (result.out + result.err).count("cannot give LoRA slots to the MLP") == 1  # not for vLLM


# -- a fit that cannot count the MLP slots says so in build, not only in explain -------------------------------------

MISTRAL_SMALL = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: small}\nspec:\n"
                 "  model: mistralai/Mistral-Small-3.2-24B-Instruct-2506\n  gpuCount: 1\n  servingEngine: %s\n"
                 "  adapters:\n    - {name: sql, source: 'hf://acme/small-sql', rank: 16}\n")


def test_adapters_on_a_model_without_its_mlp_width_warn_at_spec_adapters(aimc, tmp_path):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": MISTRAL_SMALL % "vllm"})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    assert ("endpoints.yaml:8: warning: spec.adapters: the memory fit cannot count the LoRA slots "
            "vLLM 0.") in result.err, result.err
    assert ("reserves for MLP projections (no intermediateSize in the facts of "
            "mistralai/Mistral-Small-3.2-24B-Instruct-2506): it may need more GPU memory than it says; give aimc the "
            "fact with an AIMModel document for mistralai/Mistral-Small-3.2-24B-Instruct-2506 that sets "
            "intermediateSize") in result.err, result.err
    strict = aimc("build", "--strict", str(tmp_path))
    assert strict.code == 1 and strict.out == "", strict.err


def test_an_aimmodel_that_gives_the_width_silences_the_warning_and_counts_the_mlp(aimc, tmp_path):
    model_doc = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {name: small}\nspec:\n"
                 "  id: mistralai/Mistral-Small-3.2-24B-Instruct-2506\n  parametersB: 24\n  layers: 40\n"
                 "  hiddenSize: 5120\n  attentionHeads: 32\n  kvHeads: 8\n  headDim: 128\n"
                 "  maxContextLength: 131072\n  nativeWeightBits: 16\n  intermediateSize: 32768\n")
    write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints.yaml": MISTRAL_SMALL % "vllm", "model.yaml": model_doc})
    result = aimc("build", "--strict", str(tmp_path))
    assert result.code == 0, result.err
    assert "spec.adapters" not in result.err
    explained = aimc("explain", str(tmp_path), "--endpoint", "small")
    assert "(1 slots × rank 16, attention and MLP projections)" in explained.out, explained.out


def test_every_catalog_model_but_the_unverified_one_sizes_its_mlp_slots():
    """The warning stays the exception: only the models listed in WITHOUT_MLP_FACTS lack the width."""
    missing = {m.id for m in builtin_models() if lora_mlp.mlp_slots(m, "vllm", "0.27.1").missing
               or lora_mlp.mlp_slots(m, "sglang", "0.5.23").missing}
    assert missing == WITHOUT_MLP_FACTS


@pytest.mark.parametrize(("engine", "version"), [("vllm", "0.27.1"), ("sglang", "0.5.23")])
def test_the_missing_fact_is_named_for_the_dense_layers_of_a_moe_model_too(engine, version):
    from aimc.catalog.model_facts import from_spec

    spec = {"id": "acme/moe", "parametersB": 10, "layers": 8, "hiddenSize": 1024, "attentionHeads": 8,
            "maxContextLength": 4096, "experts": 4, "moeIntermediateSize": 512, "sharedExperts": 1, "denseLayers": 2}
    assert lora_mlp.mlp_slots(from_spec(spec, "m.yaml:1"), engine, version).missing == "intermediateSize"
    complete = from_spec({**spec, "intermediateSize": 2048}, "m.yaml:1")
    assert lora_mlp.mlp_slots(complete, engine, version).missing == ""
