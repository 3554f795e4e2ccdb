"""`aimc estimate`: the performance model's prediction for one configuration, per concurrency. Offline."""

from __future__ import annotations

import click

from aimc.errors import EXIT_OK

TOKENS = click.IntRange(1, 10_000_000)


class _ManyValues(click.Command):
    """`--concurrency 1 8 64` as well as `--concurrency 1 --concurrency 8`: the values after the option, up to the
    next option, each become one."""

    def parse_args(self, ctx, args):
        out: list[str] = []
        taking = False
        for arg in args:
            if taking and not arg.startswith("-") and out[-1] not in ("--concurrency", "-c"):
                out += ["--concurrency", arg]
                continue
            taking = arg in ("--concurrency", "-c") or (taking and not arg.startswith("-"))
            out.append(arg)
        return super().parse_args(ctx, out)


@click.command(cls=_ManyValues)
@click.argument("model")
@click.option("--hardware", required=True, metavar="GPU", help="The GPU, e.g. MI300X (one with peaks in the catalog).")
@click.option("--precision", default=None, metavar="P",
              help="Weight precision: bf16, fp16, fp8, int8, int4, fp4 (default: the model's native one).")
@click.option("--engine", type=click.Choice(["vllm", "sglang"]), default="vllm", show_default=True,
              help="The engine whose defaults and accounting apply.")
@click.option("--gpus", required=True, type=click.IntRange(1, 1024), metavar="N",
              help="GPUs of one replica (tensor parallelism N).")
@click.option("--input-tokens", required=True, type=TOKENS, metavar="I", help="Prompt tokens per request.")
@click.option("--output-tokens", required=True, type=TOKENS, metavar="O", help="Generated tokens per request.")
@click.option("--concurrency", "-c", "concurrency", required=True, multiple=True, type=click.IntRange(1, 1_000_000),
              metavar="C [C ...]", help="Requests in flight (one or more values).")
@click.option("--max-num-seqs", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="The engine's --max-num-seqs / --max-running-requests (default: the engine's).")
@click.option("--kv-cache-dtype", default=None, metavar="DTYPE", help="e.g. fp8 (default: the model's 16 bits).")
@click.option("--model-facts", "facts_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="An AIMModel document with the facts of a model aimc does not ship.")
@click.option("--recipes", "recipe_dir", type=click.Path(), default=None, metavar="DIR",
              help="Repository-local recipes: figures their `benchmarks` recorded for this configuration replace or "
                   "scale the model's (source: measured).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A text table or a JSON list (one object per concurrency).")
def estimate(model, hardware, precision, engine, gpus, input_tokens, output_tokens, concurrency, max_num_seqs,
             kv_cache_dtype, facts_file, recipe_dir, output_format):
    """Predict median TTFT, TPOT and throughput of MODEL on --gpus GPUs per concurrency (the calibrated
    performance model: docs/concepts/performance.md)."""
    from aimc.reports import estimate as report
    from aimc.resolve import estimate_inputs

    request = estimate_inputs.Request(model, hardware, precision, engine, gpus, input_tokens, output_tokens,
                                      tuple(sorted(set(concurrency))), max_num_seqs, kv_cache_dtype, facts_file,
                                      recipe_dir)
    predictions, header = estimate_inputs.predictions(request)
    click.echo(report.format_predictions(predictions, output_format, header), nl=False)
    return EXIT_OK
