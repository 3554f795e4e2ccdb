"""`aimc estimate --prefill-gpus P --decode-gpus D`: the disaggregated layout (aimc/perf/disaggregated.py) beside the
aggregated one on as many GPUs, per concurrency, so that the two can be compared; every problem is a user error
naming the option (a role that does not fit, a tensor parallelism the model's heads cannot split)."""

from __future__ import annotations

import math

from aimc.errors import Diagnostic, UserError
from aimc.model.facts import ModelFacts
from aimc.model.performance import Prediction
from aimc.perf import disaggregated as D
from aimc.perf import serving
from aimc.perf.calibration import shipped
from aimc.perf.disaggregated import TRANSFER_GB_S
from aimc.perf.physics import Configuration
from aimc.records import Record
from aimc.resolve import fit as fit_mod
from aimc.resolve.fit_settings import Settings
from aimc.resolve.performance import Unpredictable, configuration


class Roles(Record):
    prefill_gpus: int
    decode_gpus: int
    prefill_replicas: int = 1
    decode_replicas: int = 1
    transfer_gb_s: float = TRANSFER_GB_S


class Compared(Record):
    aggregated: tuple[Prediction, ...]  # `aggregated_replicas` replicas of --gpus, the concurrency spread over them
    aggregated_replicas: int
    disaggregated: tuple[Prediction, ...]
    layout: D.Layout


def _role(option: str, facts: ModelFacts, gpu_name: str, memory_gib: float, precision: str, engine: str,
          gpus: int, settings: Settings) -> Configuration:
    fit = fit_mod.compute(facts, precision, gpus, memory_gib, settings, engine)
    config = configuration(facts, gpu_name, precision, engine, gpus, 1, memory_gib, settings, fit)
    if isinstance(config, Unpredictable):
        raise UserError([Diagnostic(option, 0, "", f"{facts.id} in {precision} on {gpus} x {gpu_name} "
                                                   f"({engine}): {config.reason}")])
    return config


def compare(facts: ModelFacts, gpu_name: str, memory_gib: float, precision: str, engine: str, gpus: int,
            aggregated: Configuration, settings: Settings, roles: Roles, input_tokens: int, output_tokens: int,
            concurrency: tuple[int, ...]) -> Compared:
    prefill = _role("--prefill-gpus", facts, gpu_name, memory_gib, precision, engine, roles.prefill_gpus, settings)
    decode = _role("--decode-gpus", facts, gpu_name, memory_gib, precision, engine, roles.decode_gpus, settings)
    layout = D.Layout(prefill, decode, roles.prefill_replicas, roles.decode_replicas, roles.transfer_gb_s)
    replicas = max(1, round(layout.gpus / gpus))
    calibration = shipped()
    split = [serving.predict(aggregated, serving.Workload(input_tokens, output_tokens, math.ceil(c / replicas)),
                             calibration) for c in concurrency]
    together = tuple(_scaled(p, c, replicas) for p, c in zip(split, concurrency, strict=True))
    apart = tuple(D.predict(layout, serving.Workload(input_tokens, output_tokens, c), calibration)
                  for c in concurrency)
    return Compared(together, replicas, apart, layout)


def _scaled(one: Prediction, concurrency: int, replicas: int) -> Prediction:
    """`replicas` replicas each serving its share: the deployment's figures (latencies are one replica's)."""
    return Prediction(concurrency, one.batch * replicas, one.ttft_s, one.tpot_s, one.requests_per_s * replicas,
                      one.output_tokens_per_s * replicas, one.total_tokens_per_s * replicas, one.gpus * replicas,
                      one.source, one.note)
