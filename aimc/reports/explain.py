"""`aimc explain`: the selection trace in plain words."""

from __future__ import annotations

from collections.abc import Callable

from aimc import pipeline
from aimc.errors import Collector
from aimc.load.documents import SourceFile
from aimc.model.performance import Assessment
from aimc.model.plan import Selection, TraceEntry, Verdict
from aimc.reports import disaggregation_lines
from aimc.resolve import candidates as select


def explain(options: pipeline.Options, only=()) -> tuple[str, bool]:
    """Text for every (or the named) endpoint, and whether every explained endpoint resolved.

    Named endpoints are explained from the files that can hold them (and every file that is not only endpoints):
    their selection, fit and flags do not depend on the other endpoints, whose files are neither parsed nor resolved
    (in a 1,000-endpoint repository that was 0.63x a build, issue 24). Repository-wide checks (node pool capacity,
    problems in other endpoints' files) are `aimc validate`'s and `aimc plan`'s. When a name is not found that way,
    the whole repository is read, so that the answer lists every endpoint."""
    if only:
        text, ok, found = _explain(options, set(only), keep=_may_hold(set(only)))
        if found:
            return text, ok
    text, ok, _ = _explain(options, set(only))
    return text, ok


# The kinds a file may hold besides AIMEndpoints that explain needs (the inventory, models, scenarios).
_OTHER_OWN_KINDS = ("ClusterInventory", "AIMModel", "AIMBenchmarkScenario")


def _may_hold(names: set[str]) -> Callable[[SourceFile], bool]:
    """Whether a file may define one of NAMES or something else explain needs, judged on its text: a file that holds
    AIMEndpoints (the word appears) but none of the names nor another kind of aimc's is skipped. A backslash may be
    an escape that spells a name or a kind otherwise: such a file is parsed."""
    def keep(source_file: SourceFile) -> bool:
        text = source_file.text
        if "AIMEndpoint" not in text or "\\" in text:
            return True
        return any(name in text for name in names) or any(kind in text for kind in _OTHER_OWN_KINDS)
    return keep


