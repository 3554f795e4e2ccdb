"""Recipe generation (issue 15): configurations from model facts, checked like written recipes."""

from __future__ import annotations

import pytest

from aimc.catalog import model_facts as facts
from aimc.model.inputs import Catalog
from aimc.resolve import fit, generate, generated, recipe_checks
from aimc.validate.recipes import builtin_catalog

MI300X = generate.Target("MI300X", 192.0, "gfx942")
MI250 = generate.Target("MI250", 64.0, "gfx90a")
MI355X = generate.Target("MI355X", 288.0, "gfx950")


def _model(model_id):
    return facts.builtin_catalog().lookup(model_id)


def test_generation_agrees_with_every_written_recipe():
    """For every built-in recipe, generation proposes a feasible configuration for each enabled hardware x GPU count
    (same engine and precision), the multi-node ones (16_gpu, 32_gpu on MI250) as groups of 8-GPU nodes; and where a
    recipe needs a group, generation itself proposes its smallest one."""
    missing, groups_checked = [], 0
    for recipe in builtin_catalog().recipes:
        model = _model(recipe.model_id)
        known = facts.gpu(recipe.hardware)
        target = generate.Target(known.name, known.memory_gib, known.arch)
        for config in (c for c in recipe.configs if c.enabled):
            outcome = generate.configure(model, target, recipe.precision, config.engine, config.gpu_count)
            if not isinstance(outcome, generate.Proposal):
                missing.append((recipe.id, config.engine, config.gpu_count, outcome.why))
            elif config.gpu_count > target.gpus_per_node:
                assert outcome.plan.tp * outcome.plan.pp == config.gpu_count
                groups_checked += 1
        multi = sorted(c.gpu_count for c in recipe.configs if c.enabled and c.gpu_count > target.gpus_per_node)
        if multi:
            (generated_recipe,) = generate.generate(model, (target,), ("vllm", "sglang"), (recipe.precision,)).recipes
            assert {p.gpus for p in generated_recipe.proposals} == {multi[0]}, recipe.id
    assert missing == []
    assert groups_checked == 4  # llama-405b vllm 16, 32; qwen3-235b vllm 16, sglang 16


@pytest.mark.parametrize("target", [MI250, MI300X, generate.Target("MI325X", 256.0, "gfx942"), MI355X],
                         ids=lambda t: t.hardware)
def test_every_generated_configuration_passes_the_flag_env_and_fit_checks(target):
    checked = 0
    for model in facts.builtin_models():
        generation = generate.generate(model, (target,), ("vllm", "sglang"))
        for recipe in map(generated.to_recipe, generation.recipes):
            assert [d.format() for d in recipe_checks.check_recipe(recipe)] == []
            assert fit.recipe_fit_problems(recipe, facts.builtin_catalog()) == []
            checked += len(recipe.configs)
    assert checked > 0


def test_max_len_is_the_longest_that_fits_when_the_model_context_does_not():
    model = _model("meta-llama/Llama-3.3-70B-Instruct")
    proposal = generate.configure(model, MI300X, "bf16", "vllm", 1)
    assert proposal.reduced and proposal.max_len < model.max_context and proposal.max_len % 1024 == 0
    assert proposal.fit.fits
    longer = fit.compute(model, "bf16", 1, 192.0, fit.Settings(0.9, proposal.max_len + 1024, None))
    assert not longer.fits
    assert ("--max-model-len", str(proposal.max_len)) in proposal.args


def test_max_num_seqs_is_the_sequences_the_kv_cache_left_holds():
    model = _model("Qwen/Qwen3-32B")
    proposal = generate.configure(model, MI300X, "bf16", "vllm", 1)
    # 192 x 0.90 = 172.8 GiB budget - 61.09 x 1.02 weights - 2.3 runtime = 108.18 GiB left; 10 GiB per sequence of
    # the model's 40960 tokens -> 10. On 8 GPUs: 162.71 GiB left, 1.25 GiB per sequence -> 130.
    assert proposal.max_num_seqs == 10 and ("--max-num-seqs", "10") in proposal.args
    assert generate.configure(model, MI300X, "bf16", "vllm", 8).max_num_seqs == 130


def test_parsers_come_from_the_architecture_table():
    args = dict(generate.configure(_model("Qwen/Qwen3-32B"), MI300X, "bf16", "vllm", 1).args)
    assert args["--tool-call-parser"] == "hermes" and args["--reasoning-parser"] == "qwen3"
    assert "--enable-auto-tool-choice" in args
    sglang = dict(generate.configure(_model("Qwen/Qwen3-32B"), MI300X, "bf16", "sglang", 1).args)
    assert sglang["--tool-call-parser"] == "qwen25" and "--enable-auto-tool-choice" not in sglang
    deepseek = dict(generate.configure(_model("deepseek-ai/DeepSeek-R1"), MI355X, "fp8", "vllm", 8).args)
    assert "--reasoning-parser" not in deepseek  # V3 shares the architecture and does not reason


def test_precisions_follow_the_checkpoint_and_the_hardware():
    assert generate.precisions(_model("Qwen/Qwen3-32B"), "gfx90a") == ("bf16", "fp16")
    assert generate.precisions(_model("Qwen/Qwen3-32B"), "gfx942") == ("bf16", "fp16", "fp8")
    assert generate.precisions(_model("deepseek-ai/DeepSeek-R1"), "gfx90a") == ()
    assert generate.precisions(_model("openai/gpt-oss-120b"), "gfx950") == ("fp4",)
    fp8 = dict(generate.configure(_model("Qwen/Qwen3-32B"), MI300X, "fp8", "vllm", 1).args)
    assert fp8["--quantization"] == "fp8" and "--dtype" not in fp8


