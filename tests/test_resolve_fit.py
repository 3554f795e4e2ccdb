"""Memory-fit arithmetic (aimc/resolve/fit.py) and the model and hardware facts it reads (aimc/catalog/model_facts.py)."""

from __future__ import annotations

import pytest

from aimc.catalog import model_facts as facts
from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.plan import Fit
from aimc.resolve import fit, fit_vllm
from aimc.resolve.arg_merge import merge_args
from aimc.validate.models import model_catalog


def facts_of(model_id):
    found = facts.builtin_catalog().lookup(model_id)
    assert found is not None, model_id
    return found


def fit_of(model_id, precision, gpus, hardware, engine="vllm", **settings):
    return fit.compute(facts_of(model_id), precision, gpus, facts.gpu(hardware).memory_gib, fit.Settings(
        settings.get("utilisation"), settings.get("max_len"), settings.get("kv_dtype"),
        no_graphs=settings.get("no_graphs", False)), engine)


def test_qwen3_32b_bf16_does_not_fit_one_mi250_gcd_but_fits_two():
    one = fit_of("Qwen/Qwen3-32B", "bf16", 1, "MI250", max_len=32768)
    assert not one.fits
    assert one.summary() == "needs 72.6 GiB per GPU, has 58.9 GiB (64 GiB × 0.92, vLLM 0.27.1's default)"
    assert one.arithmetic() == ("weights 61.09 GiB × 1.02 + activations and non-torch 2.30 GiB + KV 8.00 GiB "
                                "(one 32768-token sequence); HIP graphs 1.00 GiB outside the budget")
    two = fit_of("Qwen/Qwen3-32B", "bf16", 2, "MI250", max_len=32768)
    assert two.fits and round(two.needed_gib, 2) == 37.46


def test_qwen3_32b_bf16_fits_one_mi300x():
    assert fit_of("Qwen/Qwen3-32B", "bf16", 1, "MI300X").fits


def test_llama_405b_fp8_needs_more_than_one_mi300x():
    assert not fit_of("amd/Llama-3.1-405B-Instruct-FP8-KV", "fp8", 1, "MI300X", max_len=8192).fits
    assert not fit_of("meta-llama/Llama-3.1-405B-Instruct", "fp8", 2, "MI300X", max_len=8192).fits
    assert fit_of("meta-llama/Llama-3.1-405B-Instruct", "fp8", 4, "MI300X", max_len=8192).fits


def test_deepseek_r1_fp16_on_two_mi250_gcds_is_far_off():
    result = fit_of("deepseek-ai/DeepSeek-R1-0528", "fp16", 2, "MI250", max_len=8192)
    assert not result.fits and result.needed_gib > 600


def test_mla_latent_kv_is_not_split_by_tensor_parallelism():
    one = fit_of("deepseek-ai/DeepSeek-R1-0528", "fp8", 1, "MI300X", max_len=163840)
    eight = fit_of("deepseek-ai/DeepSeek-R1-0528", "fp8", 8, "MI300X", max_len=163840)
    assert one.kv_gib == eight.kv_gib
    assert round(one.kv_gib, 2) == round(163840 * 61 * 576 * 2 / 2 ** 30, 2)


def test_kv_split_stops_at_the_number_of_kv_heads():
    four = fit_of("Qwen/Qwen3-235B-A22B", "bf16", 4, "MI300X", max_len=32768)
    eight = fit_of("Qwen/Qwen3-235B-A22B", "bf16", 8, "MI300X", max_len=32768)
    assert four.kv_split == eight.kv_split == 4 and four.kv_gib == eight.kv_gib


def test_fp8_kv_cache_halves_the_kv_term():
    wide = fit_of("Qwen/Qwen3-32B", "bf16", 1, "MI300X", max_len=32768)
    narrow = fit_of("Qwen/Qwen3-32B", "bf16", 1, "MI300X", max_len=32768, kv_dtype="fp8")
    assert narrow.kv_gib == wide.kv_gib / 2


def test_without_a_maximum_length_the_engines_use_max_position_embeddings():
    # Qwen3's config.json says max_position_embeddings 40960 (its model card: 32768 native).
    assert fit_of("Qwen/Qwen3-32B", "bf16", 1, "MI300X").max_len == 40960
    assert fit_of("Qwen/Qwen3-235B-A22B", "bf16", 8, "MI300X", "sglang").max_len == 40960
    assert fit_of("meta-llama/Llama-3.3-70B-Instruct", "bf16", 1, "MI300X").max_len == 131072


