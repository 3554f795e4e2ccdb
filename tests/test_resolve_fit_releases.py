"""The memory fit follows the engine release of the rendered image (aimc/resolve/fit_defaults.py): the same endpoint
on two releases whose defaults differ gets each release's figures in `aimc explain`, and a different verdict where the
difference matters."""

from __future__ import annotations

from conftest import write_tree

from aimc.catalog import model_facts as facts
from aimc.resolve import fit, fit_defaults, fit_sglang, fit_vllm

HEADER = "apiVersion: aim.engine.amd.com/v1alpha1\n"


def _settings(**values) -> fit.Settings:
    return fit.Settings(**{"utilisation": None, "max_len": None, "kv_dtype": None, **values})


def _model(model_id: str):
    return facts.builtin_catalog().lookup(model_id)


def _tree(tmp_path, recipe: str, endpoint: str, pool: str) -> None:
    recipe_id = recipe.split("\n", 1)[0].removeprefix("recipe_id: ")
    write_tree(tmp_path, {
        "cluster.yaml": HEADER + "kind: ClusterInventory\nmetadata: {name: c}\nspec:\n  nodePools:\n" + pool,
        f"{recipe_id}.yaml": recipe,
        "e.yaml": HEADER + "kind: AIMEndpoint\nmetadata: {name: e}\nspec:\n" + endpoint,
    })


# -- vLLM: 0.9 up to 0.17, 0.92 from 0.21, measured sizing in 0.34 -----------------------------------------------

LLAMA_70B = """recipe_id: acme-llama-70b
model_id: meta-llama/Llama-3.3-70B-Instruct
huggingface_id: meta-llama/Llama-3.3-70B-Instruct
hardware: MI300X
precision: bf16
vllm_serve:
  "1_gpu":
    enabled: true
    args:
      --max-model-len: '131072'
"""


def _llama_endpoint(image: str) -> str:
    return (f"  model: meta-llama/Llama-3.3-70B-Instruct\n  hardware: MI300X\n  recipe: acme-llama-70b\n"
            f"  gpuCount: 1\n  image: {image}\n")


def test_llama_70b_at_131072_tokens_on_one_mi300x_refused_by_vllm_0_11_started_by_0_34(aimc, tmp_path):
    pool = "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}\n"
    _tree(tmp_path / "old", LLAMA_70B, _llama_endpoint("{image: 'rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103'}"), pool)
    old = aimc("explain", str(tmp_path / "old"))
    assert old.code == 1, old  # runtime.md's worked case: u 0.90 leaves ≈37 GiB of KV, one sequence needs 40
    assert ("acme-llama-70b vllm 1_gpu on pool mi300x: rejected (memory): needs 176.4 GiB per GPU, has 172.8 GiB "
            "(192 GiB × 0.90, vLLM 0.11.1's default)") in old.out
    assert ("    defaults the fit used: vLLM 0.11.1 on a 192 GiB GPU: --max-num-batched-tokens 8192, --max-num-seqs "
            "1024, --gpu-memory-utilization 0.9\n") in old.out

    _tree(tmp_path / "new", LLAMA_70B,
          _llama_endpoint("{image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}"), pool)
    new = aimc("explain", str(tmp_path / "new"))
    assert new.code == 0, new
    assert ("  memory per GPU: needs 177.4 GiB per GPU, has 192.0 GiB (192 GiB × 1.00, vLLM 0.34.0's default: sized "
            "from measured memory)") in new.out
    assert ("  defaults the fit used: vLLM 0.34.0 on a 192 GiB GPU: --max-num-batched-tokens 16384, --max-num-seqs "
            "1024, --gpu-memory-utilization unset (KV cache sized from measured memory, graphs inside)\n") in new.out


def test_vllm_batch_defaults_per_release_and_gpu_memory():
    assert fit_defaults.vllm_batch(192, "0.11.1", 32768, None, None) == fit_defaults.VllmBatch(8192, 1024)
    assert fit_defaults.vllm_batch(192, "0.34.0", 32768, None, None) == fit_defaults.VllmBatch(16384, 1024)
    assert fit_defaults.vllm_batch(128, "0.34.0", 32768, None, None) == fit_defaults.VllmBatch(8192, 1024)
    assert fit_defaults.vllm_batch(64, "0.27.1", 32768, None, None) == fit_defaults.VllmBatch(2048, 256)  # MI250 GCD
    # a defaulted token budget never exceeds max-num-seqs × the maximum length; a given one is kept
    assert fit_defaults.vllm_batch(192, "0.27.1", 2048, None, 2) == fit_defaults.VllmBatch(4096, 2)
    assert fit_defaults.vllm_batch(192, "0.27.1", 2048, 65536, 2) == fit_defaults.VllmBatch(65536, 2)


