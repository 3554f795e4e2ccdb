"""aimc schema: print or export the JSON Schemas of the input kinds."""

from __future__ import annotations

import click

from aimc.errors import EXIT_OK


@click.command()
@click.argument("kind", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the schemas, their $id and the editor modeline.")
@click.option("--output-dir", "-o", type=click.Path(file_okay=False),
              help="Write the schema files (all, or KIND) into this folder, e.g. for editor settings.")
def schema(kind, list_only, output_dir):
    """Print the JSON Schema of KIND (AIMEndpoint, ClusterInventory, AIMModel, recipe, profile)."""
    from aimc.reports import schemas as schema_cmd

    if output_dir:
        chosen = [schema_cmd.find(kind)] if kind else schema_cmd.available()
        for path in schema_cmd.export(output_dir, chosen):
            click.echo(path)
    elif kind and not list_only:
        click.echo(schema_cmd.text_of(schema_cmd.find(kind).file), nl=False)
    else:
        click.echo(schema_cmd.list_text(), nl=False)
    return EXIT_OK
