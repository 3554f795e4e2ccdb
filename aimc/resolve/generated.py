"""Build time: an endpoint whose model has facts but no written recipe or profile is served by configurations
generated from those facts (`resolve.generate`), ranked after every written recipe and profile, AMD's general
profiles included (`candidates._rank` puts `Recipe.generated` first). Each use is a warning naming the command that
writes the configuration down; `--strict` makes it an error, so CI never ships an unreviewed configuration.
"""

from __future__ import annotations

from aimc.catalog import model_facts as facts_mod
from aimc.catalog.model_facts import ModelCatalog, ModelFacts
from aimc.errors import Diagnostic
from aimc.model.inputs import Inputs, Inventory, Recipe, RecipeConfig
from aimc.model.origin import Origin
from aimc.records import replace
from aimc.resolve import fit

GENERATED = Origin("<generated>", "<generated>", 0)


def with_generated(inputs: Inputs, models: ModelCatalog) -> Inputs:
    """The inputs with generated recipes added for every endpoint model that has facts and no recipe or profile."""
    if inputs.inventory is None:
        return inputs
    written = {r.model_id.lower() for r in inputs.catalog.recipes if not r.general}
    wanted: dict[str, tuple[str, ModelFacts]] = {}
    for endpoint in inputs.endpoints:
        model = endpoint.model
        pinned = names_a_recipe(endpoint)
        if pinned or model.lower() in written or model.lower() in wanted:
            continue
        known = models.lookup(model)
        if known is not None:
            wanted[model.lower()] = (model, known)
    if not wanted:
        return inputs
    from aimc.resolve import generate  # only builds that need it pay for it

    targets = inventory_targets(inputs.inventory)
    extra = []
    for key in sorted(wanted):
        model_id, known = wanted[key]
        generation = generate.generate(known, targets, ("vllm", "sglang"), model_id=model_id)
        extra += [to_recipe(recipe) for recipe in generation.recipes]
    return replace(inputs, catalog=replace(inputs.catalog, recipes=inputs.catalog.recipes + tuple(extra)))


def names_a_recipe(endpoint) -> bool:
    """The endpoint names its recipe: spec.recipe, an engine's, or a disaggregated role's (a role resolves like an
    endpoint of its own). A named recipe is a written one: without this, a role naming the id aimc generates for its
    model was served by the generated configuration, where the same id in spec.recipe is an unknown recipe."""
    roles = endpoint.disaggregation.roles if endpoint.disaggregation is not None else ()
    return bool(endpoint.recipe) or any(request.recipe for request in (*endpoint.engines, *roles))


def inventory_targets(inventory: Inventory) -> tuple:
    """One target per hardware of the inventory (in pool order), with its largest node and memory per GPU."""
    from aimc.resolve.generate import Target

    out: dict[str, Target] = {}
    for pool in inventory.pools:
        known = facts_mod.gpu(pool.hardware)
        memory = fit.pool_memory(pool)
        if known is None or memory is None:
            continue  # not in the hardware catalog: fit cannot be checked, so nothing is generated for it
        name = known.name
        largest = max(pool.gpus_per_node, out[name].gpus_per_node if name in out else 0)
        out[name] = Target(name, min(memory, out[name].memory_gib) if name in out else memory, known.arch, largest)
    return tuple(out.values())


def to_recipe(generated) -> Recipe:
    """A `resolve.generate.GeneratedRecipe` as the typed recipe selection ranks."""
    configs = tuple(RecipeConfig(p.engine, p.gpus, True, p.args, (), (f"{p.engine}_serve", f"{p.gpus}_gpu"))
                    for p in generated.proposals)
    return Recipe(id=generated.id, model_id=generated.model_id,
                  huggingface_id=generated.huggingface_id or generated.model_id,
                  hardware=generated.hardware, precision=generated.precision, configs=configs, env=generated.env,
                  origin=GENERATED, builtin=True, profile_type="unoptimized", generated=True)


def warnings(endpoints, models: ModelCatalog) -> list[Diagnostic]:
    """One warning per endpoint served by a generated configuration, naming the command that writes it down."""
    out = []
    for resolved in endpoints:
        used = [engine for engine in resolved.engines if engine.recipe.generated]
        if not used:
            continue
        endpoint = resolved.endpoint
        recipe = used[0].recipe
        facts = models.lookup(endpoint.model)
        assert facts is not None  # a recipe is generated from the model's facts
        source = facts.source
        where = f" {source.rsplit(':', 1)[0]}" if source != "built-in" else ""
        engines = "".join(f" --engine {name}" for name in dict.fromkeys(e.engine for e in used))  # roles: one engine
        command = (f"aimc recipes generate {endpoint.model} --hardware {recipe.hardware} --precision "
                   f"{recipe.precision}{engines}{where} > recipes/{recipe.id}.yaml")
        served = ", ".join(f"{e.role + ' ' if e.role else ''}{e.engine} {e.config.key} on pool {e.pool.name}"
                           for e in used)
        out.append(Diagnostic(endpoint.origin.file, endpoint.origin.line_of("spec", "model"), "spec.model",
                              f"no recipe or profile serves '{endpoint.model}': serving the generated, unoptimized "
                              f"configuration {recipe.id} ({served}); review it and write it down with "
                              f"`{command}`", "warning"))
    return out