def test_vllm_max_num_seqs_from_the_command_line_bounds_the_windowed_layers_batch():
    gpt_oss = _model("openai/gpt-oss-120b")
    few = fit.compute(gpt_oss, "mxfp4", 1, 192, _settings(max_len=1024, max_num_seqs=1), "vllm", version="0.27.1")
    many = fit.compute(gpt_oss, "mxfp4", 1, 192, _settings(max_len=1024), "vllm", version="0.27.1")
    assert fit_vllm.batched_tokens(192, _settings(max_len=1024, max_num_seqs=1), "0.27.1") == 1024
    assert few.defaults == ("vLLM 0.27.1 on a 192 GiB GPU: --max-num-batched-tokens 1024, "
                            "--gpu-memory-utilization 0.92")
    assert many.defaults.startswith("vLLM 0.27.1 on a 192 GiB GPU: --max-num-batched-tokens 8192, --max-num-seqs 1024")


# -- SGLang: the default fraction per release ------------------------------------------------------------------

LLAMA_8B = """recipe_id: acme-llama-8b
model_id: meta-llama/Llama-3.1-8B-Instruct
huggingface_id: meta-llama/Llama-3.1-8B-Instruct
hardware: MI300X
precision: bf16
sglang_serve:
  "1_gpu":
    enabled: true
    args:
      --context-length: '131072'
"""


def _llama_8b_endpoint(image: str) -> str:
    return (f"  model: meta-llama/Llama-3.1-8B-Instruct\n  hardware: MI300X\n  recipe: acme-llama-8b\n"
            f"  servingEngine: sglang\n  gpuCount: 1\n  image: {image}\n")


def test_llama_8b_on_an_mi300x_cpx_partition_fits_sglang_0_5_16_not_0_5_23(aimc, tmp_path):
    pool = ("    - {name: cpx, hardware: MI300X, gpusPerNode: 64, nodeCount: 1,\n"
            "       partition: {compute: CPX, memory: NPS4}}\n")
    _tree(tmp_path / "old", LLAMA_8B, _llama_8b_endpoint("{image: 'lmsysorg/sglang:v0.5.16-rocm720-mi30x'}"), pool)
    old = aimc("explain", str(tmp_path / "old"))
    assert old.code == 0, old
    assert ("  memory per GPU: needs 15.9 GiB per GPU, has 17.3 GiB (24 GiB × 0.720, SGLang 0.5.16's default 0.847; "
            "0.847 × 0.85 with aiter above 8192 tokens)") in old.out
    assert ("  defaults the fit used: SGLang 0.5.16 on a 24 GiB GPU: --chunked-prefill-size 2048, --cuda-graph-max-bs "
            "24, --mem-fraction-static 0.847, --max-running-requests 2048 (from the KV pool's 11654 tokens)\n") in old.out

    # 0.5.23 raised the 20-35 GiB tier (4096 prefill tokens, 48 graphs): a larger reserve, no KV pool left
    _tree(tmp_path / "new", LLAMA_8B,
          _llama_8b_endpoint("{image: 'lmsysorg/sglang:v0.5.23-rocm720-mi30x', engineVersion: '0.5.23'}"), pool)
    new = aimc("explain", str(tmp_path / "new"))
    assert new.code == 1, new
    assert ("acme-llama-8b sglang 1_gpu on pool cpx: rejected (memory): needs 15.9 GiB per GPU, has 14.7 GiB "
            "(24 GiB × 0.612, SGLang 0.5.23's default 0.720; 0.72 × 0.85 with aiter above 8192 tokens)") in new.out
    assert ("    defaults the fit used: SGLang 0.5.23 on a 24 GiB GPU: --chunked-prefill-size 4096, "
            "--cuda-graph-max-bs 48, --mem-fraction-static 0.720\n") in new.out


def test_sglang_speculative_reserve_per_release():
    eagle = _settings(speculative="EAGLE")
    assert fit_sglang.default_fraction(192, 1, 1, eagle, "0.5.5.post3") == round((192 - 26240 / 1024 - 2) / 192, 3)
    assert fit_sglang.default_fraction(192, 1, 1, eagle, "0.5.12") == round((192 - 26240 / 1024 - 4) / 192, 3)
    assert fit_sglang.default_fraction(192, 1, 1, eagle, "0.5.16") == 0.867  # no speculative term from 0.5.14
    standalone = _settings(speculative="standalone")
    assert fit_sglang.default_fraction(192, 1, 1, standalone, "0.5.12") == round((192 - 26240 / 1024 - 6) / 192, 3)
    assert fit_sglang.default_fraction(192, 1, 1, _settings(speculative="NGRAM"), "0.5.5.post3") == 0.867