def test_a_model_that_fits_no_single_node_gets_the_smallest_group_of_whole_nodes():
    generation = generate.generate(_model("meta-llama/Llama-3.1-405B-Instruct"), (MI250,), ("vllm", "sglang"),
                                   ("bf16",))
    assert generation.shortfalls == ()
    (recipe,) = generation.recipes
    assert [(p.engine, p.gpus, p.plan.nodes, p.plan.tp, p.plan.pp) for p in recipe.proposals] == \
        [("vllm", 16, 2, 8, 2), ("sglang", 16, 2, 8, 2)]
    for proposal in recipe.proposals:  # as the built-in multi-node recipes: the plan is aimc's, the args set neither
        assert not {"--tensor-parallel-size", "--pipeline-parallel-size", "--pp-size"} & dict(proposal.args).keys()
        assert proposal.fit.fits and proposal.fit.kv_split == 16  # per GPU of the group: PP 2 x min(TP 8, 8 KV heads)
    assert [r.gpus for r in recipe.refusals] == [1, 2, 4, 8, 1, 2, 4, 8]


def test_nodes_of_fewer_gpus_make_larger_groups():
    four = generate.Target("MI250", 64.0, "gfx90a", gpus_per_node=4)
    (recipe,) = generate.generate(_model("meta-llama/Llama-3.1-405B-Instruct"), (four,), ("vllm",), ("bf16",)).recipes
    (proposal,) = recipe.proposals
    assert (proposal.gpus, proposal.plan.nodes, proposal.plan.tp, proposal.plan.pp) == (16, 4, 4, 4)


def test_a_model_that_fits_no_group_of_up_to_8_nodes_reports_the_smallest_requirement():
    one = generate.Target("MI250", 64.0, "gfx90a", gpus_per_node=1)  # 8 nodes hold 8 GCDs: too few for 405B
    generation = generate.generate(_model("meta-llama/Llama-3.1-405B-Instruct"), (one,), ("vllm",), ("bf16",))
    assert generation.recipes == ()
    (shortfall,) = generation.shortfalls
    assert shortfall.needed_gpus == 16 and shortfall.fit.fits


def test_generation_is_deterministic():
    model = _model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert generate.generate(model, (MI300X, MI355X), ("vllm", "sglang")) == \
        generate.generate(model, (MI300X, MI355X), ("vllm", "sglang"))


def test_no_generation_for_a_model_with_a_written_recipe():
    from aimc.model.inputs import (
        AutoScaling,
        Endpoint,
        EngineRequest,
        Inputs,
        Inventory,
        NodePool,
        Origin,
    )

    origin = Origin("e.yaml", "e.yaml", 1)
    pool = NodePool("p", "MI300X", 8, 1, "amd.com/gpu", (), (), None, 0, origin)
    inventory = Inventory("i", (pool,), None, (), origin)

    def endpoint(model):
        return Endpoint("e", None, (), (), model, None, None, None, (EngineRequest("vllm"),), False, None, None, 1,
                        AutoScaling(), (), (), None, (), origin)

    written = Inputs((endpoint("Qwen/Qwen3-32B"),), inventory, builtin_catalog(), (), facts.builtin_catalog())
    assert generated.with_generated(written, facts.builtin_catalog()) is written
    unwritten = Inputs((endpoint("meta-llama/Llama-3.2-1B-Instruct"),), inventory, Catalog(()), (),
                       facts.builtin_catalog())
    recipes = generated.with_generated(unwritten, facts.builtin_catalog()).catalog.recipes
    assert recipes and all(r.generated and r.profile_type == "unoptimized" for r in recipes)


def test_the_catalog_covers_mi325x_and_mi355x_for_every_model_served_on_mi300x():
    recipes = [r for r in builtin_catalog().recipes if r.format == "recipe"]
    served = {(r.model_id, r.precision) for r in recipes if r.hardware == "MI300X"}
    for hardware in ("MI325X", "MI355X"):
        covered = {(r.model_id, r.precision) for r in recipes if r.hardware == hardware}
        assert covered == served, hardware
        assert all(r.profile_type == "unoptimized" for r in recipes if r.hardware == hardware)
    assert facts.hardware()["MI325X"] and _product_names() == {"MI325X": "AMD_Instinct_MI325_OAM",
                                                              "MI355X": "AMD_Instinct_MI355_OAM",
                                                              "MI300X": "AMD_Instinct_MI300X_OAM"}


def _product_names():
    from aimc.catalog.files import read_yaml

    return {g["name"]: g["productName"] for g in read_yaml("hardware.yaml")["gpus"] if "productName" in g}


def test_unoptimized_written_recipes_rank_after_optimized_ones():
    from aimc.resolve.candidates import TYPE_PREFERENCE

    assert TYPE_PREFERENCE.index("unoptimized") > TYPE_PREFERENCE.index("optimized")
    by_id = builtin_catalog().by_id()
    assert by_id["qwen3-32b-mi325x-bf16"].profile_type == "unoptimized"
    assert by_id["qwen3-32b-mi300x-bf16"].profile_type is None
