"""The command line: parse options, call the pipeline, print, return an exit code. No logic lives here."""

from __future__ import annotations

import os
import sys

import click

from aimc import __version__
from aimc.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, EXIT_USER_ERROR, UserError

FORMATS = click.Choice(["yaml", "json"])


def _options(paths, inventory, recipes, namespace=None, strict=False, exclude=(), stdin_text=None,
             allow_overcommit=False):
    from aimc.pipeline import Options

    paths = tuple(paths) or (".",)
    if "-" in paths and stdin_text is None:
        stdin_text = _read_stdin()
    return Options(paths=paths, inventory=inventory, recipe_dirs=tuple(recipes), stdin_text=stdin_text,
                   default_namespace=namespace, strict=strict, exclude=tuple(exclude),
                   allow_overcommit=allow_overcommit)


def _read_stdin() -> str:
    """Stdin as bytes, carried losslessly in a str (surrogateescape): the pipeline checks its encoding like a file's."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream (tests replace stdin)
        return sys.stdin.read()
    return buffer.read().decode("utf-8", "surrogateescape")


def _print_warnings(warnings) -> None:
    for warning in warnings:
        click.echo(warning.format(), err=True)


def input_options(function):
    """Options shared by every command that compiles."""
    function = click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))(function)
    function = click.option("--inventory", "-i", type=click.Path(dir_okay=False),
                            help="ClusterInventory file (default: the one found among the inputs).")(function)
    function = click.option("--recipes", "-r", multiple=True, type=click.Path(file_okay=False),
                            help="Folder of repository-local recipes or AIM profiles (repeatable).")(function)
    function = click.option("--namespace", "-n", default=None,
                            help="Namespace for endpoints that name none (after the inventory's default).")(function)
    function = click.option("--exclude", multiple=True, metavar="GLOB",
                            help="Skip input files matching GLOB, relative to the input folder (repeatable).")(function)
    function = click.option("--strict", is_flag=True, help="Treat every warning as an error (CI, pre-commit).")(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aimc")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks of internal errors.")
@click.pass_context
def cli(ctx, traceback):
    """aimc: compile AIMEndpoint specs into plain Kubernetes manifests for AMD Instinct GPUs."""
    ctx.obj = {"traceback": traceback}


def allow_overcommit_option(function):
    return click.option("--allow-overcommit", is_flag=True,
                        help="A node pool whose maximum GPU demand exceeds its capacity is a warning, not an error."
                        )(function)


@cli.command()
@input_options
@allow_overcommit_option
@click.option("--format", "-f", "output_format", type=FORMATS, default="yaml", show_default=True)
@click.option("--output-dir", "-o", type=click.Path(file_okay=False),
              help="Write one file per object (<namespace>/<kind>-<name>.yaml) instead of printing a stream.")
def build(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, output_format, output_dir):
    """Render the endpoints under PATHS (default: .; '-' reads a YAML stream on stdin)."""
    from aimc.emit import output as emit
    from aimc import pipeline

    result = pipeline.compile(_options(paths, inventory, recipes, namespace, strict, exclude,
                                       allow_overcommit=allow_overcommit))
    _print_warnings(result.warnings)
    if output_dir:
        written, removed = emit.write_tree(list(result.objects), output_dir, output_format)
        click.echo(f"aimc: wrote {len(written)} files to {output_dir}"
                   + (f", removed {len(removed)} stale ones" if removed else ""), err=True)
    elif output_format == "yaml":
        for chunk in emit.yaml_stream_chunks(list(result.objects)):
            click.echo(chunk, nl=False)
    else:
        click.echo(emit.render_stream(list(result.objects), output_format), nl=False)
    return EXIT_OK


@cli.command()
@input_options
@allow_overcommit_option
def validate(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit):
    """Run every check without printing manifests; also load each object into the Kubernetes typed models."""
    from aimc.k8s import typed_models as k8s_models
    from aimc import pipeline

    result = pipeline.compile(_options(paths, inventory, recipes, namespace, strict, exclude,
                                       allow_overcommit=allow_overcommit))
    _print_warnings(result.warnings)
    problems = k8s_models.check_objects(result.objects)
    if problems:
        raise UserError(problems)
    endpoints = len(result.inputs.endpoints)
    click.echo(f"aimc: {endpoints} endpoint{'s' if endpoints != 1 else ''}, {len(result.objects)} objects: valid",
               err=True)
    return EXIT_OK


@cli.command()
@input_options
@click.option("--endpoint", "-e", "endpoint_names", multiple=True, help="Only this endpoint (repeatable).")
def explain(paths, inventory, recipes, namespace, exclude, strict, endpoint_names):
    """Show, per endpoint and engine, every candidate configuration and why it was chosen or rejected."""
    from aimc.reports import explain as explain_mod

    text, ok = explain_mod.explain(_options(paths, inventory, recipes, namespace, strict, exclude), endpoint_names)
    click.echo(text, nl=False)
    return EXIT_OK if ok else EXIT_USER_ERROR


@cli.command()
@input_options
@allow_overcommit_option
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def plan(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, output_format):
    """GPUs each node pool must provide at minimum and maximum replicas (with rolling-update surge), and each
    endpoint's share. Exits 1 when a pool is overcommitted, unless --allow-overcommit."""
    from aimc.reports import plan as plan_cmd

    text, problems = plan_cmd.plan(_options(paths, inventory, recipes, namespace, strict, exclude,
                                            allow_overcommit=allow_overcommit), output_format)
    click.echo(text, nl=False)
    if problems:
        raise UserError(problems)
    return EXIT_OK


