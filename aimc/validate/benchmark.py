"""validate: AIMBenchmarkScenario documents and an endpoint's `spec.benchmark` (schema-checked already)."""

from __future__ import annotations

from aimc.errors import Collector, did_you_mean
from aimc.load.documents import Document
from aimc.model.benchmark import BenchmarkInputs, BenchmarkRequest, Scenario
from aimc.model.inputs import Endpoint
from aimc.model.origin import Origin
from aimc.validate import scenarios as catalog
from aimc.validate import schema


def parse(documents: list[Document], endpoints, collector: Collector) -> BenchmarkInputs:
    """The repository's scenarios and every endpoint's post-sync benchmark. Invalid scenario documents were reported
    by the schema check; they are skipped here."""
    local: list[Scenario] = []
    seen: dict[str, Origin] = {}
    for doc in documents:
        if doc.kind != "scenario" or not schema.is_valid("scenario", doc.data):
            continue
        scenario = catalog.scenario_from(doc.data, Origin(doc.file, doc.source, doc.line, doc.data))
        if scenario.name in seen:
            first = seen[scenario.name]
            collector.error(doc.file, scenario.origin.line_of("metadata", "name"), "metadata.name",
                            f"scenario '{scenario.name}' is also defined at {first.file}:"
                            f"{first.line_of('metadata', 'name')}; "
                            "rename one of them")
            continue
        seen[scenario.name] = scenario.origin
        local.append(scenario)
    requests = [r for r in (request(e, tuple(local), collector) for e in endpoints) if r is not None]
    if not local and not requests:
        return BenchmarkInputs()
    return BenchmarkInputs(tuple(local), tuple(requests))


def request(endpoint: Endpoint, local, collector: Collector) -> BenchmarkRequest | None:
    # Validation reads the document itself (schema-valid by now); later stages get the typed BenchmarkRequest.
    raw = ((endpoint.origin.data or {}).get("spec") or {}).get("benchmark")
    if raw is None:
        return None
    name = raw.get("scenario", catalog.POST_SYNC_SCENARIO)
    scenario = catalog.find(name, local)
    line = endpoint.origin.line_of("spec", "benchmark", "scenario")
    if scenario is None:
        known = [s.name for s in catalog.merged(local)]
        collector.error(endpoint.origin.file, line,
                        "spec.benchmark.scenario", f"unknown scenario '{name}'{did_you_mean(name, known)}; known: "
                        f"{', '.join(known)} (add one with a kind: AIMBenchmarkScenario document)")
        return None
    if scenario.timeout_seconds > catalog.MAX_POST_SYNC_SECONDS:
        short = [s.name for s in catalog.merged(local) if s.timeout_seconds <= catalog.MAX_POST_SYNC_SECONDS]
        collector.error(endpoint.origin.file, line, "spec.benchmark.scenario", (
            f"scenario '{name}' may run {scenario.timeout_seconds} s: as an Argo CD PostSync hook it would keep "
            f"every sync of this application Running that long, and fail the sync when it fails; run it with "
            f"`aimc bench --scenario {name}` instead, and name a scenario of at most "
            f"{catalog.MAX_POST_SYNC_SECONDS} s (timeoutSeconds) here: {', '.join(short) or 'add one'}"))
        return None
    return BenchmarkRequest(endpoint.name, endpoint.namespace, scenario, raw.get("resultsClaim"), endpoint.origin)
