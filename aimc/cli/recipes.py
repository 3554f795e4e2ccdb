"""aimc recipes: list, show and validate recipes."""

from __future__ import annotations

import click

from aimc.cli.common import (print_warnings)
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
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text")
def recipes_list(model, hardware, recipe_dirs, output_format):
    """List the built-in (and repository-local) recipes."""
    from aimc.reports import recipes as recipes_cmd

    click.echo(recipes_cmd.list_recipes(model, hardware, recipe_dirs, output_format), nl=False)
    return EXIT_OK


@recipes.command("show")
@click.argument("recipe_id")
@click.option("--recipes", "-r", "recipe_dirs", multiple=True, type=click.Path(file_okay=False))
def recipes_show(recipe_id, recipe_dirs):
    """Print one recipe."""
    from aimc.reports import recipes as recipes_cmd

    click.echo(recipes_cmd.show_recipe(recipe_id, recipe_dirs), nl=False)
    return EXIT_OK


@recipes.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
def recipes_validate(files, strict):
    """Validate recipe or AIM profile files: schema, ids, tensor parallelism, engine flags."""
    from aimc.reports import recipes as recipes_cmd

    count, warnings = recipes_cmd.validate_files(files, strict)
    print_warnings(warnings)
    click.echo(f"aimc: {count} recipe{'s' if count != 1 else ''}: valid", err=True)
    return EXIT_OK