@cli.group()
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
    _print_warnings(warnings)
    click.echo(f"aimc: {count} recipe{'s' if count != 1 else ''}: valid", err=True)
    return EXIT_OK


@cli.group()
def argocd():
    """Argo CD Config Management Plugin (see argocd-cmp.yaml)."""


@argocd.command("generate")
def argocd_generate():
    """Print the manifests of the application at the working directory; settings from ARGOCD_ENV_AIMC_* and
    KUBE_VERSION (see the README, "Argo CD")."""
    from pathlib import Path

    from aimc.adapters import argocd as argocd_adapter

    text, warnings = argocd_adapter.generate(dict(os.environ), Path.cwd())
    _print_warnings(warnings)
    click.echo(text, nl=False)
    return EXIT_OK


@cli.group()
def kustomize():
    """Kustomize exec plugin (kind AimcCompiler, for kubectl kustomize --enable-alpha-plugins)."""


@kustomize.command("install-plugin")
@click.option("--dir", "plugin_home", type=click.Path(file_okay=False),
              help="Plugin home (default: $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin, else "
                   "~/.config/kustomize/plugin).")
def kustomize_install_plugin(plugin_home):
    """Install the AimcCompiler plugin launcher where Kustomize finds it."""
    from pathlib import Path

    from aimc.adapters import kustomize as kustomize_adapter

    home = Path(plugin_home) if plugin_home else kustomize_adapter.default_plugin_home(os.environ)
    target = kustomize_adapter.install(home)
    click.echo(f"aimc: installed {target}", err=True)
    click.echo(f"aimc: run kubectl kustomize --enable-alpha-plugins with KUSTOMIZE_PLUGIN_HOME={home}", err=True)
    return EXIT_OK


@kustomize.command("plugin", hidden=True)
@click.argument("config_file", required=False)
@click.argument("extra", nargs=-1)
def kustomize_plugin(config_file, extra):
    """What Kustomize runs (through the launcher): config file as argument, resources on stdin."""
    from aimc.adapters import kustomize as kustomize_adapter

    stdin_text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    text, warnings = kustomize_adapter.run_plugin(config_file, stdin_text, dict(os.environ))
    _print_warnings(warnings)
    click.echo(text, nl=False)
    return EXIT_OK


@cli.command()
def krm():
    """KRM function: a ResourceList on stdin, a ResourceList (items and results) on stdout; exit 1 on errors."""
    from aimc.adapters import krm as krm_adapter

    text = sys.stdin.read()
    resource_list, ok = krm_adapter.run(text)
    click.echo(krm_adapter.dump(resource_list, text.lstrip().startswith("{")), nl=False)
    for result in resource_list.get("results", []):
        if result["severity"] == "error" or not ok:
            click.echo(f"aimc krm: {result['severity']}: {krm_adapter.describe(result)}", err=True)
    return EXIT_OK if ok else EXIT_USER_ERROR


