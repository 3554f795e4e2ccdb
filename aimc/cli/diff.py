"""aimc diff: compare the objects rendered at two revisions or folders."""

from __future__ import annotations

import os
import sys

import click

from aimc.cli.common import allow_overcommit_option, compile_options, print_warnings
from aimc.errors import EXIT_OK, EXIT_USER_ERROR, Diagnostic, UserError


@click.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--path", "-p", "paths", multiple=True, metavar="PATH",
              help="Input path, relative to the current directory at both sides (repeatable; default: .).")
@click.option("--inventory", "-i", type=click.Path(dir_okay=False),
              help="ClusterInventory file, relative like --path (default: the one found among the inputs).")
@click.option("--recipes", "-r", multiple=True, type=click.Path(file_okay=False),
              help="Folder of repository-local recipes, relative like --path (repeatable).")
@click.option("--namespace", "-n", default=None, help="Namespace for endpoints that name none.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip input files matching GLOB (repeatable).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Text, a Markdown pull-request comment, or JSON.")
@click.option("--color", "colour", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour text output; auto: on a terminal unless NO_COLOR is set; always wins over NO_COLOR.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the rendered objects differ (like git diff).")
@allow_overcommit_option
def diff(base, head, paths, inventory, recipes, namespace, exclude, output_format, colour, exit_code,
         allow_overcommit):
    """Compare the objects rendered at BASE and HEAD: Git revisions or folders (HEAD default: the working tree)."""
    import tempfile
    from pathlib import Path

    from aimc.adapters import revisions
    from aimc.reports import diff as diff_mod

    options = compile_options(paths, inventory, recipes, namespace, exclude=exclude, allow_overcommit=allow_overcommit)
    with tempfile.TemporaryDirectory(prefix="aimc-diff-") as scratch:
        sides = [revisions.open_side(spec, Path(scratch)) for spec in (base, head)]
        (old, _), (new, warnings) = (revisions.render_side(side, options) for side in sides)
    if not old and not new:
        # Like build: an empty result at both sides is a typo in a path or a folder of only kustomization.yaml,
        # never "no changes". One empty side (a folder added or removed) stays a valid comparison.
        places = ", ".join(paths) or "."
        raise UserError([Diagnostic(places, 0, "", f"nothing rendered at either side ({sides[0].label}, "
                                    f"{sides[1].label}): no AIMEndpoint and no Kubernetes object found; check the "
                                    "paths (--path) and, for a Kustomize overlay, diff the rendered output instead")])
    print_warnings(warnings)  # the base's warnings are old news
    report = diff_mod.compare(old, new, sides[0].label, sides[1].label)
    if output_format == "json":
        click.echo(diff_mod.to_json(report), nl=False)
    elif output_format == "markdown":
        click.echo(diff_mod.to_markdown(report), nl=False)
    else:
        use_colour = colour == "always" or (colour == "auto" and not os.environ.get("NO_COLOR")
                                            and sys.stdout.isatty())
        click.echo(diff_mod.to_text(report, use_colour), nl=False, color=use_colour)
    return EXIT_USER_ERROR if exit_code and report.differs else EXIT_OK