def _explain(options: pipeline.Options, names: set[str], keep=None) -> tuple[str, bool, bool]:
    """(text, ok, whether any of NAMES was found); every endpoint when NAMES is empty."""
    collector = Collector()
    inputs = pipeline.load_inputs(options, collector, keep)
    if collector.errors:
        return "".join(d.format() + "\n" for d in collector.errors), False, False
    if inputs.inventory is None:
        return "aimc: no ClusterInventory found among the inputs; pass --inventory FILE\n", False, False
    resolution = pipeline.resolve_inputs(inputs, collector, options, explain_hint=False)
    # Keyed on the engine's own endpoint: a disaggregated role's is its view `<name>-<role>` (its selection's).
    resolved = {(e.endpoint.name, e.engine): e for r in resolution.endpoints for e in r.engines}
    owners = {(e.endpoint.name, e.engine): r for r in resolution.endpoints for e in r.engines}
    lines: list[str] = []
    ok = True
    for selection in resolution.selections:
        endpoint = selection.endpoint
        if names and endpoint.name not in names and disaggregation_lines.owner_name(selection) not in names:
            continue
        lines.append(f"endpoint {endpoint.name} ({endpoint.origin.file}:{endpoint.origin.line}), "
                     f"engine {selection.engine}")
        lines.extend(f"  {line}" for line in disaggregation_lines.role_lines(selection))
        lines.append(f"  asks for: {select.describe_request(endpoint, selection.request)}")
        if endpoint.objective is not None:
            lines.append(f"  objective: {endpoint.objective.describe()} (spec.objective; medians predicted by the "
                         "performance model, docs/concepts/performance.md)")
            owner = owners.get((endpoint.name, selection.engine))
            lines.extend(f"  {line}" for line in (owner.serving if owner is not None else ()))
        for line in explain_facts(selection):
            lines.append(f"  {line}")
        if not selection.trace:
            lines.append("  no candidate configuration")
        workload, workload_line = _default_workload(selection, inputs)
        for entry in selection.trace:
            detail = explain_detail(entry)
            lines.append(f"  - {entry.candidate.label()}: {explain_verdict(entry)}"
                         + (f": {detail}" if detail else ""))
            if entry.verdict is Verdict.REJECTED and entry.fit is not None and entry.fit.defaults:
                lines.append(f"    defaults the fit used: {entry.fit.defaults}")  # a newer release may fit
            if entry.objective is not None:
                lines.append(f"      predicted: {prediction_line(entry.objective)}")
            elif entry.verdict is not Verdict.REJECTED:
                lines.append(f"      predicted {workload_line}: {_predicted(entry, selection, inputs, workload)}")
        engine = resolved.get((endpoint.name, selection.engine))
        if engine is not None:
            lines.extend(f"  {line}" for line in group_lines(engine))
            lines.append(f"  image: {engine.image}" + (f" ({engine.runtime.source})" if engine.runtime else ""))
            if engine.runtime is not None:
                lines.append(f"  engine: {engine.runtime.engine} {engine.runtime.version} ({engine.runtime.how}), "
                             f"architecture {engine.runtime.arch or 'unknown'} ({engine.pool.hardware})")
            lines.append(f"  args: {' '.join(engine.args)}")
            owner = owners[(endpoint.name, selection.engine)]
            lines.extend(f"  {line}" for line in _delivery_lines(owner, engine, inputs.inventory))
            for note in engine.notes:
                lines.append(f"  note: {note}")
            lines.append(f"  engine flags checked against: {engine.flag_set}")
            lines.extend(f"  {line}" for line in _adapter_lines(owner, engine, inputs, resolution.endpoints))
            lines.extend(f"  dropped: {flag}" for flag in engine.dropped)
            lines.extend(f"  {line}" for line in _measured(engine))
            lines.extend(f"  {line}" for line in disaggregation_lines.joined_lines(owner, engine))
        else:
            ok = False
            lines.append("  RESULT: no configuration (see the errors below)")
        lines.append("")
    found = any(s.endpoint.name in names or disaggregation_lines.owner_name(s) in names
                for s in resolution.selections)
    if names and not found:
        known = sorted({e.name for e in inputs.endpoints})
        lines.append(f"aimc: no endpoint named {', '.join(sorted(names))}; endpoints: {', '.join(known)}")
        ok = False
    shown = [d for d in (*collector.warnings, *collector.errors) if _concerns(d, inputs, names)]
    lines.extend(d.format() for d in shown)
    if any(d.severity == "error" for d in shown):
        ok = False
    return "\n".join(lines) + ("\n" if lines else ""), ok, found


def _adapter_lines(resolved, engine, inputs, endpoints) -> list[str]:
    """The LoRA adapters' lines. reports.adapters imports the render package (a quarter of explain's imports): only
    for an endpoint that has adapters (its explain_lines says nothing of the others)."""
    if not resolved.endpoint.adapters:
        return []
    from aimc.reports import adapters

    return adapters.explain_lines(resolved, engine, inputs.inventory, inputs.models, endpoints)


def _delivery_lines(resolved, engine, inventory) -> list[str]:
    """How the engine gets its model and GPUs (reports/delivery_lines.py, which imports the renderers only for a DRA
    pool)."""
    from aimc.reports import delivery_lines

    return delivery_lines.lines(resolved, engine, inventory)


def _measured(engine) -> list[str]:
    """The `measured:` lines of the recipe's benchmarks of this configuration. bench_evidence (and what it imports
    to edit recipes) is loaded only for a recipe that has `benchmarks` (its FIELD): 2 ms of explain's start-up."""
    data = engine.recipe.origin.data
    if not (isinstance(data, dict) and data.get("benchmarks")):
        return []
    from aimc.reports import bench_evidence

    return bench_evidence.explain_lines(engine.recipe, engine.engine, engine.config.key)


def _concerns(diagnostic, inputs, names) -> bool:
    """With --endpoint, a diagnostic is shown unless it belongs to another endpoint's file."""
    if not names:
        return True
    other_files = {e.origin.file for e in inputs.endpoints if e.name not in names}
    own_files = {e.origin.file for e in inputs.endpoints if e.name in names}
    return diagnostic.file in own_files or diagnostic.file not in other_files


