"""The efficiency factors of the performance model, fitted on public measurements by tools/perf_calibrate.py and
checked in as aimc/catalog/perf-calibration.json with the data they were fitted on and the error they leave."""

from __future__ import annotations

from functools import cache

from aimc.catalog.files import read_json
from aimc.records import Record

FILE = "perf-calibration.json"


class Calibration(Record):
    """What the physics does not know: how close to its peaks an engine runs on AMD Instinct GPUs."""

    prefill_efficiency: float  # achieved / peak dense FLOP/s in prefill (compute-bound)
    decode_bandwidth_efficiency: float  # achieved / peak HBM bandwidth reading weights in decode (memory-bound)
    attention_bandwidth_efficiency: float  # achieved / peak HBM bandwidth reading the KV cache (paged attention)
    step_overhead_s: float  # per decode step: kernel launches, synchronisation
    sequence_overhead_s: float  # per decode step and running sequence: the engine's CPU work (scheduling, sampling)
    allreduce_latency_s: float  # per tensor-parallel all-reduce (two per layer and forward pass)

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        return cls(float(data["prefillEfficiency"]), float(data["decodeBandwidthEfficiency"]),
                   float(data["attentionBandwidthEfficiency"]),
                   float(data["stepOverheadSeconds"]), float(data["sequenceOverheadSeconds"]),
                   float(data["allreduceLatencySeconds"]))

    def to_json(self) -> dict:
        return {"prefillEfficiency": self.prefill_efficiency,
                "decodeBandwidthEfficiency": self.decode_bandwidth_efficiency,
                "attentionBandwidthEfficiency": self.attention_bandwidth_efficiency,
                "stepOverheadSeconds": self.step_overhead_s, "sequenceOverheadSeconds": self.sequence_overhead_s,
                "allreduceLatencySeconds": self.allreduce_latency_s}


@cache
def calibration_file() -> dict:
    return read_json(FILE)


def shipped() -> Calibration:
    """The factors aimc ships (one set: the calibration set is vLLM on MI300X/MI325X/MI355X; see the docs)."""
    return Calibration.from_json(calibration_file()["factors"])
