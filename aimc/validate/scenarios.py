"""validate: benchmark scenarios, the built-in ones (`benchmark-scenarios.yaml`, schema-checked like a repository's)
and the parsing of an AIMBenchmarkScenario."""

from __future__ import annotations

from functools import cache

from aimc.catalog.files import read_yaml_documents
from aimc.model.benchmark import Scenario
from aimc.model.origin import BUILTIN, Origin
from aimc.validate import schema

DEFAULT_SCENARIO = "latency"  # `aimc bench` without --scenario or spec.benchmark
# spec.benchmark without a scenario: an Argo CD PostSync hook holds the sync operation `Running` until the Job ends
# and a failed hook fails the sync (argo-cd docs/user-guide/sync-waves.md, "How phases work?"), so the hook runs a
# short smoke test by default and nothing longer than MAX_POST_SYNC_SECONDS; long scenarios are run with `aimc bench`.
POST_SYNC_SCENARIO = "smoke"
MAX_POST_SYNC_SECONDS = 900
DEFAULT_TIMEOUT_SECONDS = 3600


def scenario_from(data: dict, origin: Origin = BUILTIN) -> Scenario:
    """A schema-valid AIMBenchmarkScenario document as a Scenario."""
    spec = data["spec"]
    return Scenario(
        name=data["metadata"]["name"],
        description=spec.get("description", ""),
        input_tokens=spec["inputTokens"],
        output_tokens=spec["outputTokens"],
        prompts=spec["prompts"],
        concurrency=tuple(spec.get("concurrency") or (None,)),
        request_rates=tuple(float(r) for r in spec["requestRates"]) if spec.get("requestRates") else (None,),
        range_ratio=float(spec.get("rangeRatio", 0.0)),
        timeout_seconds=spec.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS),
        origin=origin,
    )


@cache
def builtin() -> tuple[Scenario, ...]:
    """The scenarios shipped with aimc. A defect here is a bug in aimc, not a user error."""
    scenarios = []
    for data in read_yaml_documents("benchmark-scenarios.yaml"):
        if not schema.is_valid("scenario", data):
            raise RuntimeError(f"built-in benchmark scenario {data['metadata']['name']!r} is invalid")
        scenarios.append(scenario_from(data))
    return tuple(scenarios)


def merged(local: tuple[Scenario, ...]) -> tuple[Scenario, ...]:
    """Built-in scenarios, each replaced by a repository's scenario of the same name, then the repository's others."""
    by_name = {s.name: s for s in builtin()}
    by_name.update({s.name: s for s in local})
    return tuple(by_name.values())


def find(name: str, local: tuple[Scenario, ...] = ()) -> Scenario | None:
    return next((s for s in merged(local) if s.name == name), None)