def test_near_miss_prints_enough_digits_to_differ():
    tight = Fit("m", "vllm", 1, 64, 0.9, "", (57.64 - 4.0) / 1.02, fit_vllm.WEIGHT_FACTOR, 4.0, 0.0, 1, 1, 1.0)
    assert not tight.fits
    assert "needs 57.64 GiB per GPU, has 57.60 GiB" in tight.summary()


def test_tensor_parallelism_must_divide_attention_heads():
    qwen = facts_of("Qwen/Qwen3-32B")
    assert fit.topology_problem(qwen, 3) == "tensor parallelism 3 does not divide the 64 attention heads of Qwen/Qwen3-32B"
    assert fit.topology_problem(qwen, 8) is None
    assert fit.topology_problem(facts_of("meta-llama/Llama-3.2-3B-Instruct"), 16) is not None  # 24 heads


def settings(engine, recipe, overrides=(), custom=()):
    """What the fit reads from the one precedence merge (the same merge that builds the command line)."""
    return fit.settings(merge_args(engine, recipe, 1, overrides, custom))


def test_settings_follow_the_argument_precedence():
    recipe = (("--gpu-memory-utilization", "0.9"), ("--max-model-len", "32768"))
    assert settings("vllm", recipe) == fit.Settings(0.9, 32768, None)
    overrides = (("gpuMemoryUtilization", 0.8), ("maxModelLen", 8192), ("kvCacheDtype", "fp8"))
    assert settings("vllm", recipe, overrides) == fit.Settings(0.8, 8192, "fp8")
    custom = (("--max-model-len", 4096), ("--gpu-memory-utilization", None))
    assert settings("vllm", recipe, overrides, custom) == fit.Settings(None, 4096, "fp8")
    assert settings("vllm", recipe, (), (("--max-context-len", "2048"),)).max_len == 2048


def test_settings_read_sglang_and_vllm_names_under_either_engine():
    sglang = (("--mem-fraction-static", "0.85"), ("--context-length", "16384"))
    assert settings("sglang", sglang) == fit.Settings(0.85, 16384, None)
    # The published recipes write vLLM names under sglang_serve.
    assert settings("sglang", (("--gpu-memory-utilization", "0.8"),)).utilisation == 0.8
    assert settings("sglang", (), (("gpuMemoryUtilization", 0.7),)).utilisation == 0.7


def test_hardware_catalog_maps_profile_gpu_names():
    for name, memory in (("MI300X", 192), ("MI325X", 256), ("MI250X", 64), ("mi250", 64), ("MI355X", 288)):
        assert facts.gpu(name).memory_gib == memory
    assert facts.gpu("MI999") is None


def test_aliases_find_facts_of_pre_quantized_checkpoints():
    assert facts_of("amd/Llama-3.1-8B-Instruct-FP8-KV").id == "meta-llama/Llama-3.1-8B-Instruct"
    assert facts_of("qwen/qwen3-32b").id == "Qwen/Qwen3-32B"  # case-insensitive


