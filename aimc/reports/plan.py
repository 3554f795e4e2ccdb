"""`aimc plan`: the capacity plan of every node pool (see capacity.py)."""

from __future__ import annotations

from aimc import pipeline
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
        import json

        text = json.dumps({**json.loads(text), "adapters": adapters.plan_json(endpoints)}, indent=2) + "\n"
    elif adapters.plan_rows(endpoints):
        text += "\n" + capacity.table(adapters.plan_rows(endpoints))
    return text, capacity.overcommit_diagnostics(plans, allow=False) if not options.allow_overcommit else []
