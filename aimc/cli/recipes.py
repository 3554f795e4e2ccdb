"""aimc recipes: list, show and validate recipes."""

from __future__ import annotations

import click

from aimc.cli.common import print_warnings
from aimc.errors import EXIT_OK


def _readme_epilog() -> str:
    """Where the catalog's own documentation is, in this installation (a wheel carries recipes/ as aimc/_data)."""
    from aimc.catalog.files import data_dir

    folder = data_dir("recipes")
    # \b: click keeps the paragraph as written, so the paths are never broken across lines.
    return ("\b\nRecipe and AIMModel formats, every configuration and its memory arithmetic\n"
            f"(recipes/README.md of the source repository): {folder / 'README.md'}\n"
            f"Built-in catalog: {folder}\n"
            "A repository-local recipe file must be named <recipe_id>.yaml.")


@click.group(epilog=_readme_epilog())
def recipes():
    """List, show and validate recipes."""


@recipes.command("list")
@click.option("--model", help="Only recipes for this model (case-insensitive substring).")
@click.option("--hardware", help="Only recipes for this GPU (e.g. MI300X).")
@click.option("--recipes", "-r", "recipe_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Also list recipes from this folder (repeatable).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A text table or JSON.")
def recipes_list(model, hardware, recipe_dirs, output_format):
    """List the built-in (and repository-local) recipes."""
    from aimc.reports import recipes as recipes_cmd

    text, count = recipes_cmd.list_recipes(model, hardware, recipe_dirs, output_format)
    if count == 0 and output_format == "text":
        # An empty table reads like "there are no recipes": say which filter matched nothing.
        click.echo(recipes_cmd.no_match_message(model, hardware), err=True)
        return EXIT_OK
    click.echo(text, nl=False)
    return EXIT_OK


@recipes.command("show")
@click.argument("recipe_id")
@click.option("--recipes", "-r", "recipe_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Also look in this folder of recipes (repeatable).")
def recipes_show(recipe_id, recipe_dirs):
    """Print one recipe."""
    from aimc.reports import recipes as recipes_cmd

    click.echo(recipes_cmd.show_recipe(recipe_id, recipe_dirs), nl=False)
    return EXIT_OK


@recipes.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
def recipes_validate(files, strict):
    """Validate recipe or AIM profile files: schema, ids, tensor parallelism, engine flags, memory fit (with the
    facts of AIMModel files given along, or the built-in ones)."""
    from aimc.reports import recipes as recipes_cmd

    count, warnings = recipes_cmd.validate_files(files, strict)
    print_warnings(warnings)
    click.echo(f"aimc: {count} recipe{'s' if count != 1 else ''}: valid", err=True)
    return EXIT_OK


@recipes.command("generate")
@click.argument("model")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--hardware", "-H", multiple=True, help="GPU to generate for (repeatable; default: the inventory's).")
@click.option("--precision", "-p", multiple=True,
              type=click.Choice(["bf16", "fp16", "fp8", "int8", "int4", "fp4"]),
              help="Precision (repeatable; default: every one the checkpoint and the hardware support).")
@click.option("--engine", "-e", multiple=True, type=click.Choice(["vllm", "sglang"]),
              help="Engine (repeatable; default: vllm).")
@click.option("--inventory", "-i", type=click.Path(dir_okay=False), help="ClusterInventory file.")
@click.option("--model-config", type=click.Path(exists=True),
              help="A Hugging Face config.json (or checkpoint folder) with the model's facts.")
@click.option("--format", "-f", "output_format", type=click.Choice(["recipe", "profile"]), default="recipe",
              show_default=True, help="An AIM framework recipe (one file per hardware and precision) or AIM profiles.")
def recipes_generate(model, paths, hardware, precision, engine, inventory, model_config, output_format):
    """Generate a recipe for MODEL from its facts (built-in, AIMModel documents under PATHS, or --model-config):
    every hardware x precision x GPU count (1, 2, 4, 8) that passes the fit and flag checks, unoptimized."""
    from aimc.reports import generate_command

    request = generate_command.Request(model, tuple(paths), inventory, model_config, tuple(hardware),
                                       tuple(precision), tuple(engine) or ("vllm",), output_format)
    text, warnings = generate_command.run(request)
    print_warnings(warnings)
    click.echo(text, nl=False)
    return EXIT_OK