def _model_doc(spec, line=1):
    data = {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMModel", "metadata": {"name": "m"}, "spec": spec}
    return Document(file="models/m.yaml", source="models/m.yaml", index=0, line=line, kind="model", data=data)


def test_aimmodel_documents_add_and_override_facts():
    spec = {"id": "acme/Tiny-1B", "parametersB": 1.0, "layers": 8, "attentionHeads": 16, "kvHeads": 4,
            "hiddenSize": 2048, "maxContextLength": 4096}
    catalog = model_catalog([_model_doc(spec)], Collector())
    tiny = catalog.lookup("acme/tiny-1b")
    assert tiny.head_dim == 128 and tiny.source == "models/m.yaml:1"
    assert catalog.lookup("Qwen/Qwen3-32B") is not None
    override = dict(spec, id="Qwen/Qwen3-32B")
    assert model_catalog([_model_doc(override)], Collector()).lookup("Qwen/Qwen3-32B").parameters_b == 1.0


def test_aimmodel_documents_need_a_head_dimension_and_unique_ids():
    collector = Collector()
    spec = {"id": "acme/X", "parametersB": 1.0, "layers": 8, "attentionHeads": 16, "maxContextLength": 4096}
    model_catalog([_model_doc(spec)], collector)
    assert [d.format() for d in collector.errors] == [
        "models/m.yaml:1: spec: give headDim (or hiddenSize, from which headDim = hiddenSize / attentionHeads) "
        "or kvLatentDim"]
    collector = Collector()
    spec["headDim"] = 64
    model_catalog([_model_doc(spec), _model_doc(spec, 9)], collector)
    assert [d.format() for d in collector.errors] == [
        "models/m.yaml:9: spec.id: model 'acme/X' is also described at models/m.yaml:1"]


def test_catalog_files_are_read_once():
    assert facts.builtin_models() is facts.builtin_models()
    assert facts.hardware() is facts.hardware()


@pytest.mark.parametrize("model", [m.id for m in facts.builtin_models()])
def test_every_builtin_model_has_kv_facts(model):
    found = facts_of(model)
    assert found.kv_bytes_per_token() > 0



# -- one precedence merge: the fit reads the command line the engine gets -----------------------------------

def test_fit_reads_the_merged_command_line_not_a_second_merge():
    # SGLang's --context-length is no vLLM flag: removing it on a vLLM endpoint removes nothing, so the engine still
    # runs with the recipe's --max-model-len 32768 (a second merge that treated both names alike assumed the model's
    # maximum length instead, and checked a command line the engine never gets).
    recipe = (("--max-model-len", "32768"), ("--gpu-memory-utilization", "0.95"))
    custom = (("--context-length", None), ("--mem-fraction-static", None))
    assert settings("vllm", recipe, (), custom) == fit.Settings(0.95, 32768, None)


@pytest.mark.parametrize("engine, recipe, overrides, custom", [
    ("vllm", {"--max-model-len": "32768", "--gpu-memory-utilization": "0.9"}, (("maxModelLen", 16384),),
     (("--max-model-len", 8192),)),
    ("vllm", {"max_model_len": "4096"}, (("gpuMemoryUtilization", 0.8),), (("--max-context-len", "2048"),)),
    ("vllm", {"--max-model-len": "32768"}, (), (("--context-length", None),)),
    ("sglang", {"--max-model-len": "16384", "--gpu-memory-utilization": "0.85"}, (("kvCacheDtype", "fp8"),), ()),
    ("sglang", {"--context-length": "16384"}, (("maxModelLen", 4096),), (("--mem-fraction-static", "0.7"),)),
])
def test_fit_settings_equal_the_values_on_the_built_command_line(engine, recipe, overrides, custom):
    from aimc.resolve.engine_args import build_command

    args = list(build_command(engine, recipe, 2, "org/w", "org/W", overrides, custom,
                              lambda source, key: ("t.yaml", 1, key)).args)

    def value(*flags):
        found = [args[args.index(f) + 1] for f in flags if f in args]
        return found[-1] if found else None

    read = fit.settings(merge_args(engine, recipe, 2, overrides, custom))
    max_len, utilisation = value("--max-model-len", "--context-length"), value("--gpu-memory-utilization",
                                                                               "--mem-fraction-static")
    assert read.max_len == (int(max_len) if max_len else None)
    assert read.utilisation == (float(utilisation) if utilisation else None)
    assert read.kv_dtype == value("--kv-cache-dtype")


# -- one table of bytes per parameter, hardware parsed once ---------------------------------------------------

def test_one_bytes_per_parameter_table_for_fit_and_sizing():
    from aimc.catalog import weight_bytes
    from aimc.render import sizing
    from aimc.resolve import fit_sglang, fit_vllm

    # fit (both engines) and sizing count the same bytes: weight_bytes (sizing its total, weight_gb), which reads
    # this one table
    assert fit_vllm.weight_bytes is fit_sglang.weight_bytes is weight_bytes.weight_bytes
    assert sizing.weight_gb_of is weight_bytes.weight_gb
    assert weight_bytes.bytes_per_parameter is facts.bytes_per_parameter
    assert facts.bytes_per_parameter("fp32") == 4  # AIM profiles may be fp32: 4 bytes, in memory and on disk
    assert facts.bytes_per_parameter("bf16") == 2 and facts.bytes_per_parameter("fp4") == 0.5


def test_the_total_weights_are_the_sum_of_the_tensor_groups_for_every_model_and_precision():
    from aimc.catalog import weight_bytes

    models = facts.builtin_catalog().models
    assert any(model.quantized_layout is not None for model in models)  # both ways of counting are exercised
    for model in models:
        for precision in (*facts.BYTES_PER_PARAMETER, "mxfp4", "unknown"):
            assert weight_bytes.weight_gb(model, precision) == weight_bytes.weight_bytes(model, precision).gb


def test_hardware_catalog_is_parsed_once_for_fit_and_environment_checks(monkeypatch):
    from aimc.catalog import files
    from aimc.resolve import env_checks

    reads = []

    def counting(name):
        reads.append(name)
        return files.read_yaml(name)

    monkeypatch.setattr(facts, "read_yaml", counting)
    facts.hardware.cache_clear()
    try:
        assert env_checks.env_problem("PYTORCH_ROCM_ARCH", "gfx90a", "MI300X")[1] == "error"
        assert facts.gpu("MI300X").memory_gib == 192
        assert env_checks.gpu_arches()["MI250"] == "gfx90a"
    finally:
        facts.hardware.cache_clear()
    assert reads == ["hardware.yaml"]
