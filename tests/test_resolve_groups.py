"""Multi-node groups: the TP × PP plan (resolve/groups.py), the group's memory fit (resolve/fit_groups.py), whole
nodes in the capacity plan, and what `explain` and `plan` show."""

from __future__ import annotations

import json
from pathlib import Path

from aimc.catalog import model_facts
from aimc.model.inputs import NodePool, Origin, Recipe, RecipeConfig
from aimc.model.plan import GroupPlan
from aimc.resolve import fit, fit_groups, groups

CASES = Path(__file__).parent / "cases"
ORIGIN = Origin("r.yaml", "r.yaml", 1)


def test_default_plan_is_tp_per_node_and_pp_across_nodes():
    plan = groups.plan_group(16, 8)
    assert plan == GroupPlan(16, 8, 2, 8, 2, False)
    assert plan.arithmetic() == "16 GPUs = 2 nodes × 8 GPUs; TP 8 × PP 2 = 16 (TP = GPUs per node, PP = nodes)"
    assert groups.plan_group(32, 8).pp == 4


def test_recipe_sizes_win_when_consistent():
    assert groups.plan_group(16, 8, tp=4, pp=4) == GroupPlan(16, 8, 2, 4, 4, True)
    assert groups.plan_group(16, 8, pp=4).tp == 4
    assert groups.plan_group(16, 8, tp=16) == GroupPlan(16, 8, 2, 16, 1, True)  # TP across the nodes


def test_inconsistent_sizes_are_problems_naming_the_flag():
    problem = groups.plan_group(16, 8, tp=8, pp=4)
    assert isinstance(problem, groups.GroupProblem) and problem.flag == "tp"
    assert "TP × PP must equal the GPU count" in problem.message
    assert groups.plan_group(16, 8, pp=3).flag == "pp"
    assert "set the pipeline-parallel size too" in groups.plan_group(16, 8, tp=8).message
    assert "not a whole number of 8-GPU nodes" in groups.plan_group(12, 8).message


def test_heads_and_layers_bound_the_plan():
    assert "does not divide the 12 attention heads" in groups.plan_group(16, 8, attention_heads=12).message
    assert "exceeds the 2 layers" in groups.plan_group(32, 8, layers=2).message
    assert isinstance(groups.plan_group(16, 8, attention_heads=128, layers=126), GroupPlan)


def _recipe(args) -> tuple[Recipe, RecipeConfig]:
    config = RecipeConfig("vllm", 16, True, tuple(args), (), ("vllm_serve", "16_gpu"))
    recipe = Recipe("r", "m/M", "m/M", "MI250", "bf16", (config,), (), ORIGIN, False)  # no positions: line 1
    return recipe, config


def test_plan_for_names_the_recipe_file_and_strips_pp_from_the_arguments():
    pool = NodePool("p", "MI250", 8, 2, "amd.com/gpu", (), (), None, 0, ORIGIN)
    recipe, config = _recipe((("--tensor-parallel-size", "8"), ("-pp", "4"), ("--max-model-len", "4096")))
    problem = groups.plan_for(recipe, config, pool)
    assert isinstance(problem, groups.GroupProblem) and "(r.yaml:1: " in problem.message
    recipe, config = _recipe((("--pipeline-parallel-size", "2"), ("--max-model-len", "4096")))
    assert groups.plan_for(recipe, config, pool) == GroupPlan(16, 8, 2, 8, 2, True)
    assert groups.without_pp(config) == (("--max-model-len", "4096"),)
    assert groups.recipe_tp(config) == 8


