"""Image choice per engine and architecture (aimc/resolve/images.py) and the flag set of the engine version inside
the image: defaults, supplied images with and without engineVersion, dropped no-op flags, explain."""

from __future__ import annotations

import yaml
from conftest import write_tree

HEADER = "apiVersion: aim.engine.amd.com/v1alpha1\n"
POOLS = ("  nodePools:\n"
         "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}\n"
         "    - {name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 2}\n"
         "    - {name: mi355x, hardware: MI355X, gpusPerNode: 8, nodeCount: 2}\n")
RECIPE = HEADER.replace("apiVersion: aim.engine.amd.com/v1alpha1\n", "") + """recipe_id: acme-qwen
model_id: Qwen/Qwen3-32B
huggingface_id: Qwen/Qwen3-32B
hardware: MI300X
precision: bf16
vllm_serve:
  "1_gpu":
    enabled: true
    args:
      --max-seq-len-to-capture: '8192'
      --max-model-len: '32768'
"""


def _cluster(defaults: str = "") -> str:
    return HEADER + "kind: ClusterInventory\nmetadata: {name: c}\nspec:\n" + defaults + POOLS


def _endpoint(spec: str, name: str = "e") -> str:
    return HEADER + f"kind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n{spec}"


def _deployments(out: str) -> dict:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(out) if d and d["kind"] == "Deployment"}


def _container(out: str, name: str) -> dict:
    return _deployments(out)[name]["spec"]["template"]["spec"]["containers"][0]


def test_sglang_on_mi355x_is_not_given_the_gfx942_image(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": RECIPE.replace("MI300X", "MI355X").replace("vllm_serve", "sglang_serve")
                            .replace("      --max-seq-len-to-capture: '8192'\n", "")
                            .replace("--max-model-len", "--context-length"),
        "a.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI355X\n  servingEngine: sglang\n", "a"),
        "b.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  servingEngine: sglang\n", "b"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    assert _container(result.out, "a-sglang")["image"] == "lmsysorg/sglang:v0.5.16-rocm720-mi35x"
    assert _container(result.out, "b-sglang")["image"] == "lmsysorg/sglang:v0.5.16-rocm720-mi30x"


def test_sglang_on_mi250_fails_naming_endpoint_engine_hardware_and_both_ways_out(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI250\n  gpuCount: 2\n"
                            "  servingEngines: [vllm, sglang]\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert (f"{tmp_path}/e.yaml:8: spec.servingEngines[1]: endpoint 'e': aimc knows no SGLang image for MI250 "
            "(gfx90a); SGLang images exist for gfx942 (") in result.err
    assert "serve it with vllm, which aimc has an image for on MI250" in result.err
    assert "supply your own SGLang image built for gfx90a in spec.image or the inventory's " \
           "spec.defaults.images.sglang.MI250" in result.err
    assert result.err.endswith("aimc: 1 error\n")


def test_an_sglang_image_supplied_for_mi250_in_the_inventory_is_used(aimc, tmp_path):
    defaults = ("  defaults:\n    images:\n      sglang:\n"
                "        MI250: {image: registry.example.com/sglang:gfx90a-build, engineVersion: 0.5.5.post3}\n")
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(defaults),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI250\n  gpuCount: 2\n"
                            "  servingEngines: [vllm, sglang]\n"),
        "f.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  servingEngine: sglang\n", "f"),
    })
    result = aimc("build", str(tmp_path), "--strict")
    assert result.code == 0, result
    assert _container(result.out, "e-sglang")["image"] == "registry.example.com/sglang:gfx90a-build"
    # Only for MI250: other hardware keeps aimc's default.
    assert _container(result.out, "f-sglang")["image"] == "lmsysorg/sglang:v0.5.16-rocm720-mi30x"


def test_vllm_turns_aiter_on_where_it_is_built_and_the_old_fork_off_on_gfx90a(aimc, tmp_path):
    fork = "  image: rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103\n"
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "a.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI250\n  gpuCount: 2\n", "a"),
        "b.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n", "b"),
        "c.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI250\n  gpuCount: 2\n" + fork, "c"),
        "d.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n" + fork, "d"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    env = {name: {e["name"]: e.get("value") for e in _container(result.out, f"{name}-vllm")["env"]}
           for name in "abcd"}
    assert "VLLM_ROCM_USE_AITER" not in env["a"] and env["b"]["VLLM_ROCM_USE_AITER"] == "1"  # vLLM's own image
    assert env["c"]["VLLM_ROCM_USE_AITER"] == "0" and "VLLM_ROCM_USE_AITER" not in env["d"]  # the ROCm fork