@cli.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--path", "-p", "paths", multiple=True, metavar="PATH",
              help="Input path, relative to the current directory at both sides (repeatable; default: .).")
@click.option("--inventory", "-i", help="ClusterInventory file, relative like --path.")
@click.option("--recipes", "-r", multiple=True, help="Folder of repository-local recipes (repeatable).")
@click.option("--namespace", "-n", default=None, help="Namespace for endpoints that name none.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip input files matching GLOB (repeatable).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--color", "colour", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour text output; auto: on a terminal unless NO_COLOR is set.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the rendered objects differ (like git diff).")
@allow_overcommit_option
def diff(base, head, paths, inventory, recipes, namespace, exclude, output_format, colour, exit_code,
         allow_overcommit):
    """Compare the objects rendered at BASE and HEAD: Git revisions or folders (HEAD default: the working tree)."""
    import tempfile
    from pathlib import Path

    from aimc.reports import diff as diff_mod
    from aimc.adapters import revisions

    options = _options(paths, inventory, recipes, namespace, exclude=exclude, allow_overcommit=allow_overcommit)
    with tempfile.TemporaryDirectory(prefix="aimc-diff-") as scratch:
        sides = [revisions.open_side(spec, Path(scratch)) for spec in (base, head)]
        (old, _), (new, warnings) = (revisions.render_side(side, options) for side in sides)
    _print_warnings(warnings)  # the base's warnings are old news
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


@cli.command()
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


@cli.group()
def precommit():
    """Checks behind the hooks of .pre-commit-hooks.yaml."""


@precommit.command("rendered")
@input_options
@allow_overcommit_option
@click.option("--rendered", "rendered_dir", required=True, type=click.Path(file_okay=False),
              help="The committed folder written by `aimc build -o DIR`.")
@click.option("--fix", is_flag=True, help="Rewrite the folder (the hook still fails, so the fix gets reviewed).")
def precommit_rendered(paths, inventory, recipes, namespace, exclude, strict, allow_overcommit, rendered_dir, fix):
    """Fail when the rendered folder is not what `aimc build PATHS -o RENDERED` writes now."""
    from aimc import pipeline
    from aimc.adapters import precommit as precommit_mod

    result = pipeline.compile(_options(paths, inventory, recipes, namespace, strict, exclude,
                                       allow_overcommit=allow_overcommit))
    _print_warnings(result.warnings)
    check = precommit_mod.check_rendered(list(result.objects), rendered_dir)
    if check.up_to_date:
        return EXIT_OK
    for line in check.report():
        click.echo(line, err=True)
    if fix:
        precommit_mod.fix_rendered(list(result.objects), rendered_dir)
        click.echo(f"aimc: rewrote {rendered_dir}; review and stage it", err=True)
    else:
        command = " ".join(["aimc build", *(paths or ["."]), "-o", rendered_dir])
        click.echo(f"aimc: {rendered_dir} is out of date with the specs: run `{command}` (or the hook with --fix)",
                   err=True)
    return EXIT_USER_ERROR


def main(argv=None, prog_name="aimc") -> int:
    """Entry point: user errors exit 1 with one line each, usage errors 2, bugs 3 (with --traceback for details)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv or os.environ.get("AIMC_TRACEBACK") == "1"
    try:
        code = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except UserError as error:
        for diagnostic in error.diagnostics:
            click.echo(diagnostic.format(), err=True)
        count = sum(1 for d in error.diagnostics if d.severity == "error")
        click.echo(f"aimc: {count} error{'s' if count != 1 else ''}", err=True)
        return EXIT_USER_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aimc: aborted", err=True)
        return EXIT_USER_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_USER_ERROR
    except BrokenPipeError:  # `aimc build | head`: not an error of ours
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        if show_traceback:
            import traceback

            traceback.print_exc()
        click.echo(f"aimc: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("aimc: this is a bug in aimc; rerun with --traceback and report it", err=True)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else EXIT_OK


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
