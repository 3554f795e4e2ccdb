"""LoRA adapters (spec.adapters; docs/operations/adapters.md): the engine flags, the start-up rules, the fetch into
the model cache, the routes by adapter name and the name checks."""

from __future__ import annotations

import crd_cel
import crd_fixtures
import pytest
import yaml
from conftest import SHARED_FIXTURES, write_tree

CLUSTER = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: lab}
spec:
  defaults: {namespace: llm, hfTokenSecret: {name: hf-token}}
%s  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 4}
"""
CACHE = "  modelCache: {storageClassName: nfs-csi}\n"
POOL_GATEWAY = "  gateway: {name: gw, namespace: gateway-system, inferenceExtension: true, bodyBasedRouting: true}\n"
SERVICE_GATEWAY = "  gateway: {name: gw, namespace: gateway-system}\n"
ADAPTERS = """\
  adapters:
    - {name: sql-assistant, source: "hf://acme/qwen3-32b-sql-lora", rank: 16}
    - {name: support-bot, source: "hf://acme/qwen3-32b-support-lora@v2", rank: 64}
"""


def endpoint(name: str = "qwen-tuned", adapters: str = ADAPTERS, extra: str = "",
             engines: str = "  servingEngines: [vllm, sglang]\n", model: str = "Qwen/Qwen3-32B") -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n"
            f"  model: {model}\n  precision: bf16\n  gpuCount: 2\n{engines}{extra}{adapters}---\n")


def many(count: int, prefix: str = "tenant") -> str:
    return "  adapters:\n" + "".join(
        f"    - {{name: {prefix}-{i:03d}, source: 'hf://acme/{prefix}-{i:03d}-lora', rank: 16}}\n" for i in range(count))


def run(aimc, tmp_path, endpoints: str, cluster: str = CACHE, command: str = "build"):
    write_tree(tmp_path, {"cluster.yaml": CLUSTER % cluster, "endpoints.yaml": endpoints})
    return aimc(command, str(tmp_path))


def build(aimc, tmp_path, endpoints: str, cluster: str = CACHE) -> list[dict]:
    result = run(aimc, tmp_path, endpoints, cluster)
    assert result.code == 0, result.err
    return [d for d in yaml.safe_load_all(result.out) if d]


def workload(objects, name: str) -> dict:
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def args_of(objects, name: str) -> list[str]:
    return workload(objects, name)["spec"]["template"]["spec"]["containers"][0]["args"]


def after(args: list[str], flag: str, count: int = 1) -> list[str]:
    at = args.index(flag)
    return args[at + 1:at + 1 + count]


PATH = "/root/.cache/huggingface/aimc-adapters/acme"


# -- engine flags -------------------------------------------------------------------------------------------------

def test_vllm_serves_the_adapters_with_slots_and_rank_sized_from_them(aimc, tmp_path):
    args = args_of(build(aimc, tmp_path, endpoint()), "qwen-tuned-vllm")
    assert "--enable-lora" in args
    assert after(args, "--lora-modules", 2) == [f"sql-assistant={PATH}/qwen3-32b-sql-lora/main",
                                               f"support-bot={PATH}/qwen3-32b-support-lora/v2"]
    assert after(args, "--max-loras") == ["2"]
    assert after(args, "--max-lora-rank") == ["64"]
    assert "--max-cpu-loras" not in args  # as many GPU slots as adapters: vLLM's default (= --max-loras) holds them


def test_sglang_serves_the_adapters_with_a_slot_for_the_base_model(aimc, tmp_path):
    args = args_of(build(aimc, tmp_path, endpoint()), "qwen-tuned-sglang")
    assert "--enable-lora" in args
    assert after(args, "--lora-paths", 2) == [f"sql-assistant={PATH}/qwen3-32b-sql-lora/main",
                                             f"support-bot={PATH}/qwen3-32b-support-lora/v2"]
    assert after(args, "--max-loras-per-batch") == ["3"]
    assert after(args, "--max-lora-rank") == ["64"]


def test_more_adapters_than_gpu_slots_keep_the_rest_in_host_memory(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(adapters=many(12), engines=""))
    args = args_of(objects, "qwen-tuned-vllm")
    assert after(args, "--max-loras") == ["8"] and after(args, "--max-cpu-loras") == ["12"]
    assert after(args, "--max-lora-rank") == ["16"]


def test_vllm_rank_is_rounded_up_to_one_of_its_choices(aimc, tmp_path):
    adapters = "  adapters: [{name: a, source: 'hf://acme/a', rank: 40}]\n"
    args = args_of(build(aimc, tmp_path, endpoint(adapters=adapters, engines="")), "qwen-tuned-vllm")
    assert after(args, "--max-lora-rank") == ["64"]


def test_without_ranks_vllm_keeps_its_default_and_warns_sglang_infers_it(aimc, tmp_path):
    adapters = "  adapters: [{name: a, source: 'hf://acme/a'}]\n"
    result = run(aimc, tmp_path, endpoint(adapters=adapters))
    assert result.code == 0, result.err
    objects = [d for d in yaml.safe_load_all(result.out) if d]
    assert "--max-lora-rank" not in args_of(objects, "qwen-tuned-vllm")
    assert "--max-lora-rank" not in args_of(objects, "qwen-tuned-sglang")
    assert "endpoints.yaml:9: warning: spec.adapters[0]: adapter 'a' gives no rank: vLLM 0.27.1 reserves rank 16" \
        in result.err


def test_custom_args_may_resize_but_not_list_the_adapters(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(engines="", extra="  customArgs: {--max-loras: 1, --max-cpu-loras: 4}\n"))
    args = args_of(objects, "qwen-tuned-vllm")
    assert after(args, "--max-loras") == ["1"] and after(args, "--max-cpu-loras") == ["4"]
    result = run(aimc, tmp_path, endpoint(engines="", extra="  customArgs: {--lora-modules: 'x=/tmp/x'}\n"))
    assert result.code == 1
    assert ("endpoints.yaml:8: spec.customArgs.--lora-modules: --lora-modules cannot be set in customArgs of an "
            "endpoint with spec.adapters") in result.err


def test_without_adapters_no_lora_flag_and_no_init_container(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(adapters=""))
    for name in ("qwen-tuned-vllm", "qwen-tuned-sglang"):
        assert not any("lora" in a for a in args_of(objects, name))
        pod = workload(objects, name)["spec"]["template"]["spec"]
        # The shared cache's wait for the model download (render/download.py) may be there; no adapter fetch.
        assert "fetch-adapters" not in [c["name"] for c in pod.get("initContainers", [])]


# -- unsupported combinations -------------------------------------------------------------------------------------

def test_a_rank_above_vllms_largest_choice_is_an_error_at_the_rank(aimc, tmp_path):
    adapters = "  adapters:\n    - {name: a, source: 'hf://acme/a', rank: 1024}\n"
    result = run(aimc, tmp_path, endpoint(adapters=adapters, engines=""))
    assert result.code == 1
    assert ("endpoints.yaml:9: spec.adapters[0].rank: adapter 'a' has rank 1024, above the largest --max-lora-rank "
            "vLLM 0.27.1 accepts (512;") in result.err
    assert "vllm/config/lora.py" in result.err


def test_a_rank_above_the_command_lines_max_lora_rank_is_an_error(aimc, tmp_path):
    for engines, flag in (("", "--max-lora-rank: 16"), ("  servingEngine: sglang\n", "--max-lora-rank: 16")):
        result = run(aimc, tmp_path, endpoint(engines=engines, extra=f"  customArgs: {{{flag}}}\n"))
        assert result.code == 1
        assert ("spec.adapters[1].rank: adapter 'support-bot' has rank 64, above --max-lora-rank 16 of the command "
                "line") in result.err, result.err


def test_host_slots_below_gpu_slots_is_refused_as_vllm_does(aimc, tmp_path):
    result = run(aimc, tmp_path, endpoint(engines="", extra="  customArgs: {--max-cpu-loras: 1}\n"))
    assert result.code == 1
    assert ("spec.customArgs.--max-cpu-loras: --max-cpu-loras (1) must be at least --max-loras (2): vLLM 0.27.1 "
            "refuses to start (vllm/config/lora.py") in result.err


def test_sglang_loaded_adapters_below_the_list_is_refused(aimc, tmp_path):
    extra = "  customArgs: {--max-loaded-loras: 3, --max-loras-per-batch: 2}\n"
    result = run(aimc, tmp_path, endpoint(adapters=many(4), engines="  servingEngine: sglang\n", extra=extra))
    assert result.code == 1
    assert "--max-loaded-loras (3) is below the 4 adapters of spec.adapters: SGLang 0.5.16 refuses" in result.err


def test_an_engine_version_without_the_lora_flags_is_an_error_naming_the_flag_set(aimc, tmp_path, monkeypatch):
    """The flags go through the flag-set check of the image's version like any other: a version whose parser lacks
    one (here: a flag set with --lora-paths removed) refuses it with the file and line of spec.adapters."""
    from aimc.catalog import flag_sets

    real = flag_sets.flag_set

    def without_lora_paths(engine, version=None):
        found = real(engine, version)
        if engine != "sglang":
            return found
        from types import MappingProxyType

        from aimc.records import replace
        options = {k: v for k, v in found.options.items() if k != "--lora-paths"}
        return replace(found, options=MappingProxyType(options))

    # Every module that binds flag_set at import is patched before flag_sets itself: one first imported after it
    # would bind the patched function, and monkeypatch would then "restore" that for the tests that follow.
    for module in ("aimc.resolve.engine_args", "aimc.resolve.arg_merge", "aimc.resolve.lora_flags",
                   "aimc.resolve.startup_checks"):
        monkeypatch.setattr(f"{module}.flag_set", without_lora_paths)
    monkeypatch.setattr(flag_sets, "flag_set", without_lora_paths)
    from aimc.memo import one_compile  # the per-compile memo keys on the version, not the monkeypatched object
    with one_compile():
        result = run(aimc, tmp_path, endpoint(engines="  servingEngine: sglang\n"))
    assert result.code == 1
    assert "endpoints.yaml:9: spec.adapters: --lora-paths is not a sglang 0.5.16 flag" in result.err, result.err


# -- schema and names ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "field"), [
    ("{name: 'a\\nb', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: '$(reboot)', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: 'a=b', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: 'a,b', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: '---', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: 'é', source: 'hf://acme/a'}", "spec.adapters[0].name"),
    ("{name: a, source: 'acme/a'}", "spec.adapters[0].source"),
    ("{name: a, source: 'hf://acme'}", "spec.adapters[0].source"),
    ("{name: a, source: 'hf://acme/a; rm -rf /'}", "spec.adapters[0].source"),
    ("{name: a, source: 'cache://../etc'}", "spec.adapters[0].source"),
    ("{name: a, source: 'cache:///abs'}", "spec.adapters[0].source"),
    ("{name: a, source: 'hf://acme/a@$(x)'}", "spec.adapters[0].source"),
    ("{name: a, source: 'hf://acme/a', rank: 0}", "spec.adapters[0].rank"),
    ("{name: a, source: 'hf://acme/a', rank: 1e30}", "spec.adapters[0].rank"),
    ("{name: a, source: 'hf://acme/a', weight: 3}", "spec.adapters[0]"),
    ("{source: 'hf://acme/a'}", "spec.adapters[0]"),
])
def test_hostile_or_wrong_adapter_fields_are_refused_with_file_line_and_field(aimc, tmp_path, entry, field):
    result = run(aimc, tmp_path, endpoint(adapters=f"  adapters:\n    - {entry}\n"))
    assert result.code == 1, result.out
    assert f"endpoints.yaml:10: {field}" in result.err, result.err
    assert "Traceback" not in result.err


def test_an_adapter_name_twice_or_equal_to_the_model_is_an_error(aimc, tmp_path):
    twice = "  adapters:\n    - {name: a, source: 'hf://acme/a'}\n    - {name: a, source: 'hf://acme/b'}\n"
    result = run(aimc, tmp_path, endpoint(adapters=twice))
    assert result.code == 1 and "endpoints.yaml:11: spec.adapters[1].name: adapter name 'a' is given twice" \
        in result.err, result.err
    model = "  adapters:\n    - {name: Qwen/Qwen3-32B, source: 'hf://acme/a'}\n"
    result = run(aimc, tmp_path, endpoint(adapters=model))
    assert result.code == 1 and "adapter name 'Qwen/Qwen3-32B' is the endpoint's own spec.model" in result.err


def test_an_adapter_named_like_another_endpoints_model_is_an_error(aimc, tmp_path):
    adapters = "  adapters:\n    - {name: meta-llama/Llama-3.1-8B-Instruct, source: 'hf://acme/a'}\n"
    other = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama}\n"
             "spec: {model: meta-llama/Llama-3.1-8B-Instruct, gpuCount: 1}\n")
    result = run(aimc, tmp_path, endpoint(adapters=adapters) + other)
    assert result.code == 1
    assert ("spec.adapters[0].name: adapter name 'meta-llama/Llama-3.1-8B-Instruct' is also the model served by "
            "'llama'") in result.err, result.err


def test_two_endpoints_offering_one_adapter_need_weights_like_a_canary(aimc, tmp_path):
    one = "  adapters:\n    - {name: sql, source: 'hf://acme/sql', rank: 16}\n"
    result = run(aimc, tmp_path, endpoint("stable", adapters=one, engines="") + endpoint("canary", adapters=one,
                                                                                          engines=""), POOL_GATEWAY)
    assert result.code == 1
    assert "endpoints 'canary' (" in result.err and "all offer the adapter 'sql': set spec.traffic.weight" \
        in result.err
    weighted = build(aimc, tmp_path, endpoint("stable", adapters=one, engines="", extra="  traffic: {weight: 90}\n")
                     + endpoint("canary", adapters=one, engines="", extra="  traffic: {weight: 10}\n"),
                     CACHE + POOL_GATEWAY)
    routes = {o["metadata"]["name"]: o for o in weighted if o["kind"] == "HTTPRoute"}
    route = routes["canary-stable-adapters"]
    assert [(r["name"], r["weight"]) for r in route["spec"]["rules"][0]["backendRefs"]] == [
        ("canary-vllm", 10), ("stable-vllm", 90)]


# -- fetched once into the model cache ----------------------------------------------------------------------------

def test_an_init_container_fetches_the_adapters_into_the_model_cache_once(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(engines=""))
    pod = workload(objects, "qwen-tuned-vllm")["spec"]["template"]["spec"]
    (init,) = [c for c in pod["initContainers"] if c["name"] == "fetch-adapters"]
    main = pod["containers"][0]
    assert init["image"] == main["image"]  # the engine's own huggingface_hub
    assert init["args"] == ["hf", "acme/qwen3-32b-sql-lora", "", f"{PATH}/qwen3-32b-sql-lora/main",
                            "hf", "acme/qwen3-32b-support-lora", "v2", f"{PATH}/qwen3-32b-support-lora/v2"]
    assert init["volumeMounts"] == [{"name": "model-cache", "mountPath": "/root/.cache/huggingface"}]
    assert pod["volumes"][1]["persistentVolumeClaim"]["claimName"] == "model-cache-qwen-qwen3-32b"
    token = next(e for e in init["env"] if e["name"] == "HF_TOKEN")
    # The shared cache's download Job holds the same token for the base model; the engine itself runs offline.
    job = next(o for o in objects if o["kind"] == "Job")
    assert token == next(e for e in job["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "HF_TOKEN")
    assert "HF_TOKEN" not in [e["name"] for e in main["env"]]
    script = init["command"][2]
    assert "os.path.exists(marker)" in script and "snapshot_download" in script


def test_the_fetch_script_downloads_once_and_checks_cache_adapters(tmp_path, monkeypatch):
    """The init container's script, run here (in this process) with a stand-in for huggingface_hub: a second start
    downloads nothing; a cache:// adapter that is not there fails the pod with its name."""
    import sys
    import types

    from aimc.render.adapter_fetch import SCRIPT

    calls = []
    fake = types.ModuleType("huggingface_hub")

    def snapshot_download(repo_id, revision, local_dir):
        (tmp_path / "cache" / "a").mkdir(parents=True, exist_ok=True)
        calls.append((repo_id, revision, local_dir))

    fake.snapshot_download = snapshot_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    folder = str(tmp_path / "cache" / "a")
    for _ in range(2):
        monkeypatch.setattr(sys, "argv", ["-c", "hf", "acme/a", "v2", folder])
        exec(compile(SCRIPT, "<fetch-adapters>", "exec"), {})
    assert calls == [("acme/a", "v2", folder)]
    monkeypatch.setattr(sys, "argv", ["-c", "cache", "cache://x", "", str(tmp_path / "x")])
    with pytest.raises(SystemExit) as stopped:
        exec(compile(SCRIPT, "<fetch-adapters>", "exec"), {})
    assert str(stopped.value).startswith("adapter cache://x: no adapter_config.json in ")


