"""Measured evidence wins: the figures a recipe's `benchmarks` recorded (`aimc bench report --write-recipe`) replace
the performance model's for that configuration, and scale it for other loads.

A measurement is a configuration (`vllm/2_gpu`), a scenario (whose input and output lengths say the workload: the
built-in ones of aimc/catalog/benchmark-scenarios.yaml or the repository's AIMBenchmarkScenario documents) and a
concurrency, with median TTFT, median ITL (read as TPOT: both are the time between output tokens of a fixed-length
request), and throughputs. For a workload, the nearest measurement of the configuration (the smallest sum of
|log ratio| of input tokens, output tokens and concurrency) is

- the answer, `source: measured`, when each of the three is within 10 % of the workload's;
- otherwise a calibration: the model's figures times measured / predicted at the measured load, per figure
  (`source: model`, the note says which measurement scaled it).

Throughputs are taken as one replica's: record evidence from a benchmark of one replica.
"""

from __future__ import annotations

import math

from aimc.model.benchmark import Scenario
from aimc.model.inputs import Recipe
from aimc.model.performance import Prediction
from aimc.perf.calibration import Calibration
from aimc.perf.physics import Configuration
from aimc.perf.serving import Workload, predict
from aimc.records import Record, replace
from aimc.validate import scenarios as scenario_catalog

CLOSE = math.log(1.1)  # within 10 % on every dimension: the measured load is the workload


class Measurement(Record):
    scenario: str
    input_tokens: int
    output_tokens: int
    concurrency: int
    ttft_s: float
    tpot_s: float
    requests_per_s: float
    output_tokens_per_s: float
    total_tokens_per_s: float
    place: str  # recipe file:line

    def describe(self) -> str:
        return (f"{self.scenario} ({self.input_tokens} + {self.output_tokens} tokens) at concurrency "
                f"{self.concurrency}, {self.place}")


def measurements(recipe: Recipe, engine: str, config_key: str, local: tuple[Scenario, ...] = ()) -> tuple:
    """The complete measurements (a concurrency, TTFT and ITL medians, throughputs; a known scenario) recorded for
    one configuration of a recipe."""
    data = recipe.origin.data
    items = data.get("benchmarks") if isinstance(data, dict) else None
    out = []
    for index, item in enumerate(items or ()):
        if not isinstance(item, dict) or item.get("configuration") != f"{engine}/{config_key}":
            continue
        scenario = scenario_catalog.find(str(item.get("scenario")), local)
        ttft, itl = item.get("ttftMs") or {}, item.get("itlMs") or {}
        raw = (ttft.get("p50"), itl.get("p50"), item.get("requestThroughput"), item.get("outputThroughput"),
               item.get("totalThroughput"))
        if scenario is None or not item.get("concurrency") or not all(_positive(f) for f in raw):
            continue
        figures = [float(f) for f in raw if f is not None]  # all given: _positive said so
        place = f"{recipe.origin.file}:{recipe.origin.line_of('benchmarks', index)}"
        out.append(Measurement(scenario.name, scenario.input_tokens, scenario.output_tokens, int(item["concurrency"]),
                               figures[0] / 1000, figures[1] / 1000, figures[2], figures[3], figures[4], place))
    return tuple(out)


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _distance(measurement: Measurement, workload: Workload) -> tuple[float, float]:
    parts = [abs(math.log(a / b)) for a, b in ((measurement.input_tokens, workload.input_tokens),
                                               (measurement.output_tokens, workload.output_tokens),
                                               (measurement.concurrency, workload.concurrency))]
    return sum(parts), max(parts)


def predict_with(config: Configuration, workload: Workload, calibration: Calibration,
                 measured: tuple[Measurement, ...] = ()) -> Prediction:
    """The model's prediction, replaced or scaled by the nearest measurement of this configuration."""
    model = predict(config, workload, calibration)
    if not measured:
        return model
    nearest = min(measured, key=lambda m: (_distance(m, workload), m.place))
    if _distance(nearest, workload)[1] <= CLOSE:
        return Prediction(workload.concurrency, model.batch, nearest.ttft_s, nearest.tpot_s, nearest.requests_per_s,
                          nearest.output_tokens_per_s, nearest.total_tokens_per_s, model.gpus, "measured",
                          f"measured: {nearest.describe()}")
    at = predict(config, Workload(nearest.input_tokens, nearest.output_tokens, nearest.concurrency), calibration)
    ttft, tpot = nearest.ttft_s / at.ttft_s, nearest.tpot_s / at.tpot_s
    rate = nearest.requests_per_s / at.requests_per_s
    return replace(model, ttft_s=model.ttft_s * ttft, tpot_s=model.tpot_s * tpot,
                   requests_per_s=model.requests_per_s * rate, output_tokens_per_s=model.output_tokens_per_s * rate,
                   total_tokens_per_s=model.total_tokens_per_s * rate,
                   note=f"model scaled by the measurement of {nearest.describe()} (TTFT x{ttft:.3g}, TPOT x{tpot:.3g},"
                        f" throughput x{rate:.3g})")
