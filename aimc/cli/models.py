"""aimc models: model facts from a Hugging Face checkpoint."""

from __future__ import annotations

import click

from aimc.errors import EXIT_OK


@click.group()
def models():
    """Model facts: import them from a Hugging Face config.json."""


@models.command("import")
@click.argument("path", type=click.Path())
@click.option("--name", help="The model id (ORG/MODEL) when the folder does not say it.")
def models_import(path, name):
    """Print an AIMModel document with the facts of PATH (a checkpoint folder or its config.json; a
    model.safetensors.index.json beside it gives the checkpoint size). Offline."""
    from aimc.catalog import hf_config
    from aimc.reports import model_import

    click.echo(model_import.aimmodel_text(hf_config.import_model(path, name)), nl=False)
    return EXIT_OK