def test_a_cache_adapter_without_the_shared_cache_is_an_error(aimc, tmp_path):
    adapters = "  adapters:\n    - {name: legal, source: 'cache://adapters/legal-v3', rank: 8}\n"
    result = run(aimc, tmp_path, endpoint(adapters=adapters), cluster="")
    assert result.code == 1
    assert ("endpoints.yaml:10: spec.adapters[0].source: adapter 'legal' is read from the model cache "
            "(cache://adapters/legal-v3), but the inventory declares no spec.modelCache") in result.err
    args = args_of(build(aimc, tmp_path, endpoint(adapters=adapters)), "qwen-tuned-vllm")
    assert after(args, "--lora-modules") == ["legal=/root/.cache/huggingface/adapters/legal-v3"]


# -- routing ------------------------------------------------------------------------------------------------------

needs_crds = pytest.mark.skipif(not crd_fixtures.available("HTTPRoute"),
                                reason=f"no CRD fixtures under {SHARED_FIXTURES}")


def routes(objects) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "HTTPRoute"}


@needs_crds
@pytest.mark.parametrize(("count", "layout"), [
    (70, {"qwen-tuned-adapters": [64, 6]}),
    (200, {"qwen-tuned-adapters": [64, 64], "qwen-tuned-adapters-2": [64, 8]}),
])
def test_adapter_names_route_to_their_endpoints_pools_within_the_crds_limits(aimc, tmp_path, count, layout):
    objects = build(aimc, tmp_path, endpoint(adapters=many(count), engines=""), CACHE + POOL_GATEWAY)
    found = {name: route for name, route in routes(objects).items() if name != "qwen-qwen3-32b"}
    assert {name: [len(rule["matches"]) for rule in r["spec"]["rules"]] for name, r in found.items()} == layout
    names = []
    for route in found.values():
        crd_fixtures.validate(route)
        outcome = crd_cel.evaluate(route)
        assert not outcome.failures and outcome.evaluated, outcome.failures
        for rule in route["spec"]["rules"]:
            assert rule["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                            "name": "qwen-tuned-vllm", "weight": 100}]
            names += [m["headers"][0]["value"] for m in rule["matches"]]
    assert names == [f"tenant-{i:03d}" for i in range(count)]


def test_without_the_inference_extension_adapters_route_to_the_service(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(engines=""), CACHE + SERVICE_GATEWAY)
    rule = routes(objects)["qwen-tuned-adapters"]["spec"]["rules"][0]
    assert rule["backendRefs"] == [{"kind": "Service", "name": "qwen-tuned", "port": 8000, "weight": 100}]
    assert [m["headers"][0]["value"] for m in rule["matches"]] == ["sql-assistant", "support-bot"]


def test_without_a_gateway_no_route(aimc, tmp_path):
    assert not routes(build(aimc, tmp_path, endpoint()))


def test_the_vllm_picker_scores_lora_affinity_sglangs_does_not(aimc, tmp_path):
    objects = build(aimc, tmp_path, endpoint(), CACHE + POOL_GATEWAY)
    maps = {o["metadata"]["name"]: yaml.safe_load(o["data"]["default-plugins.yaml"])
            for o in objects if o["kind"] == "ConfigMap"}
    vllm, sglang = maps["qwen-tuned-vllm-epp"], maps["qwen-tuned-sglang-epp"]
    assert {"pluginRef": "lora-affinity-scorer", "weight": 1} in vllm["schedulingProfiles"][0]["plugins"]
    assert {"type": "lora-affinity-scorer"} in vllm["plugins"]
    assert "lora-affinity-scorer" not in str(sglang)
    plain = build(aimc, tmp_path, endpoint(adapters=""), CACHE + POOL_GATEWAY)
    assert "lora-affinity-scorer" not in str([o for o in plain if o["kind"] == "ConfigMap"])


@needs_crds
def test_the_golden_adapter_case_validates_against_the_crds(aimc):
    from conftest import REPO

    result = aimc("build", "inputs", cwd=REPO / "tests" / "cases" / "adapters-vllm-sglang")
    assert result.code == 0, result.err
    checked = 0
    for obj in (d for d in yaml.safe_load_all(result.out) if d):
        if obj["kind"] in crd_fixtures.CRD_FILES and crd_fixtures.available(obj["kind"]):
            crd_fixtures.validate(obj)
            assert not crd_cel.evaluate(obj).failures
            checked += 1
    assert checked >= 3  # the model's route, the adapters' route, the pools


# -- memory fit ---------------------------------------------------------------------------------------------------

def test_the_fit_counts_the_slots_the_flags_reserve(aimc, tmp_path):
    result = run(aimc, tmp_path, endpoint(), command="explain")
    assert result.code == 0, result.err
    # Qwen3-32B, TP 2, rank 64: per layer q,k,v A 3×5120 + B (8192+2×1024)/2, o A 8192/2 + B 5120, gate/up A 2×5120
    # + B 2×25600/2, down A 25600/2 + B 5120 = 83,456 values × 64 layers × rank 64 × 2 bytes = 0.637 GiB a slot.
    assert "LoRA slots 1.27 GiB (2 slots × rank 64, attention and MLP projections)" in result.out  # vLLM
    assert "LoRA slots 1.91 GiB (3 slots × rank 64, attention and MLP projections)" in result.out  # SGLang


def test_slots_that_do_not_fit_reject_the_configuration(aimc, tmp_path):
    adapters = "  adapters:\n" + "".join(
        f"    - {{name: a{i}, source: 'hf://acme/a{i}', rank: 512}}\n" for i in range(8))
    text = endpoint(adapters=adapters, engines="", extra="  customArgs: {--max-loras: 16}\n").replace(
        "gpuCount: 2", "gpuCount: 1")
    result = run(aimc, tmp_path, text)
    assert result.code == 1
    assert "LoRA slots 128.00 GiB (16 slots × rank 512, attention and MLP projections)" in result.err, result.err
    assert run(aimc, tmp_path, text.replace("rank: 512", "rank: 8")).code == 0


def test_without_ranks_sglang_slots_are_not_counted_and_said_so(aimc, tmp_path):
    adapters = "  adapters: [{name: a, source: 'hf://acme/a'}]\n"
    result = run(aimc, tmp_path, endpoint(adapters=adapters, engines="  servingEngine: sglang\n"), command="explain")
    assert "LoRA slots 0.00 GiB (2 slots, not counted: the adapters' ranks are not all given)" in result.out
    assert "warning: spec.adapters[0]: adapter 'a' gives no rank: SGLang 0.5.16 reads it from the adapters at " \
           "start, but the memory fit cannot count the LoRA slots" in result.out


def test_a_model_without_mlp_facts_counts_attention_only_and_says_so(aimc, tmp_path):
    model = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {name: q}\nspec: {id: Qwen/Qwen3-32B,"
             " parametersB: 32.8, layers: 64, hiddenSize: 5120, attentionHeads: 64, kvHeads: 8, headDim: 128, "
             "maxContextLength: 40960}\n---\n")
    result = run(aimc, tmp_path, model + endpoint(engines=""), command="explain")
    assert ("LoRA slots 0.45 GiB (2 slots × rank 64, attention projections only, MLP not counted: no "
            "intermediateSize in the facts of Qwen/Qwen3-32B)") in result.out, result.out


# -- explain and plan ---------------------------------------------------------------------------------------------

def test_explain_shows_each_adapter_and_how_clients_address_it(aimc, tmp_path):
    out = run(aimc, tmp_path, endpoint(engines=""), command="explain").out
    assert "adapters: 2, 2 at once on the GPU (--max-loras), slots of rank 64 (--max-lora-rank)" in out
    assert ("adapter support-bot: hf://acme/qwen3-32b-support-lora@v2, rank 64, about 1024 MiB of 16-bit weights; "
            f"downloaded once into the model cache by the fetch-adapters init container at "
            f"{PATH}/qwen3-32b-support-lora/v2") in out
    assert ("clients: no gateway routes the adapters; send requests to the Service qwen-tuned.llm:8000 with "
            "\"model\": one of sql-assistant, support-bot") in out
    routed = run(aimc, tmp_path, endpoint(engines=""), cluster=CACHE + POOL_GATEWAY, command="explain").out
    assert ("clients: send \"model\": the adapter's name through gateway 'gateway-system/gw'; HTTPRoute "
            "'qwen-tuned-adapters' (2 names in 1 rules) matches it in the X-Gateway-Model-Name header") in routed


def test_plan_lists_the_adapters_as_text_and_json(aimc, tmp_path):
    import json

    text = run(aimc, tmp_path, endpoint(), command="plan").out
    assert "ADAPTER        ENDPOINT    ENGINES      RANK  SOURCE" in text
    assert "support-bot    qwen-tuned  vllm,sglang  64    hf://acme/qwen3-32b-support-lora@v2" in text
    result = aimc("plan", str(tmp_path), "--format", "json")
    assert json.loads(result.out)["adapters"][0] == {
        "adapter": "sql-assistant", "endpoint": "qwen-tuned", "namespace": "llm", "engines": ["vllm", "sglang"],
        "rank": 16, "source": "hf://acme/qwen3-32b-sql-lora", "path": f"{PATH}/qwen3-32b-sql-lora/main"}
    plain = run(aimc, tmp_path, endpoint(adapters=""), command="plan").out
    assert "ADAPTER" not in plain


def test_an_endpoint_alone_with_its_adapters_takes_their_requests_whatever_its_model_weight(aimc, tmp_path):
    """A canary (or a blue/green endpoint at weight 0) shares its base model's route, not its own adapters'."""
    objects = build(aimc, tmp_path, endpoint(engines="", extra="  traffic: {weight: 0}\n"), CACHE + POOL_GATEWAY)
    rule = routes(objects)["qwen-tuned-adapters"]["spec"]["rules"][0]
    assert [ref["weight"] for ref in rule["backendRefs"]] == [100]


# -- the property generators ---------------------------------------------------------------------------------------

def test_the_property_generators_draw_adapters_that_render():
    """tests/test_pipeline_properties.py's repositories (which the differential properties of
    tests/test_pipeline_differential.py run on: alone vs together, order, diff) hold endpoints with adapters, and
    those render with their flags."""
    from hypothesis import HealthCheck, given, settings
    from test_pipeline_properties import repository, to_yaml

    from aimc.errors import UserError
    from aimc.pipeline import Options, compile

    seen = {"with": 0, "rendered": 0}

    # 200 examples (120 until issue 27's RDMA pools let more endpoints be disaggregated, without adapters), ~30-50 with
    # adapters: hypothesis draws neighbours of one example, so a sample of 40 (~18 with
    # adapters) swung between 78 % and 95 % with the order the test files ran in (about 95 % in a 300-example run).
    @settings(max_examples=200, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(repository())
    def draw(documents):
        if not any(d.get("kind") == "AIMEndpoint" and "adapters" in d["spec"] for d in documents):
            return
        seen["with"] += 1
        try:
            objects = compile(Options(paths=("-",), stdin_text=to_yaml(documents))).objects
        except UserError:
            return
        seen["rendered"] += 1
        assert any("--enable-lora" in str(o.obj) for o in objects)

    draw()
    assert seen["with"] >= 30 and seen["rendered"] >= 0.8 * seen["with"], seen


def test_hostile_adapter_text_is_refused_at_its_line_or_reaches_the_output_as_itself(aimc, tmp_path):
    """Any text as an adapter's name or source: refused with the file, line and field, or (when it is a valid name)
    printed as exactly that value in the route's match and the engine's argument, never adding a line or a
    document."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from test_printing_properties import hostile_text, yaml_json

    @settings(max_examples=30, derandomize=True, database=None, deadline=None)
    @given(name=st.one_of(hostile_text, st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,20}[A-Za-z0-9]\Z")),
           source=st.one_of(hostile_text.map(lambda t: "hf://acme/" + t), st.just("hf://acme/x")))
    def check(name, source):
        entry = yaml_json({"name": name, "source": source})
        result = run(aimc, tmp_path, endpoint(adapters=f"  adapters:\n    - {entry}\n", engines=""),
                     CACHE + SERVICE_GATEWAY)
        if result.code == 1:
            assert "endpoints.yaml:9: spec.adapters[0]" in result.err, result.err
            assert result.out == ""
            return
        assert result.code == 0, result.err
        objects = [d for d in yaml.safe_load_all(result.out) if d]
        route = routes(objects)["qwen-tuned-adapters"]
        assert [m["headers"][0]["value"] for m in route["spec"]["rules"][0]["matches"]] == [name]
        args = args_of(objects, "qwen-tuned-vllm")
        assert after(args, "--lora-modules")[0].startswith(f"{name}=")

    check()


def test_the_model_cache_claim_has_room_for_the_adapters_downloaded_into_it(aimc, tmp_path):
    """Qwen3-32B bf16 alone: 80Gi (its weights × 1.2). 70 adapters of rank 16 at 256 MiB each (64 layers × 16 ×
    131,072 values of their projections × 2 bytes) add 17.5 GiB: 100Gi."""
    def claim(objects):
        (found,) = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
        return found["spec"]["resources"]["requests"]["storage"]

    assert claim(build(aimc, tmp_path, endpoint(adapters="", engines=""))) == "80Gi"
    assert claim(build(aimc, tmp_path, endpoint(adapters=many(70), engines=""))) == "100Gi"
    cached = "  adapters:\n" + "".join(
        f"    - {{name: t{i}, source: 'cache://adapters/t{i}', rank: 16}}\n" for i in range(70))
    assert claim(build(aimc, tmp_path, endpoint(adapters=cached, engines=""))) == "80Gi"  # already on the cache


# -- architectures an engine version cannot serve LoRA on ---------------------------------------------------------

OLD_VLLM = '  image: {image: "rocm/vllm:rocm6.4.1_vllm_0.10.2_20250915", engineVersion: "0.10.2"}\n'
OSS_ADAPTER = "  adapters:\n    - {name: oss-sql, source: 'hf://acme/oss-sql-lora', rank: 16}\n"


def oss(name: str, extra: str) -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\nspec:\n"
            f"  model: openai/gpt-oss-120b\n  gpuCount: 1\n{extra}{OSS_ADAPTER}---\n")


def test_an_architecture_whose_vllm_class_lacks_supports_lora_is_an_error_at_spec_adapters(aimc, tmp_path):
    """gpt-oss on vLLM 0.10.2: GptOssForCausalLM does not implement SupportsLoRA there, vLLM refuses to start."""
    result = run(aimc, tmp_path, oss("oss", OLD_VLLM))
    assert result.code == 1
    assert ("endpoints.yaml:8: spec.adapters: vLLM 0.10.2 cannot serve LoRA adapters on GptOssForCausalLM (the "
            "architecture of openai/gpt-oss-120b)") in result.err, result.err
    assert "vllm/model_executor/models/gpt_oss.py:616" in result.err
    assert "use an image of vLLM 0.11.1 or later" in result.err


def test_the_same_architecture_on_a_vllm_release_with_supports_lora_serves_the_adapters(aimc, tmp_path):
    newer = OLD_VLLM.replace("0.10.2_20250915", "0.11.1_20251103").replace('"0.10.2"', '"0.11.1"')
    for extra in ("", newer):
        objects = build(aimc, tmp_path, oss("oss", extra))
        assert "--enable-lora" in args_of(objects, "oss-vllm")


def test_every_recorded_lora_exclusion_names_a_catalog_architecture_and_a_vllm_flag_set():
    from aimc.catalog import model_facts, runtime
    from aimc.resolve import lora_architectures

    architectures = {m.architecture for m in model_facts.builtin_models()}
    versions = runtime.runtime().engine("vllm").flag_set_versions
    for version, architecture in lora_architectures.VLLM_WITHOUT_LORA:
        assert architecture in architectures and version in versions
        assert lora_architectures.VLLM_FIRST_WITH_LORA[architecture] in versions


def test_llama4_on_vllm_0_10_2_is_refused_and_not_on_0_11_1():
    from types import SimpleNamespace

    from aimc.catalog import model_facts
    from aimc.model.adapters import Adapter
    from aimc.resolve import lora_architectures

    maverick = model_facts.builtin_catalog().lookup("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    assert maverick is not None and maverick.architecture == "Llama4ForConditionalGeneration"

    class Origin:
        file = "endpoints.yaml"

        @staticmethod
        def line_of(*path):
            return 7 if path == ("spec", "adapters") else 1

    endpoint = SimpleNamespace(adapters=(Adapter("a", "hf://acme/a", 16, 0),), origin=Origin())
    [problem] = lora_architectures.problems(endpoint, "vllm", "0.10.2", maverick)
    assert (problem.line, problem.field) == (7, "spec.adapters")
    assert "vllm/model_executor/models/mllama4.py:713" in problem.message
    assert lora_architectures.problems(endpoint, "vllm", "0.11.1", maverick) == []
    # SGLang serves it; only adapters of the MLP fail there (a warning: aimc does not read their target modules)
    assert [p.severity for p in lora_architectures.problems(endpoint, "sglang", "0.5.16", maverick)] == ["warning"]
