"""`aimc estimate`: the performance model's predictions of one configuration, as a table or JSON.

JSON: a list, one object per concurrency, with the medians a load generator reports for a fixed-length workload:
`ttftSeconds` (time to first token), `tpotSeconds` (time per output token after the first), `outputTokensPerSecond`
(one replica), `outputTokensPerSecondPerGpu` and `totalTokensPerSecondPerGpu` (prompt + output tokens), and `source`:
"model" for a prediction, "measured" for a figure a recipe's `benchmarks` recorded for that load.
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
    table = [list(HEADERS)] + [[str(p.concurrency), str(p.batch), f"{p.ttft_s:.3f}", f"{p.tpot_s * 1000:.1f}",
                                f"{p.requests_per_s:.2f}", f"{p.output_tokens_per_s:.0f}",
                                f"{p.output_tokens_per_s_per_gpu:.0f}", f"{p.total_tokens_per_s_per_gpu:.0f}",
                                p.source] for p in predictions]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.rjust(widths[i]) if i < len(HEADERS) - 1 else cell for i, cell in enumerate(row)).rstrip()
             for row in table]
    notes = [p.note for p in predictions if p.note]
    legend = ("Medians of a fixed-length workload: TTFT time to first token, TPOT time per output token after the "
              "first; 'running' is how many requests the engine runs at once.")
    return "\n".join([comment_text(header), *lines, *map(comment_text, notes), legend]) + "\n"
