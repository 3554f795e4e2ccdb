"""The built-in recipe catalog: parsed per file, only for the models and recipe ids a build names."""

from __future__ import annotations

from conftest import REPO

from aimc.errors import Collector
from aimc.model.inputs import Catalog
from aimc.validate import recipes as parse


def test_every_built_in_file_names_its_model_and_recipe_ids_in_its_text():
    # builtin_catalog(wanted) skips a file whose text does not contain a wanted name: sound only if every recipe's
    # model_id and id appear, as written, in its own file.
    by_file = {}
    for recipe in parse.builtin_catalog().recipes:
        by_file.setdefault(recipe.origin.source, []).append(recipe)
    assert len(by_file) == len(list((REPO / "recipes").glob("*.yaml")))
    for source, recipes in by_file.items():
        text = (REPO / "recipes" / source).read_text(encoding="utf-8").lower()
        for recipe in recipes:
            assert recipe.model_id and recipe.model_id.lower() in text, source
            assert recipe.id.lower() in text, source


def test_a_partial_catalog_holds_exactly_the_recipes_of_the_wanted_models_and_ids():
    full = parse.builtin_catalog()
    wanted = frozenset({"qwen/qwen3-32b", "llama-3-1-405b-instruct-mi250-bf16"})
    partial = parse.builtin_catalog(wanted)
    expected = [r for r in full.recipes if r.model_id.lower() in wanted or r.id in wanted]
    assert partial.recipes == tuple(expected)
    assert {r.model_id for r in partial.recipes} == {"Qwen/Qwen3-32B", "meta-llama/Llama-3.1-405B-Instruct"}
    assert not partial.complete and full.complete
    assert parse.builtin_catalog(frozenset()).recipes == ()


def test_the_same_file_is_parsed_once_for_every_partial_catalog():
    first = parse.builtin_catalog(frozenset({"qwen/qwen3-32b"}))
    second = parse.builtin_catalog(frozenset({"qwen/qwen3-32b", "openai/gpt-oss-20b"}))
    shared = {r.id: r for r in second.recipes}
    assert all(shared[r.id] is r for r in first.recipes)


def test_completing_a_partial_catalog_keeps_its_local_and_generated_recipes():
    full = parse.builtin_catalog()
    partial = parse.builtin_catalog(frozenset({"qwen/qwen3-32b"}))
    local = _replace(full.by_id()["qwen3-32b-mi300x-bf16"], builtin=False)
    generated = _replace(full.by_id()["qwen3-32b-mi250-bf16"], id="zz-generated", generated=True)
    merged = parse.merge_catalog(partial, [local], Collector())
    assert not merged.complete
    merged = Catalog(merged.recipes + (generated,), complete=False)
    completed = parse.complete_catalog(merged)
    assert completed.complete
    assert [r.id for r in completed.recipes] == [r.id for r in full.recipes] + ["zz-generated"]
    assert completed.by_id()["qwen3-32b-mi300x-bf16"] is local
    assert parse.complete_catalog(full) is full


def test_an_unknown_model_counts_every_built_in_model_though_the_build_parsed_none(aimc, tmp_path):
    (tmp_path / "e.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata:\n  name: x\nspec:\n  model: acme/Unknown-7B\n"
        "  hardware: MI300X\n", encoding="utf-8")
    result = aimc("build", str(tmp_path / "e.yaml"), "--inventory", str(REPO / "examples" / "cluster.yaml"))
    assert result.code == 1
    known = sorted({r.model_id for r in parse.builtin_catalog().recipes})
    assert f"closest of the {len(known)} models in the catalog: " in result.err


def _replace(recipe, **changes):
    from aimc.records import replace

    return replace(recipe, **changes)
