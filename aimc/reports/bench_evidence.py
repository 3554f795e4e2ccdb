"""Measured figures as recipe evidence: `aimc bench report --write-recipe FILE` records them in the recipe's
`benchmarks` field, and `aimc explain` prints those of the selected configuration.

An entry is identified by configuration, scenario, concurrency and request rate: a new measurement replaces the old
one of the same identity and keeps the others. The edit changes the `benchmarks` field alone (reports/recipe_edit.py:
the YAML node in place, comments and order kept; JSON rewritten as JSON), under a lock against concurrent writers,
and replaces the file only once the result re-loads as the same recipe plus the new field and passes the recipe
schema (emit/files.py: a temporary file renamed over the original). A figure that is not a finite number is left out.
"""

from __future__ import annotations

import math
from pathlib import Path

from aimc.emit import files
from aimc.errors import Collector, Diagnostic, UserError
from aimc.load import documents, limits
from aimc.reports import recipe_edit
from aimc.reports.bench import Result
from aimc.validate import schema

FIELD = "benchmarks"
COMMENT = "# Measured by `aimc bench report --write-recipe` (see README, Benchmarks)."


def entry(result: Result) -> dict:
    out: dict = {"configuration": result.get("configuration"), "scenario": result.get("scenario")}
    if result.concurrency is not None:
        out["concurrency"] = result.concurrency
    out["requestRate"] = result.request_rate
    for key, value in (("image", result.get("image")), ("date", result.date)):
        if value:
            out[key] = value
    out["completed"] = result.completed
    for key, column in (("requestThroughput", "request_throughput"), ("outputThroughput", "output_throughput"),
                        ("totalThroughput", "total_throughput")):
        if _finite(result.metric(column)):
            out[key] = round(result.metric(column), 2)
    for key, prefix in (("ttftMs", "ttft"), ("itlMs", "itl")):
        figures = {p: round(result.metric(f"{prefix}_{p}_ms"), 1) for p in ("p50", "p99")
                   if _finite(result.metric(f"{prefix}_{p}_ms"))}
        if figures:
            out[key] = figures
    return out


def _finite(value) -> bool:
    """NaN and infinities (a run with no successful request) are no measurement: YAML would write them as .nan."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _identity(item: dict) -> tuple:
    return (item.get("configuration"), item.get("scenario"), item.get("concurrency"), str(item.get("requestRate")))


def write_recipe(path: str, results: list[Result]) -> int:
    """Record the results measured with this recipe in its file; returns how many entries were written."""
    target = Path(path)
    try:
        target = target.resolve(strict=True)  # a link stays a link: its target is edited
    except (OSError, RuntimeError) as exc:
        raise UserError([Diagnostic(path, 0, "", f"cannot read: {getattr(exc, 'strerror', None) or exc}")]) from None
    try:
        with files.locked(target):
            old_text = _read(path, target)
            old = _recipe(old_text, path, "")
            mine = _measured_with(old["recipe_id"], results, path)
            new_text = _edited(old_text, old, mine, path)
            new = _recipe(new_text, path, "the edited recipe would be invalid (nothing was written): ")
            if _without(new) != _without(old):  # pragma: no cover - the edit touches the field alone
                raise UserError([Diagnostic(path, 0, "", "the edit would change more than the benchmarks field; "
                                                         "nothing was written")])
            files.replace_text(target, new_text)
    except OSError as exc:
        raise UserError([Diagnostic(path, 0, "", f"cannot write: {exc.strerror or exc}; the recipe is unchanged")]
                        ) from None
    return len(mine)


def _read(path: str, target: Path) -> str:
    collector = Collector()
    try:
        raw = limits.read_file(target)
    except (limits.InputTooLarge, limits.NotRegularFile) as exc:
        raise UserError([Diagnostic(path, 1, "", exc.message())]) from None
    except OSError as exc:
        raise UserError([Diagnostic(path, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    text = documents.decode(raw, path, collector)
    collector.raise_if_errors()
    return text or ""


def _recipe(text: str, path: str, context: str) -> dict:
    """The one recipe document of `text`, loaded as every command loads it and valid against the recipe schema."""
    collector = Collector()
    docs = documents.load_file(documents.SourceFile(path, path, text), collector)
    if collector.errors:
        raise UserError([Diagnostic(d.file, d.line, d.field, context + d.message) for d in collector.errors])
    if len(docs) != 1 or docs[0].kind != "recipe":
        raise UserError([Diagnostic(path, 0, "", "not an AIM framework recipe (one document with recipe_id): "
                                                 "--write-recipe writes only those")])
    problems = schema.validate("recipe", docs[0].data, path, docs[0].line)
    if problems:
        raise UserError([Diagnostic(d.file, d.line, d.field, context + d.message) for d in problems])
    return docs[0].data


def _measured_with(recipe_id: str, results: list[Result], path: str) -> list[Result]:
    mine = [r for r in results if r.get("recipe") == recipe_id and r.get("configuration") and r.get("scenario")]
    if not mine:
        found = sorted({r.get("recipe") or "none" for r in results})
        raise UserError([Diagnostic(path, 0, "recipe_id", f"no result was measured with recipe '{recipe_id}' "
                                                          f"(results name: {', '.join(found)}); results of aimc's "
                                                          "benchmark Jobs carry their recipe")])
    return mine


def _edited(text: str, recipe: dict, mine: list[Result], path: str) -> str:
    merged = {_identity(e): e for e in recipe.get(FIELD) or [] if isinstance(e, dict)}
    for result in mine:
        item = entry(result)
        merged[_identity(item)] = item
    items = sorted(merged.values(), key=lambda e: (str(e.get("configuration")), str(e.get("scenario")),
                                                   e.get("concurrency") or 0, str(e.get("requestRate"))))
    try:
        return recipe_edit.set_field(text, FIELD, _plain(items), COMMENT)
    except recipe_edit.NotEditable as exc:
        raise UserError([Diagnostic(path, 1, "", f"cannot edit this recipe: {exc}")]) from None


def _plain(value):
    """Plain dicts, lists and scalars (the loader's position-carrying types dump as Python objects)."""
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    return value


def _without(recipe: dict) -> dict:
    return {key: value for key, value in recipe.items() if key != FIELD}


def explain_lines(recipe, engine: str, config_key: str) -> list[str]:
    """`measured:` lines for `aimc explain`, from the recipe's `benchmarks` of this configuration."""
    data = recipe.origin.data
    items = data.get(FIELD) if isinstance(data, dict) else None
    lines = []
    for item in items or ():
        if not isinstance(item, dict) or item.get("configuration") != f"{engine}/{config_key}":
            continue
        load = f"concurrency {item['concurrency']}" if "concurrency" in item else f"rate {item.get('requestRate')}"
        figures = [f"{item['outputThroughput']} output tok/s" if "outputThroughput" in item else None]
        for key, name in (("ttftMs", "TTFT"), ("itlMs", "ITL")):
            if isinstance(item.get(key), dict):
                figures.append(f"{name} " + " ".join(f"{p} {v} ms" for p, v in item[key].items()))
        when = f", {item['date']}" if item.get("date") else ""
        lines.append(f"measured ({item.get('scenario')}, {load}{when}): "
                     + ", ".join(f for f in figures if f))
    return lines