def _default_workload(selection: Selection, inputs) -> tuple:
    """Without spec.objective, candidates are predicted at the endpoint's benchmark scenario (spec.benchmark), else
    the built-in `latency` one, at its first concurrency."""
    from aimc.perf.serving import Workload
    from aimc.validate import scenarios

    local = inputs.benchmarks.scenarios if inputs.benchmarks else ()
    asked = inputs.benchmarks.request_for(selection.endpoint.name, selection.endpoint.namespace) \
        if inputs.benchmarks else None
    scenario = asked.scenario if asked is not None else scenarios.find("latency", local)
    assert scenario is not None  # a built-in scenario
    concurrency = next((c for c in scenario.concurrency if c), 1)
    return (Workload(scenario.input_tokens, scenario.output_tokens, concurrency),
            (f"({scenario.name} scenario: {scenario.input_tokens} + {scenario.output_tokens} tokens, "
             f"{concurrency} request{'s' if concurrency != 1 else ''} in flight)"))


def _predicted(entry: TraceEntry, selection: Selection, inputs, workload) -> str:
    from aimc.resolve import objective

    local = inputs.benchmarks.scenarios if inputs.benchmarks else ()
    found = objective.predict_entry(entry, selection.endpoint, selection.request, inputs.models, workload, local)
    if isinstance(found, objective.Unpredictable):
        return f"no prediction: {found.reason}"
    return found.figures() + (f"; {found.note}" if found.note else "")


def prediction_line(assessment: Assessment) -> str:
    """`meets (TTFT 0.1 s of 2 s, ...): 2 replicas × 2 GPUs = 4 GPUs, 32 requests per replica: TTFT ..., (model)`."""
    gpus = assessment.prediction.gpus
    verdict = "meets" if assessment.meets else "misses"
    return (f"{verdict} ({assessment.margin}): {assessment.replicas} replica{'s' if assessment.replicas != 1 else ''}"
            f" × {gpus} GPU{'s' if gpus != 1 else ''} = {assessment.total_gpus()} GPUs, "
            f"{assessment.per_replica_concurrency} request{'s' if assessment.per_replica_concurrency != 1 else ''} "
            f"in flight per replica: {assessment.prediction.figures()}"
            + (f"; {assessment.prediction.note}" if assessment.prediction.note else ""))


def explain_verdict(entry: TraceEntry) -> str:
    if entry.verdict is Verdict.SELECTED:
        return "SELECTED"
    if entry.verdict is Verdict.KEPT:
        return "kept, ranked lower"
    assert entry.reason is not None  # every rejection gives its reason
    return f"rejected ({entry.reason.value})"


def explain_detail(entry: TraceEntry) -> str:
    """Why, after the verdict: the memory arithmetic, why it was not checked, or what was asked."""
    if entry.fit is not None:
        return entry.fit.describe() if entry.verdict is Verdict.REJECTED else f"fits: {entry.fit.describe()}"
    if entry.fit_unchecked:
        return f"fit not checked: {entry.fit_unchecked}"
    return entry.why


def explain_facts(selection: Selection) -> list[str]:
    """The selected configuration's memory per GPU and the engine release's defaults it assumed (the release of the
    image: a newer image can change them), or why it was not checked."""
    selected = selection.selected
    lines = []
    if selected is not None and selected.candidate.recipe.generated:
        lines.append("generated: no written recipe or profile serves this model; configurations generated from its "
                     "facts rank after every written one, then as usual (fewest GPUs first)")
    if selected is not None and selected.fit is not None:
        defaults = [f"defaults the fit used: {selected.fit.defaults}"] if selected.fit.defaults else []
        return [*lines, f"memory per GPU: {selected.fit.describe()}", *defaults]
    if selected is not None and selected.fit_unchecked:
        return [*lines, f"memory per GPU: fit not checked: {selected.fit_unchecked}"]
    return lines


def group_lines(engine) -> list[str]:
    """A multi-node group: its size, the TP × PP plan and how the memory fit splits weights and KV cache."""
    group = engine.group
    if group is None:
        return []
    lines = [(f"group: LeaderWorkerSet of {group.nodes} pods, each with a whole node's {group.gpus_per_node} GPUs "
              f"(pool {engine.pool.name})"),
             f"parallelism: {group.arithmetic()}"]
    fit = engine.trace[0].fit if engine.trace and engine.trace[0].fit is not None else None
    if fit is not None:
        lines.append(f"memory per GPU of the group: weights / (TP × PP = {group.tp * group.pp}), "
                     f"KV cache per pipeline stage / {fit.kv_split} (PP {group.pp} × {fit.kv_split // group.pp} ways "
                     "within a stage)")
    return lines
