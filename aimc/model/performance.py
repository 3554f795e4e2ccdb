"""Frozen records (aimc/records.py) of performance: an endpoint's service-level objective (`spec.objective`), a
prediction of the performance model (aimc/perf), and how a candidate configuration fares against the objective."""

from __future__ import annotations

from aimc.records import Record


class Objective(Record):
    """spec.objective: the workload (fixed lengths; concurrency or a request rate) and the median targets."""

    input_tokens: int
    output_tokens: int
    concurrency: int | None = None  # requests in flight over every replica
    requests_per_second: float | None = None
    max_ttft_s: float | None = None
    max_tpot_s: float | None = None
    serving: str | None = None  # spec.objective.serving as written: aggregated, disaggregated, auto; None: aggregated

    def describe(self) -> str:
        """`TTFT <= 2 s, TPOT <= 0.04 s at 64 concurrent requests of 1024 + 512 tokens`."""
        targets = [f"{name} <= {value:g} s" for name, value in (("TTFT", self.max_ttft_s), ("TPOT", self.max_tpot_s))
                   if value is not None]
        load = (f"{self.concurrency} concurrent requests" if self.concurrency is not None
                else f"{self.requests_per_second:g} requests/s")
        return f"{', '.join(targets)} at {load} of {self.input_tokens} + {self.output_tokens} tokens"


class Prediction(Record):
    """The medians a load generator would measure for one replica at one concurrency."""

    concurrency: int
    batch: int  # requests running at once (the rest wait)
    ttft_s: float
    tpot_s: float
    requests_per_s: float
    output_tokens_per_s: float  # one replica
    total_tokens_per_s: float  # one replica, prompt + output
    gpus: int
    source: str = "model"  # "model" or "measured"
    note: str = ""  # where a measured figure comes from

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        return self.output_tokens_per_s / self.gpus

    @property
    def total_tokens_per_s_per_gpu(self) -> float:
        return self.total_tokens_per_s / self.gpus

    def figures(self) -> str:
        """`TTFT 0.41 s, TPOT 31.2 ms, 5.31 req/s, 2716 output tok/s (model)`."""
        return (f"TTFT {self.ttft_s:.3g} s, TPOT {self.tpot_s * 1000:.3g} ms, {self.requests_per_s:.3g} req/s, "
                f"{self.output_tokens_per_s:.4g} output tok/s per replica ({self.source})")


class Assessment(Record):
    """One candidate judged against an objective: its prediction at the load each replica carries, the replicas the
    workload needs, and whether (and by how much) it meets the targets."""

    prediction: Prediction  # at `per_replica_concurrency`
    replicas: int
    per_replica_concurrency: int
    meets: bool
    margin: str  # e.g. "TTFT 0.41 s of 2 s (80 % headroom), TPOT 31 ms of 40 ms (22 %)"

    def total_gpus(self) -> int:
        return self.replicas * self.prediction.gpus
