"""Commands that adapters run: argocd generate, kustomize plugin, krm, precommit rendered."""

from __future__ import annotations

import os
import sys

import click

from aimc.cli.common import allow_overcommit_option, compile_options, input_options, print_warnings, read_stdin
from aimc.errors import EXIT_OK, EXIT_USER_ERROR


@click.group()
def argocd():
    """Argo CD Config Management Plugin (see argocd-cmp.yaml)."""


@argocd.command("generate")
def argocd_generate():
    """Print the manifests of the application at the working directory; settings from ARGOCD_ENV_AIMC_* and
    KUBE_VERSION (see the README, "Argo CD")."""
    from pathlib import Path

    from aimc.adapters import argocd as argocd_adapter

    chunks, warnings = argocd_adapter.generate_chunks(dict(os.environ), Path.cwd())
    print_warnings(warnings)
    for chunk in chunks:
        click.echo(chunk, nl=False)
    return EXIT_OK


@click.group()
def kustomize():
    """Kustomize exec plugin (kind AimcCompiler, for kubectl kustomize --enable-alpha-plugins), and a check that a
    build's output holds no uncompiled spec."""


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


@kustomize.command("check-output")
@click.argument("output", default="-")
def kustomize_check_output(output):
    """Fail when a Kustomize build's OUTPUT (a file; default '-', stdin) still holds aimc specs: the aimc function
    did not run (`kubectl kustomize` never runs KRM exec functions; README, "Kustomize"). E.g.
    `kubectl kustomize --enable-alpha-plugins overlays/prod | aimc kustomize check-output`."""
    from aimc.adapters import kustomize as kustomize_adapter
    from aimc.adapters import kustomize_output
    from aimc.errors import UserError
    from aimc.load.limits import read_file

    text = read_stdin() if output == "-" else read_file(output).decode("utf-8", errors="replace")
    resources = kustomize_adapter.read_resources(text)
    problems = kustomize_output.check(resources, "<stdin>" if output == "-" else output)
    if problems:
        raise UserError(problems)
    click.echo(f"aimc: {len(resources)} objects, no aimc spec left uncompiled", err=True)
    return EXIT_OK


@kustomize.command("plugin", hidden=True)
@click.argument("config_file", required=False)
@click.argument("extra", nargs=-1)
def kustomize_plugin(config_file, extra):
    """What Kustomize runs (through the launcher): config file as argument, resources on stdin."""
    from aimc.adapters import kustomize as kustomize_adapter

    stdin_text = "" if sys.stdin is None or sys.stdin.isatty() else read_stdin()
    text, warnings = kustomize_adapter.run_plugin(config_file, stdin_text, dict(os.environ))
    print_warnings(warnings)
    click.echo(text, nl=False)
    return EXIT_OK


@click.command()
def krm():
    """KRM function: a ResourceList on stdin, a ResourceList (items and results) on stdout; exit 1 on errors. Run by
    `kustomize build --enable-alpha-plugins --enable-exec` and kpt; `kubectl kustomize` skips it silently (no
    --enable-exec): `aimc kustomize check-output` tells."""
    from aimc.adapters import krm as krm_adapter

    text = read_stdin()
    resource_list, ok, messages = krm_adapter.run(text)
    click.echo(krm_adapter.dump(resource_list, text.lstrip().startswith("{")), nl=False)
    for severity, message in messages:
        if severity == "error" or not ok:
            click.echo(f"aimc krm: {severity}: {message}", err=True)
    return EXIT_OK if ok else EXIT_USER_ERROR


@click.group()
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

    result = pipeline.compile(compile_options(paths, inventory, recipes, namespace, strict, exclude,
                                       allow_overcommit=allow_overcommit))
    print_warnings(result.warnings)
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
