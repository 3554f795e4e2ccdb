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
@click.option("--gpus", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="GPUs of one replica (tensor parallelism N). Required, except with targets, where it is the one "
                   "replica size considered (default there: 1, 2, 4 and 8).")
@click.option("--input-tokens", required=True, type=TOKENS, metavar="I", help="Prompt tokens per request.")
@click.option("--output-tokens", required=True, type=TOKENS, metavar="O", help="Generated tokens per request.")
@click.option("--concurrency", "-c", "concurrency", multiple=True, type=click.IntRange(1, 1_000_000),
              metavar="C [C ...]", help="Requests in flight (one or more values; one with targets). Required, "
                                        "except with targets and --requests-per-second.")
@click.option("--max-num-seqs", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="The engine's --max-num-seqs / --max-running-requests (default: the engine's).")
@click.option("--kv-cache-dtype", default=None, metavar="DTYPE", help="e.g. fp8 (default: the model's 16 bits).")
@click.option("--model-facts", "facts_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="An AIMModel document with the facts of a model aimc does not ship.")
@click.option("--recipes", "recipe_dir", type=click.Path(), default=None, metavar="DIR",
              help="Repository-local recipes: figures their `benchmarks` recorded for this configuration replace or "
                   "scale the model's (source: measured).")
@click.option("--prefill-gpus", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="Also predict a disaggregated layout: GPUs of one prefill replica (with --decode-gpus), compared "
                   "with the aggregated one on as many GPUs.")
@click.option("--decode-gpus", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="GPUs of one decode replica of the disaggregated layout.")
@click.option("--prefill-replicas", type=click.IntRange(1, 1024), default=1, show_default=True, metavar="N",
              help="Prefill replicas of the disaggregated layout.")
@click.option("--decode-replicas", type=click.IntRange(1, 1024), default=1, show_default=True, metavar="N",
              help="Decode replicas of the disaggregated layout.")
@click.option("--transfer-gbs", type=click.FloatRange(0.1, 10_000), default=None, metavar="GB/S",
              help="KV transfer bandwidth per GPU in GB/s (default: 41.4, MoRI-IO over one 400G NIC per GPU).")
@click.option("--max-ttft-seconds", type=click.FloatRange(0, 86400, min_open=True), default=None, metavar="S",
              help="Target: the largest median time to first token (as spec.objective.maxTtftSeconds). With a "
                   "target, estimate searches the best aggregated configuration and the best disaggregated layout "
                   "that meet the targets and says which to deploy.")
@click.option("--max-tpot-seconds", type=click.FloatRange(0, 3600, min_open=True), default=None, metavar="S",
              help="Target: the largest median time per output token (as spec.objective.maxTpotSeconds).")
@click.option("--requests-per-second", type=click.FloatRange(0, 1_000_000, min_open=True), default=None,
              metavar="R", help="With targets, the load as a request rate instead of --concurrency (as "
                                "spec.objective.workload.requestsPerSecond).")
@click.option("--max-gpus", type=click.IntRange(2, 100_000), default=None, metavar="N",
              help="With targets, the most GPUs the deployment may use in all (default: 64).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A text table or a JSON list (one object per concurrency).")
def estimate(model, hardware, precision, engine, gpus, input_tokens, output_tokens, concurrency, max_num_seqs,
             kv_cache_dtype, facts_file, recipe_dir, prefill_gpus, decode_gpus, prefill_replicas, decode_replicas,
             transfer_gbs, max_ttft_seconds, max_tpot_seconds, requests_per_second, max_gpus, output_format):
    """Predict median TTFT, TPOT and throughput of MODEL on --gpus GPUs per concurrency (the calibrated
    performance model: docs/concepts/performance.md). With --max-ttft-seconds and/or --max-tpot-seconds: the best
    aggregated configuration and the best disaggregated layout that meet them, and which one to deploy."""
    from aimc.reports import estimate as report
    from aimc.resolve import estimate_inputs

    targets = (max_ttft_seconds, max_tpot_seconds)
    if any(t is not None for t in targets):
        return _with_targets(model, hardware, precision, engine, gpus, input_tokens, output_tokens, concurrency,
                             max_num_seqs, kv_cache_dtype, facts_file, recipe_dir, targets, requests_per_second,
                             max_gpus, (prefill_gpus, decode_gpus, prefill_replicas, decode_replicas, transfer_gbs),
                             output_format)
    for name, value in (("--requests-per-second", requests_per_second), ("--max-gpus", max_gpus)):
        if value is not None:
            raise click.UsageError(f"{name} belongs to a search for targets: give --max-ttft-seconds or "
                                   "--max-tpot-seconds too")
    for name, value in (("--gpus", gpus), ("--concurrency", concurrency)):
        if not value:
            raise click.UsageError(f"Missing option '{name}' (optional only with --max-ttft-seconds or "
                                   "--max-tpot-seconds).")
    roles = _roles(prefill_gpus, decode_gpus, prefill_replicas, decode_replicas, transfer_gbs)
    request = estimate_inputs.Request(model, hardware, precision, engine, gpus, input_tokens, output_tokens,
                                      tuple(sorted(set(concurrency))), max_num_seqs, kv_cache_dtype, facts_file,
                                      recipe_dir, roles)
    if roles is not None:
        compared, header = estimate_inputs.comparison(request)
        click.echo(report.format_comparison(compared, output_format, header), nl=False)
        return EXIT_OK
    predictions, header = estimate_inputs.predictions(request)
    click.echo(report.format_predictions(predictions, output_format, header), nl=False)
    return EXIT_OK


def _roles(prefill_gpus, decode_gpus, prefill_replicas, decode_replicas, transfer_gbs):
    """The disaggregated layout the options ask for, or None."""
    if prefill_gpus is None and decode_gpus is None:
        for name, value, default in (("--prefill-replicas", prefill_replicas, 1),
                                     ("--decode-replicas", decode_replicas, 1), ("--transfer-gbs", transfer_gbs, None)):
            if value != default:
                raise click.UsageError(f"{name} describes a disaggregated layout: give --prefill-gpus and "
                                       "--decode-gpus too")
        return None
    if prefill_gpus is None or decode_gpus is None:
        missing = "--decode-gpus" if prefill_gpus is not None else "--prefill-gpus"
        raise click.UsageError(f"a disaggregated layout needs both --prefill-gpus and --decode-gpus: give {missing}")
    from aimc.resolve.estimate_disaggregated import TRANSFER_GB_S, Roles

    return Roles(prefill_gpus, decode_gpus, prefill_replicas, decode_replicas,
                 TRANSFER_GB_S if transfer_gbs is None else transfer_gbs)


def _with_targets(model, hardware, precision, engine, gpus, input_tokens, output_tokens, concurrency, max_num_seqs,
                  kv_cache_dtype, facts_file, recipe_dir, targets, requests_per_second, max_gpus, layout_options,
                  output_format):
    """The search for targets: one load (one --concurrency, or --requests-per-second), no layout of one's own."""
    from aimc.model.performance import Objective
    from aimc.reports import estimate as report
    from aimc.resolve import estimate_inputs, estimate_objective

    prefill_gpus, decode_gpus, prefill_replicas, decode_replicas, transfer_gbs = layout_options
    if prefill_gpus is not None or decode_gpus is not None or prefill_replicas != 1 or decode_replicas != 1:
        raise click.UsageError("with targets, estimate searches the disaggregated layouts itself: leave out "
                               "--prefill-gpus, --decode-gpus, --prefill-replicas and --decode-replicas (or the "
                               "targets, to predict one layout)")
    if (len(concurrency) == 1) == (requests_per_second is not None):
        raise click.UsageError("with targets, give the load once: one --concurrency value or --requests-per-second")
    from aimc.perf.disaggregated import TRANSFER_GB_S

    objective = Objective(input_tokens, output_tokens, concurrency[0] if concurrency else None, requests_per_second,
                          targets[0], targets[1])
    request = estimate_inputs.Request(model, hardware, precision, engine, gpus or 0, input_tokens, output_tokens,
                                      tuple(concurrency), max_num_seqs, kv_cache_dtype, facts_file, recipe_dir)
    chosen, header = estimate_objective.choose(request, objective, max_gpus or estimate_objective.DEFAULT_MAX_GPUS,
                                               TRANSFER_GB_S if transfer_gbs is None else transfer_gbs)
    click.echo(report.format_choice(chosen, output_format, header), nl=False)
    return EXIT_OK