def test_sglang_graph_reserve_with_graphs_off_and_the_running_requests_cap():
    off = _settings(no_graphs=True)
    # 24 GiB: 512 + 1.5 × 2048 + 2 × 24 + 128 MiB up to 0.5.14; without the 48 MiB of graphs from 0.5.16
    assert fit_sglang.default_fraction(24, 1, 1, off, "0.5.5.post3") == round((24576 - 3760) / 24576, 3)
    assert fit_sglang.default_fraction(24, 1, 1, off, "0.5.16") == round((24576 - 3712) / 24576, 3)
    capped = _settings(max_num_seqs=16)  # 0.5.23 caps a defaulted graph batch at --max-running-requests
    assert fit_sglang.defaults(24, 1, capped, "0.5.23") == (4096, 16)
    assert fit_sglang.defaults(24, 1, capped, "0.5.16") == (2048, 24)
    assert fit_sglang.defaults(24, 1, _settings(max_num_seqs=16, graph_max_bs=32), "0.5.23") == (4096, 32)


def test_sglang_default_running_requests_per_release():
    assert fit_defaults.sglang_running_requests(11654, 131072, "0.5.16") == 2048
    assert fit_defaults.sglang_running_requests(3000, 131072, "0.5.16") == 2048
    assert fit_defaults.sglang_running_requests(3000, 131072, "0.5.23") == 1500  # at most half the pool's tokens
    assert fit_defaults.sglang_running_requests(10 ** 7, 4096, "0.5.23") == 4096


def test_an_unshipped_release_reads_the_first_shipped_row_at_or_before_it():
    assert fit_defaults.by_release(fit_defaults.VLLM_UTILISATION, "0.20.0") == 0.9
    assert fit_defaults.by_release(fit_defaults.VLLM_UTILISATION, "0.22.0") == 0.92
    assert fit_defaults.release("sglang", None) == fit_defaults.release("sglang", "0.5.16")


# -- whose release: the image the pod runs ---------------------------------------------------------------------

def test_a_group_fit_follows_the_inventory_default_image_and_the_endpoint_image(aimc, tmp_path):
    """Multi-node groups (fit_groups) and the inventory's default images follow the release too."""
    import shutil
    from pathlib import Path

    case = Path(__file__).parent / "cases" / "multinode-sglang" / "inputs"
    inventory_default = aimc("explain", str(case))
    assert inventory_default.code == 0, inventory_default
    assert "  defaults the fit used: SGLang 0.5.5.post3 on a 64 GiB GPU: " in inventory_default.out

    shutil.copytree(case, tmp_path / "inputs")
    endpoint = tmp_path / "inputs" / "endpoints" / "qwen-235b.yaml"
    endpoint.write_text(endpoint.read_text() + "  image: {image: 'registry.example.com/sglang:gfx90a-0.5.23', "
                        "engineVersion: '0.5.23'}\n")
    own_image = aimc("explain", str(tmp_path / "inputs"))
    assert "  defaults the fit used: SGLang 0.5.23 on a 64 GiB GPU: " in own_image.out, own_image


# -- SGLANG_ENABLE_POST_CAPTURE_KV_SIZING: planned on ROCm, never done there -----------------------------------

def _post_capture_tree(tmp_path, image: str, args: str = "", endpoint_env: str = "", recipe_env: str = "") -> None:
    recipe = LLAMA_8B + args + recipe_env
    pool = "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}\n"
    _tree(tmp_path, recipe, _llama_8b_endpoint(image) + endpoint_env, pool)


def test_post_capture_kv_sizing_on_rocm_is_a_warning_at_the_line_that_sets_it(aimc, tmp_path):
    image = "{image: 'lmsysorg/sglang:v0.5.16-rocm720-mi30x'}"
    _post_capture_tree(tmp_path / "endpoint", image,
                       endpoint_env="  env: [{name: SGLANG_ENABLE_POST_CAPTURE_KV_SIZING, value: '1'}]\n")
    result = aimc("build", str(tmp_path / "endpoint"))
    assert result.code == 0, result
    assert (f"{tmp_path}/endpoint/e.yaml:11: warning: spec.env[0]: SGLANG_ENABLE_POST_CAPTURE_KV_SIZING=1 shrinks "
            "SGLang 0.5.16's default --mem-fraction-static to a bare floor") in result.err
    assert "resizes the pool only on CUDA" in result.err

    _post_capture_tree(tmp_path / "recipe", image, recipe_env="    env: {SGLANG_ENABLE_POST_CAPTURE_KV_SIZING: 'true'}\n")
    in_recipe = aimc("build", str(tmp_path / "recipe"))
    assert (f"{tmp_path}/recipe/acme-llama-8b.yaml:11: warning: sglang_serve.1_gpu.env."
            "SGLANG_ENABLE_POST_CAPTURE_KV_SIZING: SGLANG_ENABLE_POST_CAPTURE_KV_SIZING=true shrinks") in in_recipe.err