def test_group_fit_splits_weights_by_tp_pp_and_kv_per_stage():
    models = model_facts.builtin_catalog()
    llama = models.lookup("meta-llama/Llama-3.1-405B-Instruct")
    settings = fit.Settings(0.9, 32768, None)
    group = fit_groups.compute_group(llama, "bf16", groups.plan_group(16, 8), 64, settings)
    single = fit.compute(llama, "bf16", 8, 64, settings)
    assert abs(group.weights_gib * 2 - single.weights_gib) < 1e-9  # TP × PP = 16 ways
    assert group.kv_split == 2 * 8  # PP stages × min(TP, 8 KV heads)
    assert group.fits and not single.fits
    deepseek = models.lookup("deepseek-ai/DeepSeek-R1-0528")  # MLA: the latent is split by stages only
    assert fit_groups.compute_group(deepseek, "bf16", groups.plan_group(16, 8), 192, settings).kv_split == 2


def test_explain_shows_the_group_plan_and_its_arithmetic(aimc):
    result = aimc("explain", str(CASES / "multinode-vllm" / "inputs"))
    assert result.code == 0, result
    assert "  group: LeaderWorkerSet of 2 pods, each with a whole node's 8 GPUs (pool mi250)" in result.out
    assert "  parallelism: 16 GPUs = 2 nodes × 8 GPUs; TP 8 × PP 2 = 16 (TP = GPUs per node, PP = nodes)" in result.out
    assert "memory per GPU of the group: weights / (TP × PP = 16), KV cache per pipeline stage / 16" in result.out


def test_plan_counts_whole_nodes_per_group(aimc):
    result = aimc("plan", str(CASES / "plan-groups" / "inputs"), "--format", "json")
    assert result.code == 0, result
    report = json.loads(result.out)
    pool = report["nodePools"][0]
    llama = next(e for e in report["endpoints"] if e["endpoint"] == "llama-405b")
    assert (llama["gpusPerPod"], llama["podsPerReplica"], llama["maxGPUs"]) == (8, 2, 32)
    # 2 groups × 2 whole nodes, and qwen-32b's 2 × 4 GPUs on one more node.
    assert (pool["maxNodes"], pool["nodeCount"], pool["overcommitted"]) == (5, 5, False)
    text = aimc("plan", str(CASES / "plan-groups" / "inputs")).out
    assert text.splitlines()[0].split()[:4] == ["NODE", "POOL", "HARDWARE", "NODES"]


def test_recipes_validate_reports_tp_times_pp_at_the_flag(aimc):
    result = aimc("recipes", "validate", str(CASES / "error-multinode-inconsistent-recipe" / "inputs" / "recipes"))
    assert result.code == 1
    assert result.err.endswith("aimc: 1 error\n")
    assert "acme-big-mi250-bf16.yaml:10: vllm_serve.16_gpu.args.--tensor-parallel-size: tensor-parallel size 8 × " \
           "pipeline-parallel size 4 = 32" in result.err


def test_builtin_multi_node_recipes_need_more_than_one_node():
    """The catalog's group recipes are genuine: their one-node configuration does not fit, the group does."""
    from aimc.validate.recipes import builtin_catalog

    models = model_facts.builtin_catalog()
    found = 0
    for recipe in builtin_catalog().recipes:
        if recipe.id not in ("llama-3-1-405b-instruct-mi250-bf16", "qwen3-235b-a22b-mi250-bf16"):
            continue
        model = models.lookup(recipe.model_id)
        for config in recipe.configs:
            settings = fit.config_settings(config)
            if config.gpu_count == 8:
                assert not config.enabled and not fit.compute(model, "bf16", 8, 64, settings).fits
            else:
                found += 1
                plan = groups.plan_group(config.gpu_count, 8, attention_heads=model.attention_heads,
                                         layers=model.layers)
                assert config.enabled and fit_groups.compute_group(model, "bf16", plan, 64, settings).fits
    assert found == 4


def test_an_sglang_group_is_sized_by_sglang_accounting():
    """The group fit runs the engine's own arithmetic: SGLang's fraction and pool rules, not vLLM's."""
    from aimc import pipeline

    result = pipeline.compile(pipeline.Options(paths=(str(CASES / "multinode-sglang" / "inputs"),)))
    engines = [e for endpoint in result.resolution.endpoints for e in endpoint.engines]
    fits = [e.trace[0].fit for e in engines if e.group is not None and e.trace and e.trace[0].fit is not None]
    assert fits and {f.engine for f in fits} == {"sglang"}


