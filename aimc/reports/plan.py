"""`aimc plan`: the capacity plan of every node pool (see capacity.py), and the capacity the performance model
predicts for endpoints with a `spec.objective` (requests and output tokens per second, per replica and per pool)."""

from __future__ import annotations

import json

from aimc import pipeline
from aimc.model.plan import ResolvedEndpoint
from aimc.records import replace
from aimc.reports import adapters
from aimc.resolve import capacity


def plan(options: pipeline.Options, output_format: str) -> tuple[str, list]:
    """The report, and the overcommit errors (empty with --allow-overcommit). Any other problem raises UserError."""
    result = pipeline.compile(replace(options, allow_overcommit=True, allow_empty=True))
    plans = capacity.plan(result.resolution.endpoints, result.inputs.inventory) if result.inputs.inventory else ()
    text = capacity.as_json(plans) if output_format == "json" else capacity.as_text(plans)
    endpoints = result.resolution.endpoints
    if output_format == "json" and adapters.plan_json(endpoints):
        text = json.dumps({**json.loads(text), "adapters": adapters.plan_json(endpoints)}, indent=2) + "\n"
    elif adapters.plan_rows(endpoints):
        text += "\n" + capacity.table(adapters.plan_rows(endpoints))
    predicted = predicted_capacity(endpoints)
    if predicted and output_format == "json":  # present only when an endpoint has an objective, like "adapters"
        text = json.dumps({**json.loads(text), "predictedCapacity": predicted}, indent=2, allow_nan=False) + "\n"
    elif predicted:
        text += _text(predicted)
    return text, capacity.overcommit_diagnostics(plans, allow=False) if not options.allow_overcommit else []


def predicted_capacity(endpoints: tuple[ResolvedEndpoint, ...]) -> list[dict]:
    """One row per engine with an objective: the replica's predicted throughput at its share of the workload."""
    rows = []
    for resolved in endpoints:
        for engine in resolved.engines:
            assessment = engine.objective
            if assessment is None:
                continue
            p = assessment.prediction
            name = f"{resolved.namespace}/{resolved.endpoint.name}" if resolved.namespace else resolved.endpoint.name
            rows.append({"endpoint": name, "engine": engine.engine, "nodePool": engine.pool.name,
                         "replicas": engine.replicas, "concurrencyPerReplica": assessment.per_replica_concurrency,
                         "requestsPerSecondPerReplica": round(p.requests_per_s, 3),
                         "outputTokensPerSecondPerReplica": round(p.output_tokens_per_s, 1),
                         "requestsPerSecond": round(p.requests_per_s * engine.replicas, 3),
                         "outputTokensPerSecond": round(p.output_tokens_per_s * engine.replicas, 1),
                         "meetsObjective": assessment.meets, "source": p.source})
    return rows


def _text(rows: list[dict]) -> str:
    if not rows:
        return ""
    header = ("ENDPOINT", "ENGINE", "NODE POOL", "REPLICAS", "REQ/S/REPLICA", "OUT TOK/S/REPLICA", "REQ/S",
              "OUT TOK/S", "OBJECTIVE", "SOURCE")
    table = [header] + [(r["endpoint"], r["engine"], r["nodePool"], str(r["replicas"]),
                         f"{r['requestsPerSecondPerReplica']:.2f}", f"{r['outputTokensPerSecondPerReplica']:.0f}",
                         f"{r['requestsPerSecond']:.2f}", f"{r['outputTokensPerSecond']:.0f}",
                         "meets" if r["meetsObjective"] else "misses", r["source"]) for r in rows]
    pools: dict[str, list[float]] = {}
    for r in rows:
        total = pools.setdefault(r["nodePool"], [0.0, 0.0])
        total[0] += r["requestsPerSecond"]
        total[1] += r["outputTokensPerSecond"]
    table += [(f"pool {pool}", "", pool, "", "", "", f"{req:.2f}", f"{tok:.0f}", "", "")
              for pool, (req, tok) in sorted(pools.items())]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    numeric = {3, 4, 5, 6, 7}
    lines = ["  ".join(c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
             for row in table]
    return ("\nPredicted capacity (spec.objective; the performance model's medians at each replica's share of the "
            "workload):\n" + "\n".join(lines) + "\n")