def test_post_capture_kv_sizing_is_silent_where_it_changes_nothing(aimc, tmp_path):
    env = "  env: [{name: SGLANG_ENABLE_POST_CAPTURE_KV_SIZING, value: '1'}]\n"
    _post_capture_tree(tmp_path / "old", "{image: 'lmsysorg/sglang:v0.5.12-rocm720-mi30x'}", endpoint_env=env)
    _post_capture_tree(tmp_path / "fraction", "{image: 'lmsysorg/sglang:v0.5.16-rocm720-mi30x'}",
                       args="      --mem-fraction-static: '0.8'\n", endpoint_env=env)
    _post_capture_tree(tmp_path / "off", "{image: 'lmsysorg/sglang:v0.5.16-rocm720-mi30x'}",
                       endpoint_env=env.replace("'1'", "'0'"))
    for case in ("old", "fraction", "off"):  # no switch before 0.5.16; a given fraction; switched off
        result = aimc("build", str(tmp_path / case))
        assert result.code == 0 and "POST_CAPTURE" not in result.err, (case, result)


# -- SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION: 0.5.23 keeps a given fraction ------------------------------------

def test_sglang_0_5_23_keeps_an_explicit_fraction_when_the_environment_says_so(aimc, tmp_path):
    pool = ("    - {name: cpx, hardware: MI300X, gpusPerNode: 64, nodeCount: 1,\n"
            "       partition: {compute: CPX, memory: NPS4}}\n")
    recipe = LLAMA_8B + "      --mem-fraction-static: '0.75'\n"
    honour = "  env: [{name: SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION, value: 'true'}]\n"
    new = "{image: 'lmsysorg/sglang:v0.5.23-rocm720-mi30x', engineVersion: '0.5.23'}"
    old = "{image: 'lmsysorg/sglang:v0.5.16-rocm720-mi30x'}"
    for name, image, env, code in (("kept", new, honour, 0), ("unset", new, "", 1), ("older", old, honour, 1)):
        _tree(tmp_path / name, recipe, _llama_8b_endpoint(image) + env, pool)
        result = aimc("explain", str(tmp_path / name))
        assert result.code == code, (name, result)
        if code == 0:  # 24 GiB × 0.75 holds the 15.9 GiB of weights
            assert ("  memory per GPU: needs 15.9 GiB per GPU, has 18.0 GiB (24 GiB × 0.75, kept with aiter above "
                    "8192 tokens: SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION)") in result.out
        else:  # × 0.85: 15.3 GiB
            assert "has 15.3 GiB (24 GiB × 0.637, 0.75 × 0.85 with aiter above 8192 tokens)" in result.out, name


def test_each_endpoint_fit_follows_its_own_image_when_others_share_the_default(aimc, tmp_path):
    """The fit's engine version is worked out once per (engine, hardware) for endpoints without an image of their
    own (fit.EngineVersions); an endpoint with its own image, before or after them, still gets its image's."""
    recipe = LLAMA_70B.replace("'131072'", "'8192'")
    recipe_id = recipe.split("\n", 1)[0].removeprefix("recipe_id: ")
    own = "{image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}"
    endpoints = {name: HEADER + f"kind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n"
                 + "  model: meta-llama/Llama-3.3-70B-Instruct\n  hardware: MI300X\n  recipe: acme-llama-70b\n"
                 + "  gpuCount: 1\n" + (f"  image: {own}\n" if image else "")
                 for name, image in (("a-default", False), ("b-own", True), ("c-default", False))}
    write_tree(tmp_path, {
        "cluster.yaml": HEADER + "kind: ClusterInventory\nmetadata: {name: c}\nspec:\n  nodePools:\n"
        "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 4}\n",
        f"{recipe_id}.yaml": recipe, **{f"{name}.yaml": text for name, text in endpoints.items()}})
    result = aimc("explain", str(tmp_path))
    assert result.code == 0, result
    used = [line for line in result.out.splitlines() if line.startswith("  defaults the fit used: ")]
    assert [line.split(" on a ")[0] for line in used] == [
        "  defaults the fit used: vLLM 0.27.1", "  defaults the fit used: vLLM 0.34.0",
        "  defaults the fit used: vLLM 0.27.1"], result.out
