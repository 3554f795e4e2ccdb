"""`aimc estimate`: the performance model's predictions of one configuration, as a table or JSON.

JSON: a list, one object per concurrency, with the medians a load generator reports for a fixed-length workload:
`ttftSeconds` (time to first token), `tpotSeconds` (time per output token after the first), `outputTokensPerSecond`
(one replica), `outputTokensPerSecondPerGpu` and `totalTokensPerSecondPerGpu` (prompt + output tokens), and `source`:
"model" for a prediction, "measured" for a figure a recipe's `benchmarks` recorded for that load. With a
disaggregated layout (--prefill-gpus, --decode-gpus): an object with `aggregated` and `disaggregated`, each giving
its replicas and GPUs and `predictions`, that list for the whole deployment. With targets (--max-ttft-seconds,
--max-tpot-seconds): an object with `objective`, `aggregated` (replicas, gpusPerReplica, gpus and
`predictionPerReplica`: one replica at its share of the load) or null, `disaggregated` (prefill and decode replicas
and gpusPerReplica, gpus, transferGBPerSecondPerGpu and `prediction`: the whole deployment) or null, `choice`
("aggregated", "disaggregated" or null when neither meets the targets) and `why`.
"""

from __future__ import annotations

import json

from aimc.errors import comment_text
from aimc.model.performance import Prediction

HEADERS = ("conc", "running", "TTFT s", "TPOT ms", "req/s", "out tok/s", "out tok/s/GPU", "total tok/s/GPU", "source")


def significant(value: float, digits: int = 4) -> float:
    """Four significant digits: the model is not more precise, and the output stays byte-stable."""
    return float(f"{value:.{digits}g}")


def as_json(prediction: Prediction) -> dict:
    return {"concurrency": prediction.concurrency,
            "ttftSeconds": significant(prediction.ttft_s),
            "tpotSeconds": significant(prediction.tpot_s),
            "outputTokensPerSecond": significant(prediction.output_tokens_per_s),
            "outputTokensPerSecondPerGpu": significant(prediction.output_tokens_per_s_per_gpu),
            "totalTokensPerSecondPerGpu": significant(prediction.total_tokens_per_s_per_gpu),
            "source": prediction.source}


def format_predictions(predictions: list[Prediction], output_format: str, header: str) -> str:
    if output_format == "json":
        return json.dumps([as_json(p) for p in predictions], indent=2, allow_nan=False) + "\n"
    return "\n".join([comment_text(header), *_table(predictions), *_notes(predictions), LEGEND]) + "\n"


def format_comparison(compared, output_format: str, header: str) -> str:
    """The aggregated and the disaggregated layout of resolve/estimate_disaggregated.py, each with its replicas
    and its predictions (figures of the whole deployment): JSON one object, text two tables."""
    together, apart = list(compared.aggregated), list(compared.disaggregated)
    layout, per_replica = compared.layout, together[0].gpus // compared.aggregated_replicas
    if output_format == "json":
        document = {
            "aggregated": {"replicas": compared.aggregated_replicas, "gpusPerReplica": per_replica,
                           "predictions": [as_json(p) for p in together]},
            "disaggregated": {"prefill": {"replicas": layout.prefill_replicas, "gpusPerReplica": layout.prefill.gpus},
                              "decode": {"replicas": layout.decode_replicas, "gpusPerReplica": layout.decode.gpus},
                              "transferGBPerSecondPerGpu": layout.transfer_gb_s,
                              "predictions": [as_json(p) for p in apart]}}
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    return "\n".join([
        comment_text(header),
        comment_text(f"aggregated: {compared.aggregated_replicas} replica(s) of {per_replica} GPUs, the "
                     "concurrency spread over them"),
        *_table(together), *_notes(together),
        comment_text(f"disaggregated: {layout.prefill_replicas} prefill replica(s) of {layout.prefill.gpus} GPUs, "
                     f"{layout.decode_replicas} decode replica(s) of {layout.decode.gpus} GPUs "
                     f"({layout.gpus} GPUs); 'running' counts decoding requests"),
        *_table(apart),
        LEGEND, DISAGGREGATED_LEGEND]) + "\n"


