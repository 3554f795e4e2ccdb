"""`aimc bench`: benchmark Jobs for the endpoints, and `aimc bench report` on what they print."""

from __future__ import annotations

import click

from aimc.cli.common import FORMATS, compile_options, input_options, print_warnings
from aimc.errors import EXIT_OK


class _BenchGroup(click.Group):
    """`aimc bench [PATH ...]` renders Jobs (the `jobs` subcommand); `aimc bench report ...` reads results."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["jobs", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_BenchGroup)
def bench():
    """Benchmark endpoints in the cluster.

    \b
    aimc bench [PATH ...] [--endpoint NAME] [--scenario latency|throughput|NAME] | kubectl apply -f -
    kubectl logs job/NAME > result.log && aimc bench report result.log
    """


@bench.command("jobs")
@input_options
@click.option("--endpoint", "-e", "endpoint_names", multiple=True, help="Only this endpoint (repeatable).")
@click.option("--scenario", "-s", default=None,
              help="latency, throughput or an AIMBenchmarkScenario's name (default: the endpoint's "
                   "spec.benchmark.scenario, else latency).")
@click.option("--results-claim", default=None, metavar="CLAIM", callback=lambda ctx, param, value: _claim_name(value),
              help="Also keep the result files on this PersistentVolumeClaim (default: spec.benchmark.resultsClaim).")
@click.option("--format", "-f", "output_format", type=FORMATS, default="yaml", show_default=True,
              help="A YAML stream or a JSON List.")
def jobs(paths, inventory, recipes, namespace, exclude, strict, endpoint_names, scenario, results_claim,
         output_format):
    """Print a benchmark Job per endpoint and engine (the default subcommand of `aimc bench`)."""
    from aimc import pipeline
    from aimc.emit import output as emit
    from aimc.render import benchmark

    result = pipeline.compile(compile_options(paths, inventory, recipes, namespace, strict, exclude))
    print_warnings(result.warnings)
    objects = benchmark.jobs(result.resolution.endpoints, result.inputs.benchmarks, result.inputs.inventory,
                             endpoint_names, scenario, results_claim)
    click.echo(emit.render_stream(objects, output_format), nl=False)
    return EXIT_OK


def _claim_name(value: str | None) -> str | None:
    """--results-claim lands in the Job as a claimName and in its script's paths: a DNS-1123 label, as
    spec.benchmark.resultsClaim must be (the schema's $defs/dnsLabel), or a usage error (`x; rm -rf /`, `../x`)."""
    if value is None:
        return None
    from aimc.emit.scalars import comment_text
    from aimc.validate import schema

    label = schema.load_schema("endpoint")["$defs"]["dnsLabel"]
    if not schema.is_valid("endpoint", _endpoint_with_claim(value)):
        raise click.BadParameter(f"'{comment_text(value)}' is not a PersistentVolumeClaim name: {label['description']}")
    return value


def _endpoint_with_claim(claim: str) -> dict:
    """The smallest AIMEndpoint whose spec.benchmark.resultsClaim is `claim`: its schema decides the name's rule."""
    return {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint", "metadata": {"name": "e"},
            "spec": {"model": "m", "benchmark": {"resultsClaim": claim}}}


@bench.command("report")
@click.argument("results", nargs=-1, required=True, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="A text table, a Markdown table (e.g. for a pull request) or JSON.")
@click.option("--compare", "base", multiple=True, type=click.Path(dir_okay=False), metavar="BASE",
              help="Earlier results (file or Job log, repeatable): show each figure's change against them.")
@click.option("--write-recipe", "recipe_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the figures measured with this recipe in its `benchmarks` field (see `aimc explain`).")
@click.option("--fail-on-regression", "regression_percent", type=click.FloatRange(0, 1000), default=None,
              metavar="PCT", help="With --compare: exit 1 when a throughput fell or a latency rose by more than PCT "
                                  "percent (a CI gate).")
def report(results, output_format, base, recipe_file, regression_percent):
    """Throughput, TTFT and inter-token latency of vllm bench serve / sglang.bench_serving results or Job logs."""
    from aimc.cli.common import read_stdin
    from aimc.reports import bench as bench_report

    if regression_percent is not None and not base:
        raise click.UsageError("--fail-on-regression needs --compare BASE: the results to compare against")
    texts = {"-": read_stdin()} if "-" in results else None
    found = bench_report.read(results, texts)
    if base:
        found = bench_report.compare(found, bench_report.read(base))
    click.echo(bench_report.format_report(found, output_format), nl=False)
    if recipe_file:
        from aimc.reports import bench_evidence

        count = bench_evidence.write_recipe(recipe_file, found)
        click.echo(f"aimc: wrote {count} measurement{'s' if count != 1 else ''} to {recipe_file}", err=True)
    if regression_percent is not None:
        from aimc.errors import UserError
        from aimc.reports import bench_gate

        problems = bench_gate.regressions(found, regression_percent)
        if problems:
            raise UserError(problems)
    return EXIT_OK
