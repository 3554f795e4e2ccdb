"""Frozen records (aimc/records.py) of benchmarking: a scenario (what load to generate) and an endpoint's request for
one."""

from __future__ import annotations

from aimc.model.origin import BUILTIN, Origin
from aimc.records import Record


class Scenario(Record):
    """One load pattern: random prompts of fixed lengths, one run per (concurrency, request rate) pair."""

    name: str
    description: str
    input_tokens: int
    output_tokens: int
    prompts: int  # per run
    concurrency: tuple[int | None, ...] = (None,)  # None: no limit (every prompt at once, paced by request rate)
    request_rates: tuple[float | None, ...] = (None,)  # requests per second; None: all at once ("inf")
    range_ratio: float = 0.0
    timeout_seconds: int = 3600
    origin: Origin = BUILTIN

    def runs(self) -> tuple[tuple[int | None, float | None], ...]:
        return tuple((c, r) for c in self.concurrency for r in self.request_rates)


class BenchmarkRequest(Record):
    """`spec.benchmark` of an endpoint: run `scenario` after every Argo CD sync."""

    endpoint: str  # metadata.name
    namespace: str | None  # metadata.namespace as written (None: the inventory's or --namespace)
    scenario: Scenario
    results_claim: str | None
    origin: Origin


class BenchmarkInputs(Record):
    """What validate found about benchmarking: the AIMBenchmarkScenario documents and the endpoints that ask for a
    post-sync benchmark."""

    scenarios: tuple[Scenario, ...] = ()  # the repository's own (validate.scenarios adds the built-in ones)
    requests: tuple[BenchmarkRequest, ...] = ()

    def request_for(self, name: str, namespace: str | None) -> BenchmarkRequest | None:
        return next((r for r in self.requests if r.endpoint == name and r.namespace == namespace), None)
