"""validate: AIMBenchmarkScenario documents and an endpoint's `spec.benchmark` (schema-checked already)."""

from __future__ import annotations

from aimc.errors import Collector, did_you_mean
from aimc.load.documents import Document
from aimc.model.benchmark import BenchmarkInputs, BenchmarkRequest
from aimc.model.inputs import Endpoint
from aimc.model.origin import Origin
from aimc.validate import scenarios as catalog, schema


def parse(documents: list[Document], endpoints, collector: Collector) -> BenchmarkInputs:
    """The repository's scenarios and every endpoint's post-sync benchmark. Invalid scenario documents were reported
    by the schema check; they are skipped here."""
    local, seen = [], {}
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
    name = raw.get("scenario", catalog.DEFAULT_SCENARIO)
    scenario = catalog.find(name, local)
    if scenario is None:
        known = [s.name for s in catalog.merged(local)]
        collector.error(endpoint.origin.file, endpoint.origin.line_of("spec", "benchmark", "scenario"),
                        "spec.benchmark.scenario", f"unknown scenario '{name}'{did_you_mean(name, known)}; known: "
                        f"{', '.join(known)} (add one with a kind: AIMBenchmarkScenario document)")
        return None
    return BenchmarkRequest(endpoint.name, endpoint.namespace, scenario, raw.get("resultsClaim"), endpoint.origin)