def test_a_catalogued_image_on_an_architecture_it_is_not_built_for_is_an_error(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": RECIPE.replace("MI300X", "MI355X").replace("vllm_serve", "sglang_serve")
                            .replace("      --max-seq-len-to-capture: '8192'\n", "")
                            .replace("--max-model-len", "--context-length"),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI355X\n  servingEngine: sglang\n"
                            "  image: lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert (f"{tmp_path}/e.yaml:8: spec.image: image 'lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x' is built for "
            "gfx942 (") in result.err
    assert "pool 'mi355x' is MI355X (gfx950): use lmsysorg/sglang:v0.5.16-rocm720-mi35x there" in result.err


def test_recipe_flags_removed_and_ignored_by_the_image_version_are_dropped_with_a_warning(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": RECIPE,
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  recipe: acme-qwen\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    assert "--max-seq-len-to-capture" not in _container(result.out, "e-vllm")["args"]
    assert (f"{tmp_path}/acme-qwen.yaml:10: warning: vllm_serve.1_gpu.args.--max-seq-len-to-capture: "
            "--max-seq-len-to-capture was removed in vLLM 0.11.0 and does nothing in vllm 0.27.1") in result.err
    explain = aimc("explain", str(tmp_path))
    assert "  image: vllm/vllm-openai-rocm:v0.27.1 (aimc default for gfx942)\n" in explain.out
    assert "  engine: vllm 0.27.1 (runtime catalog), architecture gfx942 (MI300X)\n" in explain.out
    assert "  engine flags checked against: vllm 0.27.1\n" in explain.out
    assert "  dropped: --max-seq-len-to-capture 8192 (removed in vLLM 0.11.0: it only sized" in explain.out
    # --strict: the warning is an error.
    assert aimc("build", str(tmp_path), "--strict").code == 1


def test_the_same_flag_typed_in_custom_args_stays_an_error(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
                            "  customArgs: {--max-seq-len-to-capture: 8192}\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert (f"{tmp_path}/e.yaml:7: spec.customArgs.--max-seq-len-to-capture: --max-seq-len-to-capture is not a "
            "vllm 0.27.1 flag: present in vLLM 0.10.2, absent in 0.27.1; vLLM 0.11.0 removed it") in result.err


def test_an_image_declaring_engine_version_0_10_2_is_checked_against_that_flag_set(aimc, tmp_path):
    image = "  image: {image: 'rocm/vllm-dev:aim-0.10.2', engineVersion: '0.10.2'}\n"
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": RECIPE,
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  recipe: acme-qwen\n" + image),
    })
    result = aimc("build", str(tmp_path), "--strict")
    assert result.code == 0, result
    container = _container(result.out, "e-vllm")
    assert container["image"] == "rocm/vllm-dev:aim-0.10.2"
    assert container["args"][container["args"].index("--max-seq-len-to-capture") + 1] == "8192"
    explain = aimc("explain", str(tmp_path))
    assert "  image: rocm/vllm-dev:aim-0.10.2 (spec.image)\n" in explain.out
    assert "  engine: vllm 0.10.2 (declared), architecture gfx942 (MI300X)\n" in explain.out
    assert "  engine flags checked against: vllm 0.10.2\n" in explain.out and "dropped:" not in explain.out


def test_a_supplied_image_without_engine_version_warns_and_fails_under_strict(aimc, tmp_path):
    defaults = "  defaults:\n    images: {vllm: registry.example.com/vllm:prod-2025}\n"
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(defaults),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    assert _container(result.out, "e-vllm")["image"] == "registry.example.com/vllm:prod-2025"
    assert (f"{tmp_path}/cluster.yaml:6: warning: spec.defaults.images.vllm: image "
            "'registry.example.com/vllm:prod-2025' is not in aimc's runtime catalog and declares no engineVersion: "
            "its flags are checked against vllm 0.27.1, the nearest known version (0.10.2, 0.11.1, 0.17.0, 0.21.0, "
            "0.22.0, 0.24.0, 0.27.1, 0.34.0); declare the "
            "version it holds as {image: registry.example.com/vllm:prod-2025, engineVersion: \"<version>\"}"
            ) in result.err
    strict = aimc("build", str(tmp_path), "--strict")
    assert strict.code == 1 and "is not in aimc's runtime catalog" in strict.err


