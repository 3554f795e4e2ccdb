"""Measured figures as recipe evidence: `aimc bench report --write-recipe FILE` records them in the recipe's
`benchmarks` field, and `aimc explain` prints those of the selected configuration.

The field is rewritten as a block at the end of the file; everything else in the file (comments included) is kept
as it was. An entry is identified by configuration, scenario, concurrency and request rate: a new measurement
replaces the old one of the same identity and keeps the others.
"""

from __future__ import annotations

import re

import yaml

from aimc.errors import Diagnostic, UserError
from aimc.reports.bench import Result

FIELD = "benchmarks"
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*:")


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
        if result.metric(column) is not None:
            out[key] = round(result.metric(column), 2)
    for key, prefix in (("ttftMs", "ttft"), ("itlMs", "itl")):
        figures = {p: round(result.metric(f"{prefix}_{p}_ms"), 1) for p in ("p50", "p99")
                   if result.metric(f"{prefix}_{p}_ms") is not None}
        if figures:
            out[key] = figures
    return out


def _identity(item: dict) -> tuple:
    return (item.get("configuration"), item.get("scenario"), item.get("concurrency"), str(item.get("requestRate")))


def write_recipe(path: str, results: list[Result]) -> int:
    """Record the results measured with this recipe in its file; returns how many entries were written."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise UserError([Diagnostic(path, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    documents = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(documents) != 1 or not isinstance(documents[0], dict) or "recipe_id" not in documents[0]:
        raise UserError([Diagnostic(path, 0, "", "not an AIM framework recipe (one document with recipe_id): "
                                                 "--write-recipe writes only those")])
    recipe_id = documents[0]["recipe_id"]
    mine = [r for r in results if r.get("recipe") == recipe_id and r.get("configuration") and r.get("scenario")]
    if not mine:
        found = sorted({r.get("recipe") or "none" for r in results})
        raise UserError([Diagnostic(path, 0, "recipe_id", f"no result was measured with recipe '{recipe_id}' "
                                                          f"(results name: {', '.join(found)}); results of aimc's "
                                                          "benchmark Jobs carry their recipe")])
    merged = {_identity(e): e for e in documents[0].get(FIELD) or [] if isinstance(e, dict)}
    for result in mine:
        item = entry(result)
        merged[_identity(item)] = item
    items = sorted(merged.values(), key=lambda e: (str(e.get("configuration")), str(e.get("scenario")),
                                                   e.get("concurrency") or 0, str(e.get("requestRate"))))
    block = ("# Measured by `aimc bench report --write-recipe` (see README, Benchmarks).\n"
             + yaml.safe_dump({FIELD: items}, sort_keys=False, default_flow_style=False, width=1000))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_without_field(text).rstrip("\n") + "\n" + block)
    return len(mine)


def _without_field(text: str) -> str:
    """The recipe text without its top-level `benchmarks:` block (and the comment aimc writes above it)."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith(f"{FIELD}:"):
            skipping = True
            if out and out[-1].startswith("# Measured by `aimc bench report"):
                out.pop()
            continue
        if skipping and (_TOP_LEVEL_KEY.match(line) or line.startswith("---")):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


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
