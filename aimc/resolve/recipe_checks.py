"""Checks of a recipe on its own, independent of any endpoint (used by `aimc recipes validate`)."""

from __future__ import annotations

from functools import partial

from aimc.errors import Diagnostic
from aimc.model.inputs import Recipe, RecipeConfig
from aimc.resolve import engine_args, env_checks, groups, images, precision


def check_recipe(recipe: Recipe) -> list[Diagnostic]:
    """Every flag of every configuration against the engine's flag set (as `build` would emit it), the
    tensor-parallel size against the GPU count, the precision and the environment against the recipe's hardware.
    Flags are checked against the engine version of aimc's default image for that hardware."""
    from aimc.catalog import runtime as rt

    out: list[Diagnostic] = precision.recipe_problems(recipe)
    catalog = rt.runtime()
    if recipe.format != "profile":
        out.extend(env_checks.check_env(recipe, ("env",), recipe.env, recipe.hardware))
    out.extend(groups.recipe_problems(recipe))  # TP × PP against N, for configurations that set PP
    for config in recipe.configs:
        default = catalog.default_image(config.engine, images.architecture(recipe.hardware))
        versions = catalog.engine(config.engine).flag_set_versions
        version = rt.nearest_version(versions, default.version) if default else None
        # A configuration that sets PP checks its TP against N / PP (a multi-node group's plan, resolve/groups.py).
        command = engine_args.build_command(
            config.engine, groups.without_pp(config), groups.recipe_tp(config),
            recipe.huggingface_id or recipe.model_id, recipe.model_id, (), (),
            partial(_arg_place, recipe, config), version=version)
        out.extend(command.diagnostics)
        path = ("env_vars",) if recipe.format == "profile" else (*config.path, "env")
        out.extend(env_checks.check_env(recipe, path, config.env, recipe.hardware))
    return out


def check_fit(recipe: Recipe, models=None) -> list[Diagnostic]:
    """Enabled configurations that cannot run on the recipe's own hardware (memory, attention heads), whatever the
    endpoint: the published recipes enable some (Llama-3.1-405B FP8 on one MI300X)."""
    from aimc.catalog import model_facts as facts
    from aimc.resolve import fit

    models = models or facts.builtin_catalog()
    origin = recipe.origin
    return [Diagnostic(origin.file, origin.line_of(*config.path), ".".join(map(str, config.path)),
                       f"enabled, but {problem}; disable it or give it more GPUs")
            for config, problem in fit.recipe_fit_problems(recipe, models)]


def _arg_place(recipe: Recipe, config: RecipeConfig, source, flag: str) -> tuple[str, int, str]:
    """`build_command`'s `where` for a recipe's own arguments: every one is the recipe's."""
    return recipe.arg_place(config, flag)