def test_a_declared_version_without_a_flag_set_uses_the_nearest_with_a_warning(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
                            "  image: {image: 'rocm/vllm:custom-0.11.2', engineVersion: '0.11.2'}\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    assert ("warning: spec.image: image 'rocm/vllm:custom-0.11.2' declares vllm 0.11.2, for which aimc ships no "
            "flag set: its flags are checked against vllm 0.11.1, the nearest known version") in result.err


def test_a_catalogued_image_needs_no_version_and_a_wrong_one_is_an_error(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "a.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
                            "  image: rocm/vllm:rocm7.0.0_vllm_0.11.2_20251210\n", "a"),
    })
    result = aimc("build", str(tmp_path), "--strict")
    assert result.code == 0, result
    write_tree(tmp_path, {"a.yaml": _endpoint(
        "  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
        "  image: {image: rocm/vllm:rocm7.0.0_vllm_0.11.2_20251210, engineVersion: '0.10.2'}\n", "a")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert "holds vllm 0.11.2, not 0.10.2: correct engineVersion or remove it" in result.err


def test_an_image_of_the_other_engine_is_an_error(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  servingEngine: sglang\n"
                            "  image: rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert "spec.image: image 'rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103' holds vllm, not sglang" in result.err


def test_schema_rejects_an_image_object_without_image(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  image: {engineVersion: '0.10.2'}\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and "spec.image" in result.err


def test_default_choice_memo_is_per_engine_and_architecture():
    from aimc.catalog import runtime as rt
    from aimc.memo import one_compile
    from aimc.resolve.images import default_choice

    with one_compile():
        for _ in range(2):  # the second round comes from the memo
            for engine in ("vllm", "sglang"):
                for arch in ("gfx942", "gfx950", "gfx90a", None):
                    choice = default_choice(engine, arch)
                    facts = rt.runtime().default_image(engine, arch)
                    if facts is None:
                        assert choice is None
                        continue
                    assert (choice.image, choice.engine, choice.arch) == (facts.image, engine, arch)
                    assert choice.environment == facts.env_for(arch)
    assert default_choice("vllm", "gfx942").image != default_choice("sglang", "gfx942").image


def test_a_declared_version_newer_than_every_flag_set_names_both_and_fails_under_strict(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
                            "  image: {image: 'vllm/vllm-openai-rocm:v0.99.0', engineVersion: '0.99.0'}\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    assert ("warning: spec.image: image 'vllm/vllm-openai-rocm:v0.99.0' declares vllm 0.99.0, newer than every "
            "release aimc ships a flag set for: its flags are checked against vllm 0.34.0, the newest known") \
        in result.err
    strict = aimc("build", str(tmp_path), "--strict")
    assert strict.code == 1 and "declares vllm 0.99.0, newer than every release" in strict.err


def test_vllm_0_34_declared_is_checked_against_its_own_flag_set(aimc, tmp_path):
    """The issue's "done when": a flag added since 0.11.1 passes, a removed one is an error naming the release,
    and no nearest-version warning."""
    image = "  image: {image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}\n"
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n" + image
                            + "  customArgs: {--optimization-level: 2, --disable-prefix-caching: true}\n"),
    })
    result = aimc("build", str(tmp_path), "--strict")
    assert result.code == 0, result
    args = _container(result.out, "e-vllm")["args"]
    assert "--disable-prefix-caching" in args and args[args.index("--optimization-level") + 1] == "2"
    assert "nearest" not in result.err
    write_tree(tmp_path, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n" + image
                                              + "  customArgs: {--swap-space: 4}\n")})
    removed = aimc("build", str(tmp_path))
    assert removed.code == 1
    assert ("spec.customArgs.--swap-space: --swap-space is not a vllm 0.34.0 flag: present in vLLM 0.17.0, absent "
            "in 0.34.0") in removed.err and "nearest" not in removed.err


