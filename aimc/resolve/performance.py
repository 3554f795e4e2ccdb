"""The performance model's view of a configuration: what aimc/perf needs (model, GPU peaks, precision, engine,
parallelism, the batch limits of the command line) and what the memory fit says the KV cache holds.

`aimc estimate`, `spec.objective` selection, `explain` and `plan` all build their configurations here, so they
predict the same figures for the same configuration.
"""

from __future__ import annotations

from aimc.model.facts import ModelFacts
from aimc.model.plan import Fit
from aimc.perf.hardware import all_peaks, peaks
from aimc.perf.physics import Configuration
from aimc.records import Record
from aimc.resolve import fit as fit_mod
from aimc.resolve.fit_kv import GIB
from aimc.resolve.fit_settings import Settings


class Unpredictable(Record):
    """Why a configuration has no prediction (a GPU without peaks, a fit that fails, heads TP cannot split)."""

    reason: str


def kv_capacity_tokens(fit: Fit) -> int:
    """Tokens the KV cache (vLLM) or KV pool (SGLang) holds per replica, from the fit's one max-length sequence."""
    if fit.kv_left_gib <= 0 or fit.kv_gib <= 0:
        return 0
    return int(fit.kv_left_gib / fit.kv_gib * fit.max_len)


def configuration(model: ModelFacts, gpu: str, precision: str, engine: str, tp: int, pp: int,
                  memory_gib: float | None, settings: Settings,
                  fit: Fit | None = None) -> Configuration | Unpredictable:
    """The configuration of one replica, or why it cannot be predicted. `fit`: the memory arithmetic selection
    already did (else it is computed here)."""
    known = peaks(gpu)
    if known is None:
        have = ", ".join(sorted(p.gpu for p in all_peaks().values()))
        return Unpredictable(f"no performance peaks for {gpu} in the hardware catalog (the model knows {have})")
    problem = fit_mod.topology_problem(model, tp)
    if problem:
        return Unpredictable(problem)
    if fit is None and memory_gib is not None:
        fit = fit_mod.compute(model, precision, tp * pp, memory_gib, settings, engine, pp)
    if fit is not None and not fit.fits:
        return Unpredictable(f"does not fit: {fit.summary()}")
    return Configuration(model, known, precision, engine, tp, pp, settings.max_num_seqs, settings.kv_dtype,
                         settings.batched_tokens, kv_capacity_tokens(fit) if fit is not None else None)


__all__ = ["GIB", "Unpredictable", "configuration", "kv_capacity_tokens"]