LEGEND = ("Medians of a fixed-length workload: TTFT time to first token, TPOT time per output token after the "
          "first; 'running' is how many requests the engine runs at once.")
DISAGGREGATED_LEGEND = ("Disaggregated figures are the performance model's extension (docs/concepts/performance.md): "
                        "not calibrated on measured disaggregated runs.")


def _notes(predictions: list[Prediction]) -> list[str]:
    return [comment_text(p.note) for p in predictions if p.note]


def _table(predictions: list[Prediction]) -> list[str]:
    table = [list(HEADERS)] + [[str(p.concurrency), str(p.batch), f"{p.ttft_s:.3f}", f"{p.tpot_s * 1000:.1f}",
                                f"{p.requests_per_s:.2f}", f"{p.output_tokens_per_s:.0f}",
                                f"{p.output_tokens_per_s_per_gpu:.0f}", f"{p.total_tokens_per_s_per_gpu:.0f}",
                                p.source] for p in predictions]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    return ["  ".join(cell.rjust(widths[i]) if i < len(HEADERS) - 1 else cell for i, cell in enumerate(row)).rstrip()
            for row in table]


UNCALIBRATED = ("the disaggregated prediction is the performance model's P/D extension, not calibrated against "
                "measured disaggregated runs (docs/concepts/performance.md)")


def format_choice(chosen, output_format: str, header: str) -> str:
    """resolve/estimate_objective.Chosen: the best of each kind that meets the targets, and the choice."""
    aggregated, layout = chosen.aggregated, chosen.disaggregated
    if output_format == "json":
        return json.dumps(_choice_json(chosen), indent=2, allow_nan=False) + "\n"
    if aggregated is None:
        together = "aggregated: none meets the targets"
    else:
        judged = aggregated.assessment
        together = (f"aggregated: {judged.replicas} replica(s) x {aggregated.gpus_per_replica} GPUs "
                    f"({aggregated.gpus} GPUs), {judged.per_replica_concurrency} requests in flight per replica: "
                    f"{judged.prediction.figures()}: meets ({judged.margin})")
    if layout is None:
        apart = "disaggregated: no layout meets the targets"
    else:
        found = layout.prediction
        apart = (f"disaggregated: {layout.describe()}: TTFT {found.ttft_s:.3g} s, TPOT {found.tpot_s * 1000:.3g} ms, "
                 f"{found.requests_per_s:.3g} req/s in all (model, P/D): meets")
    choice = f"choice: {chosen.choice or 'none'}: {chosen.why}"
    return "\n".join([comment_text(header), together, apart, choice, comment_text(UNCALIBRATED)]) + "\n"


def _choice_json(chosen) -> dict:
    objective, aggregated, layout = chosen.objective, chosen.aggregated, chosen.disaggregated
    wanted = {"inputTokens": objective.input_tokens, "outputTokens": objective.output_tokens,
              "concurrency": objective.concurrency, "requestsPerSecond": objective.requests_per_second,
              "maxTtftSeconds": objective.max_ttft_s, "maxTpotSeconds": objective.max_tpot_s,
              "maxGpus": chosen.max_gpus}
    together = None if aggregated is None else {
        "replicas": aggregated.assessment.replicas, "gpusPerReplica": aggregated.gpus_per_replica,
        "gpus": aggregated.gpus, "predictionPerReplica": as_json(aggregated.assessment.prediction)}
    apart = None if layout is None else {
        "prefill": {"replicas": layout.layout.prefill_replicas, "gpusPerReplica": layout.prefill.gpus},
        "decode": {"replicas": layout.layout.decode_replicas, "gpusPerReplica": layout.decode.gpus},
        "gpus": layout.gpus, "transferGBPerSecondPerGpu": layout.layout.transfer_gb_s,
        "prediction": as_json(layout.prediction)}
    return {"objective": {k: v for k, v in wanted.items() if v is not None}, "aggregated": together,
            "disaggregated": apart, "choice": chosen.choice, "why": chosen.why, "calibrated": False}