def test_a_hidden_vllm_spelling_is_written_the_way_the_image_version_spells_it(aimc, tmp_path):
    """vLLM 0.34's --enable-x / --disable-x pairs: a recipe's --no-enable-prefix-caching (which 0.34 still parses,
    hidden) becomes --disable-prefix-caching with a warning naming the release; `false` is spelt that way too."""
    recipe = RECIPE.replace("      --max-seq-len-to-capture: '8192'\n",
                            "      --no-enable-prefix-caching: true\n      --enable-chunked-prefill: false\n")
    image = "  image: {image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}\n"
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": recipe,
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  recipe: acme-qwen\n" + image),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    args = _container(result.out, "e-vllm")["args"]
    assert "--disable-prefix-caching" in args and "--disable-chunked-prefill" in args
    assert "--no-enable-prefix-caching" not in args and "--no-enable-chunked-prefill" not in args
    assert (f"{tmp_path}/acme-qwen.yaml:10: warning: vllm_serve.1_gpu.args.--no-enable-prefix-caching: "
            "--no-enable-prefix-caching is spelt --disable-prefix-caching from vLLM 0.34.0 on (the old spelling is "
            "hidden there, kept for compatibility): written as --disable-prefix-caching") in result.err
    write_tree(tmp_path, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  recipe: acme-qwen\n")})
    default = _container(aimc("build", str(tmp_path)).out, "e-vllm")["args"]  # 0.27.1: the --no- forms
    assert "--no-enable-prefix-caching" in default and "--no-enable-chunked-prefill" in default


def test_a_renamed_key_of_a_json_flag_is_rewritten_in_a_recipe_and_refused_in_custom_args(aimc, tmp_path):
    """vLLM's CompilationConfig.level (mapped to mode in 0.11.1) is gone from 0.21.0: the default 0.27.1 refuses
    {"level": 3} when it builds the config. A recipe's is written as "mode" with a warning; customArgs' is an error."""
    recipe = RECIPE.replace("      --max-seq-len-to-capture: '8192'\n",
                            """      --compilation-config: '{"level": 3, "cudagraph_mode": "FULL"}'\n""")
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "acme-qwen.yaml": recipe,
        "e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  recipe: acme-qwen\n"),
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    args = _container(result.out, "e-vllm")["args"]
    assert args[args.index("--compilation-config") + 1] == '{"cudagraph_mode":"FULL","mode":3}'
    assert (f"{tmp_path}/acme-qwen.yaml:10: warning: vllm_serve.1_gpu.args.--compilation-config: "
            "--compilation-config.level was renamed --compilation-config.mode in vLLM 0.21.0") in result.err
    write_tree(tmp_path, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n"
                                              "  customArgs: {--compilation-config: '{\"level\": 3}'}\n")})
    typed = aimc("build", str(tmp_path))
    assert typed.code == 1
    assert (f"{tmp_path}/e.yaml:7: spec.customArgs.--compilation-config: --compilation-config key 'level' is not in "
            "vllm 0.27.1: vLLM 0.21.0 renamed --compilation-config.level --compilation-config.mode") in typed.err
    pinned = "  image: {image: 'vllm/vllm-openai-rocm:v0.17.0', engineVersion: '0.17.0'}\n"
    write_tree(tmp_path, {"e.yaml": _endpoint("  model: Qwen/Qwen3-32B\n  hardware: MI300X\n" + pinned
                                              + "  customArgs: {--compilation-config: '{\"level\": 3}'}\n")})
    assert aimc("build", str(tmp_path), "--strict").code == 0  # 0.17.0 still maps level to mode


def test_sglang_0_5_23_declared_is_checked_against_its_own_flag_set(aimc, tmp_path):
    """The SGLang side of the issue's "done when": a flag added since 0.5.5.post3 passes, a removed one is an error
    naming the release (a renamed one says what to write), and no nearest-version warning."""
    image = "  image: {image: 'lmsysorg/sglang:v0.5.23-rocm720-mi30x', engineVersion: '0.5.23'}\n"
    spec = "  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  servingEngine: sglang\n" + image
    write_tree(tmp_path, {
        "cluster.yaml": _cluster(),
        "e.yaml": _endpoint(spec + "  customArgs: {--cuda-graph-max-bs-decode: 64}\n"),
    })
    result = aimc("build", str(tmp_path), "--strict")
    assert result.code == 0, result
    args = _container(result.out, "e-sglang")["args"]
    assert args[args.index("--cuda-graph-max-bs-decode") + 1] == "64" and "nearest" not in result.err
    write_tree(tmp_path, {"e.yaml": _endpoint(spec + "  customArgs: {--enable-nan-detection: true, "
                                                     "--cuda-graph-max-bs: 64}\n")})
    removed = aimc("build", str(tmp_path))
    assert removed.code == 1 and "nearest" not in removed.err
    assert ("spec.customArgs.--enable-nan-detection: --enable-nan-detection is not a sglang 0.5.23 flag: present in "
            "SGLang 0.5.12, absent in 0.5.23") in removed.err
    assert ("spec.customArgs.--cuda-graph-max-bs: --cuda-graph-max-bs is not a sglang 0.5.23 flag: present in SGLang "
            "0.5.16, absent in 0.5.23; SGLang 0.5.16 renamed it --cuda-graph-max-bs-decode: write "
            "--cuda-graph-max-bs-decode") in removed.err
