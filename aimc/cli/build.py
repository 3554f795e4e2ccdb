"""Commands that compile the inputs: build, validate, explain, plan."""

from __future__ import annotations

import click

from aimc.cli.common import FORMATS, allow_overcommit_option, compile_options, input_options, print_warnings
from aimc.errors import EXIT_OK, UserError


@click.command()
@input_options
@allow_overcommit_option
@click.option("--format", "-f", "output_format", type=FORMATS, default="yaml", show_default=True,
              help="A YAML stream or a JSON List.")
@click.option("--output-dir", "-o", type=click.Path(file_okay=False),
              help="Write one file per object (<namespace>/<kind>-<name>.yaml) instead of printing a stream.")
def build(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, output_format, output_dir):
    """Render the endpoints under PATHS (default: .; '-' reads a YAML stream on stdin)."""
    from aimc.cli import fast  # the same body as the parser that runs without click (`aimc build` from a shell)

    return fast.run_build(fast.BuildArgs(tuple(paths), inventory, tuple(recipes), namespace, tuple(exclude), strict,
                                         allow_overcommit, output_format, output_dir), click.echo)


@click.command()
@input_options
@allow_overcommit_option
def validate(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit):
    """Run every check without printing manifests; also load each object into the Kubernetes typed models."""
    from aimc.adapters import clusters

    options = compile_options(paths, inventory, recipes, namespace, strict, exclude, allow_overcommit=allow_overcommit)
    each = clusters.split(options)  # several clusters (clusters/dev, clusters/prod): check every one
    if each:
        warnings, summary = clusters.check_each(each, _validated)
        print_warnings(warnings)
        click.echo(summary, err=True)
        return EXIT_OK
    result = _validated(options)
    print_warnings(result.warnings)
    endpoints = len(result.inputs.endpoints)
    click.echo(f"aimc: {endpoints} endpoint{'s' if endpoints != 1 else ''}, {len(result.objects)} objects: valid",
               err=True)
    return EXIT_OK


def _validated(options):
    """Compile, then load every object into the Kubernetes typed models; UserError on any problem."""
    from aimc import pipeline
    from aimc.k8s import typed_models as k8s_models

    result = pipeline.compile(options)
    problems = k8s_models.check_objects(result.objects)
    if problems:
        raise UserError(list(result.warnings) + list(problems))
    return result


@click.command()
@input_options
@allow_overcommit_option
@click.option("--endpoint", "-e", "endpoint_names", multiple=True, help="Only this endpoint (repeatable).")
def explain(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, endpoint_names):
    """Show, per endpoint and engine, every candidate configuration and why it was chosen or rejected."""
    from aimc.cli import fast  # the same body as the parser that runs without click (`aimc explain` from a shell)

    return fast.run_explain(fast.ExplainArgs(tuple(paths), inventory, tuple(recipes), namespace, tuple(exclude), strict,
                                             allow_overcommit, tuple(endpoint_names)), click.echo)


@click.command()
@input_options
@allow_overcommit_option
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A text table or JSON.")
def plan(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, output_format):
    """GPUs each node pool must provide at minimum and maximum replicas (with rolling-update surge), and each
    endpoint's share. Exits 1 when a pool is overcommitted, unless --allow-overcommit."""
    from aimc.reports import plan as plan_cmd

    text, problems = plan_cmd.plan(compile_options(paths, inventory, recipes, namespace, strict, exclude,
                                            allow_overcommit=allow_overcommit), output_format)
    click.echo(text, nl=False)
    if problems:
        raise UserError(problems)
    return EXIT_OK
