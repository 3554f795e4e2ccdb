"""Weight precision against the GPU architecture (runtime.yaml `precision`): FP8 (e4m3fnuz) needs gfx942 or newer,
FP4/MXFP4 needs gfx950; gfx90a has no FP8. Checked where it is written: the endpoint's `spec.precision` with its
`spec.hardware`, each candidate recipe on its node pool, and a recipe on its own hardware (`recipes validate`).
vLLM also runs MXFP4 checkpoints on older architectures by dequantizing the weights (see runtime.yaml).
"""

from __future__ import annotations

from aimc.catalog import runtime as rt
from aimc.errors import Diagnostic
from aimc.memo import compile_table
from aimc.model.inputs import Endpoint, EngineRequest, Recipe
from aimc.model.plan import Reason, TraceEntry, Verdict
from aimc.records import replace
from aimc.resolve.images import architecture, hardware_of


def precision_problem(precision: str | None, hardware: str | None, engine: str) -> str | None:
    """Why `engine` cannot run `precision` on `hardware`, or None (also when either is unknown)."""
    # Remembered for the compile: every endpoint and every candidate asks, about a handful of (precision, hardware,
    # engine) names. Measured at 10,000 endpoints (bench/generate.py): 22,638 candidates' questions of 20 distinct,
    # 14 ms with the memo against 26 ms without (the endpoints' own questions come on top).
    # The names are text or None (each class checked), so the tuple is a typed key as it is.
    if _text_or_none(precision) and _text_or_none(hardware) and engine.__class__ is str:
        table = compile_table(precision_problem)
        key = (precision, hardware, engine)
        try:
            return table[key]
        except KeyError:
            if len(table) >= 1024:
                table.clear()
            found = table[key] = _precision_problem(precision, hardware, engine)
            return found
    return _precision_problem(precision, hardware, engine)


def _text_or_none(value) -> bool:
    return value is None or value.__class__ is str


def _precision_problem(precision: str | None, hardware: str | None, engine: str) -> str | None:
    arch = architecture(hardware)
    supported = rt.runtime().precision_architectures(precision, engine)
    if arch is None or supported is None or arch in supported:
        return None
    where = "; ".join(f"{a} ({hardware_of(a)})" for a in supported)
    return (f"{precision} weights need {' or '.join(supported)} with {engine}; {str(hardware).upper()} is {arch}, "
            f"which has no {precision} support: use {where}, or another precision")


def endpoint_problems(endpoint: Endpoint) -> list[Diagnostic]:
    """`spec.precision` that `spec.hardware` cannot run."""
    problems = {problem for r in endpoint.engines
                if (problem := precision_problem(endpoint.precision, endpoint.hardware, r.engine)) is not None}
    origin = endpoint.origin
    return [Diagnostic(origin.file, origin.line_of("spec", "precision"), "spec.precision", problem)
            for problem in sorted(problems)]


def precision_check(endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> TraceEntry:
    """A candidate filter for `resolve(checks=...)`: a recipe whose precision its node pool cannot run."""
    candidate = entry.candidate
    if entry.verdict is Verdict.REJECTED or candidate.pool is None:
        return entry
    problem = precision_problem(candidate.recipe.precision, candidate.pool.hardware, candidate.config.engine)
    if problem is None:
        return entry
    return replace(entry, verdict=Verdict.REJECTED, reason=Reason.PRECISION, why=problem)


def recipe_problems(recipe: Recipe) -> list[Diagnostic]:
    """A recipe (or profile) whose precision its own hardware cannot run, at the line of its precision."""
    problems = {problem for c in recipe.configs
                if (problem := precision_problem(recipe.precision, recipe.hardware, c.engine)) is not None}
    path = ("metadata", "precision") if recipe.format == "profile" else ("precision",)
    origin = recipe.origin
    return [Diagnostic(origin.file, origin.line_of(*path), ".".join(path), problem) for problem in sorted(problems)]
