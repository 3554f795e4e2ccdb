"""`aimc recipes list|show|validate`."""

from __future__ import annotations

import json
from typing import Any

from aimc.emit import output as emit
from aimc.emit.commented import check_printed, comment
from aimc.errors import Collector, UserError, comment_text, did_you_mean
from aimc.load import documents
from aimc.model.inputs import Catalog
from aimc.validate import schema
from aimc.validate.recipes import builtin_catalog, merge_catalog, parse_recipe


def _catalog(recipe_dirs) -> Catalog:
    collector = Collector()
    docs = documents.load(documents.discover(list(recipe_dirs), collector), collector) if recipe_dirs else []
    local = []
    for doc in docs:
        if doc.kind in ("recipe", "profile"):
            problems = schema.validate(doc.kind, doc.data, doc.file, doc.line)
            collector.extend(problems)
            if not problems:
                recipe = parse_recipe(doc, collector, builtin=False)
                if recipe:
                    local.append(recipe)
    catalog = merge_catalog(builtin_catalog(), local, collector)
    collector.raise_if_errors()
    return catalog


def list_recipes(model, hardware, recipe_dirs, output_format) -> tuple[str, int]:
    """(the table or JSON, the number of recipes listed)."""
    from aimc.resolve.candidates import same_hardware

    rows: list[dict[str, Any]] = []
    for recipe in _catalog(recipe_dirs).recipes:
        if model and model.lower() not in recipe.model_id.lower():
            continue
        if hardware and not same_hardware(recipe.hardware, hardware):
            continue
        engines: dict[str, list[int]] = {}
        for config in recipe.configs:
            if config.enabled:
                engines.setdefault(config.engine, []).append(config.gpu_count)
        rows.append({
            "id": recipe.id, "model": recipe.model_id, "hardware": recipe.hardware, "precision": recipe.precision,
            "engines": {e: sorted(g) for e, g in engines.items()},
            "source": "built-in" if recipe.builtin else recipe.origin.file,
        })
    if hardware:
        _check_hardware(hardware, recipe_dirs)
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n", len(rows)
    table: list[tuple[str, ...]] = [("ID", "MODEL", "HARDWARE", "PRECISION", "GPUS", "SOURCE")]
    for row in rows:
        gpus = "; ".join(f"{e} {','.join(map(str, g))}" for e, g in row["engines"].items())
        # comment_text: a file name or model id holding a line break or an escape sequence stays one printable cell
        table.append(tuple(map(comment_text, (row["id"], row["model"], row["hardware"], row["precision"], gpus,
                                              row["source"]))))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    text = "".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() + "\n" for r in table)
    return text, len(rows)


def no_match_message(model, hardware) -> str:
    asked = " and ".join(f"{flag} {value}" for flag, value in (("--model", model), ("--hardware", hardware)) if value)
    return f"aimc: no recipe matches {asked or 'the filters'}; `aimc recipes list` shows them all"


def _check_hardware(hardware: str, recipe_dirs) -> None:
    """An unknown GPU name (`MI999`) is an error with a suggestion, not an empty table that reads "no recipes"."""
    from aimc.catalog import model_facts as facts
    from aimc.errors import Diagnostic
    from aimc.resolve.candidates import HARDWARE_EQUIVALENTS

    known = {*facts.hardware(), *HARDWARE_EQUIVALENTS, *(r.hardware.upper() for r in _catalog(recipe_dirs).recipes)}
    if hardware.upper() not in known:
        raise UserError([Diagnostic("--hardware", 0, "", f"unknown hardware '{hardware}'"
                                    f"{did_you_mean(hardware.upper(), sorted(known))}; known: "
                                    f"{', '.join(sorted(known))}")])


def show_recipe(recipe_id: str, recipe_dirs) -> str:
    catalog = _catalog(recipe_dirs)
    recipes = catalog.by_id()
    if recipe_id not in recipes:
        raise UserError([_unknown(recipe_id, recipes)])
    recipe = recipes[recipe_id]
    header = comment(f"{recipe.id}: {'built-in' if recipe.builtin else recipe.origin.file}")
    data = emit.plain(recipe.origin.data)
    return check_printed(f"{header}\n{emit.dump_yaml(data)}", [data])


def _unknown(recipe_id, recipes):
    from aimc.errors import Diagnostic

    return Diagnostic("aimc recipes show", 0, "", f"unknown recipe '{recipe_id}'{did_you_mean(recipe_id, recipes)}")


def validate_files(files, strict: bool):
    """Every check that applies to a recipe on its own; returns (count, warnings). AIMModel documents among the
    files give facts to the fit checks, as in a build; a recipe whose model has no facts warns as `build` does."""
    from aimc.resolve import recipe_checks
    from aimc.validate.convert import origin_of
    from aimc.validate.models import model_catalog

    collector = Collector()
    docs = documents.load(documents.discover(list(files), collector), collector)
    models, recipes = [], []
    for doc in docs:
        if doc.kind not in ("recipe", "profile", "model"):
            collector.error(doc.file, doc.line, "", "not a recipe (no recipe_id), AIM profile (no engine_args) or "
                                                    "AIMModel")
            continue
        problems = schema.validate(doc.kind, doc.data, doc.file, doc.line)
        if problems:
            collector.extend(problems)
        elif doc.kind == "model":
            models.append(doc)
        else:
            recipes.append(doc)
    catalog = model_catalog(models, collector)
    count, unknown_models = 0, set()
    for doc in recipes:
        count += 1
        recipe = parse_recipe(doc, collector, builtin=False)
        if recipe is None:
            continue
        collector.extend(recipe_checks.check_recipe(recipe))
        collector.extend(recipe_checks.check_fit(recipe, catalog))
        if recipe.model_id and recipe.model_id not in unknown_models and \
                catalog.lookup(recipe.model_id, recipe.huggingface_id) is None:
            unknown_models.add(recipe.model_id)  # once per model: 30 profiles of one model are one missing fact
            field = "aim_id" if recipe.format == "profile" and "aim_id" in doc.data else "model_id"
            line = origin_of(doc).line_of(field)
            collector.warn(doc.file, line, field,
                           f"no facts for model '{recipe.model_id}': memory fit and tensor-parallel topology were not "
                           "checked; describe the model in an AIMModel document (see the README, 'Memory fit') and "
                           "pass it along with the recipe")
    if strict:
        collector.warnings_as_errors()
    if collector.errors:  # report the warnings too: a recipe file is fixed in one pass
        raise UserError(sorted(set(collector.errors)) + collector.warnings)
    return count, collector.warnings
