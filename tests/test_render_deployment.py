"""The Deployment of one engine: its pieces."""

from __future__ import annotations

from pathlib import Path

from aimc.pipeline import Options, compile
from aimc.render import deployment

CASES = Path(__file__).parent / "cases"


def test_env_and_tolerations_are_fresh_copies_of_the_frozen_inputs():
    """Endpoint.env and NodePool.tolerations are read-only; each rendered Deployment gets dicts of its own."""
    result = compile(Options(paths=(str(CASES / "workloads-keda-cache-secrets" / "inputs"),)))
    resolved = next(r for r in result.resolution.endpoints if r.endpoint.env)
    engine = resolved.engines[0]
    first = deployment.environment(resolved, engine, result.inputs.inventory)
    second = deployment.environment(resolved, engine, result.inputs.inventory)
    assert first == second
    mine = [entry for entry in first if entry["name"] in {e["name"] for e in resolved.endpoint.env}]
    assert mine and all(type(entry) is dict for entry in mine)
    mine[0]["name"] = "CHANGED"  # a change to one rendered object ...
    assert "CHANGED" not in {e["name"] for e in second} | {e["name"] for e in resolved.endpoint.env}  # ... reaches none
