"""`aimc explain`: the selection trace in plain words."""

from __future__ import annotations

from aimc import pipeline
from aimc.resolve import endpoints as resolve_mod
from aimc.resolve import candidates as select
from aimc.errors import Collector
from aimc.reports import bench_evidence as evidence


def explain(options: pipeline.Options, only=()) -> tuple[str, bool]:
    """Text for every (or the named) endpoint, and whether every explained endpoint resolved."""
    collector = Collector()
    inputs = pipeline.load_inputs(options, collector)
    if collector.errors:
        return "".join(d.format() + "\n" for d in collector.errors), False
    if inputs.inventory is None:
        return "aimc: no ClusterInventory found among the inputs; pass --inventory FILE\n", False
    resolution = pipeline.resolve_inputs(inputs, collector, options)
    resolved = {(r.endpoint.name, e.engine): e for r in resolution.endpoints for e in r.engines}
    lines: list[str] = []
    ok = True
    names = set(only)
    for selection in resolution.selections:
        endpoint = selection.endpoint
        if names and endpoint.name not in names:
            continue
        lines.append(f"endpoint {endpoint.name} ({endpoint.origin.file}:{endpoint.origin.line}), "
                     f"engine {selection.engine}")
        lines.append(f"  asks for: {select.describe_request(endpoint, selection.request)}")
        for line in explain_facts(selection):
            lines.append(f"  {line}")
        if not selection.candidates:
            lines.append("  no candidate configuration")
        for candidate in selection.candidates:
            if candidate is selection.chosen:
                verdict = "SELECTED"
            elif candidate.rejected:
                verdict = f"rejected ({candidate.rejected})"
            else:
                verdict = "kept, ranked lower"
            detail = f": {candidate.detail}" if candidate.detail else ""
            lines.append(f"  - {candidate.label()}: {verdict}{detail}")
        engine = resolved.get((endpoint.name, selection.engine))
        if engine is not None:
            lines.append(f"  image: {engine.image}")
            lines.append(f"  args: {' '.join(engine.args)}")
            for note in engine.trace:
                if note.startswith("note: "):
                    lines.append(f"  {note}")
            for key, value in engine.facts:
                lines.append(f"  {key}: {value}")
            lines.extend(f"  {line}" for line in evidence.explain_lines(engine.recipe, engine.engine, engine.config.key))
        else:
            ok = False
            lines.append("  RESULT: no configuration (see the errors below)")
        lines.append("")
    if names and not any(s.endpoint.name in names for s in resolution.selections):
        known = sorted({e.name for e in inputs.endpoints})
        lines.append(f"aimc: no endpoint named {', '.join(sorted(names))}; endpoints: {', '.join(known)}")
        ok = False
    shown = [d for d in (*collector.warnings, *collector.errors) if _concerns(d, inputs, names)]
    lines.extend(d.format() for d in shown)
    if any(d.severity == "error" for d in shown):
        ok = False
    return "\n".join(lines) + ("\n" if lines else ""), ok


def _concerns(diagnostic, inputs, names) -> bool:
    """With --endpoint, a diagnostic is shown unless it belongs to another endpoint's file."""
    if not names:
        return True
    other_files = {e.origin.file for e in inputs.endpoints if e.name not in names}
    own_files = {e.origin.file for e in inputs.endpoints if e.name in names}
    return diagnostic.file in own_files or diagnostic.file not in other_files


def explain_facts(selection) -> list[str]:
    """Extra lines other modules contribute (engine flag set versions, memory arithmetic)."""
    lines = []
    chosen = selection.chosen
    if chosen is not None and chosen.detail.startswith("fits: "):
        lines.append(f"memory per GPU: {chosen.detail[len('fits: '):]}")
    elif chosen is not None and chosen.detail.startswith("fit not checked"):
        lines.append(f"memory per GPU: {chosen.detail}")
    return lines