# -- pipeline parallelism on one node ---------------------------------------------------------------------------
# Each engine starts one worker process per GPU, tensor × pipeline parallel of them, on the node's visible devices
# (vLLM vllm/v1/executor/multiproc_executor.py: world_size = TP × PP, local ranks <= the device count; SGLang
# srt/entrypoints/engine.py: one scheduler per tp_rank × pp_rank). A pod sees the GPUs it requests, no more.

PP_CLUSTER = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
              "spec:\n  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n")
PP_ENDPOINT = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
               "spec:\n  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  gpuCount: 4\n  recipe: qwen3-32b-pp\n")


def _pp_recipe(args: str) -> str:
    return ("recipe_id: qwen3-32b-pp\nmodel_id: Qwen/Qwen3-32B\nhuggingface_id: Qwen/Qwen3-32B\nhardware: MI300X\n"
            "precision: bf16\nvllm_serve:\n  \"4_gpu\":\n    enabled: true\n    args:\n      --max-model-len: '32768'\n"
            + args)


def _engine_args(out: str) -> list[str]:
    import yaml

    deployment = next(d for d in yaml.safe_load_all(out) if d and d.get("kind") == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return container["args"], container["resources"]["limits"]["amd.com/gpu"]


def test_a_recipe_pipeline_parallel_size_on_one_node_splits_the_pods_gpus(aimc, tmp_path):
    from conftest import write_tree

    write_tree(tmp_path, {"c.yaml": PP_CLUSTER, "e.yaml": PP_ENDPOINT,
                          "qwen3-32b-pp.yaml": _pp_recipe("      --pipeline-parallel-size: '2'\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result.err
    args, gpus = _engine_args(result.out)
    tp = int(args[args.index("--tensor-parallel-size") + 1])
    pp = int(args[args.index("--pipeline-parallel-size") + 1])
    assert (tp, pp, gpus) == (2, 2, "4")  # was TP 4 × PP 2 = 8 workers on 4 GPUs
    config = RecipeConfig("vllm", 4, True, (("--pipeline-parallel-size", "2"),), (), ("vllm_serve", "4_gpu"))
    recipe = Recipe("r", "m", "m", "MI300X", "bf16", (config,), (), ORIGIN, False)
    assert groups.node_tp(recipe, config) == 2


def test_tp_times_pp_other_than_the_pods_gpus_is_an_error_at_the_line_that_set_it(aimc, tmp_path):
    from conftest import write_tree

    write_tree(tmp_path, {"c.yaml": PP_CLUSTER, "e.yaml": PP_ENDPOINT, "qwen3-32b-pp.yaml": _pp_recipe(
        "      --pipeline-parallel-size: '2'\n      --tensor-parallel-size: '4'\n")})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == ""
    assert "tensor-parallel size 4 × pipeline-parallel size 2 = 8, but the configuration has 4 GPUs" in result.err
    assert f"({tmp_path}/qwen3-32b-pp.yaml:12: vllm_serve.4_gpu.args.--tensor-parallel-size)" in result.err
    # the recipe is fine, customArgs add a pipeline-parallel size: the error is at the customArgs line
    write_tree(tmp_path, {"qwen3-32b-pp.yaml": _pp_recipe(""),
                          "e.yaml": PP_ENDPOINT + "  customArgs:\n    --pipeline-parallel-size: '2'\n"})
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == ""
    assert (f"{tmp_path}/e.yaml:10: spec.customArgs.--pipeline-parallel-size: pipeline-parallel size 2 × "
            "tensor-parallel size 4 = 8 worker processes, one GPU each, but the pod has 4 GPUs") in result.err
