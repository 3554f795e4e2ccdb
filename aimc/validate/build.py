"""validate: schema-check raw documents, then build the frozen records of `model.inputs`.

All documents are checked; every error of every file is collected before anything is reported. One module per kind
of input does the building: `endpoints`, `inventory`, `recipes` (and `profiles`), `objects` (pass-through objects).
"""

from __future__ import annotations

from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.inputs import Catalog, Inputs, PassthroughObject
from aimc.validate import benchmark, kube_values, schema
from aimc.validate.convert import origin_of
from aimc.validate.endpoints import check_unique_endpoints, parse_endpoint
from aimc.validate.inventory import choose_inventory, parse_inventory
from aimc.validate.objects import is_previous_output, object_problems
from aimc.validate.recipes import builtin_catalog, merge_catalog, parse_recipe


def parse_inputs(documents: list[Document], collector: Collector, recipe_documents: list[Document] = (),
                 builtin: Catalog | None = None, inventory_documents: list[Document] | None = None) -> Inputs:
    """Validate every document and build the inputs of the compiler. `builtin` is the recipe catalog the
    repository's recipes are merged into; None means the one shipped with aimc."""
    endpoints, inventories, recipes, objects, models = [], [], [], [], []
    for doc in documents:
        if doc.kind == "object":
            problems = object_problems(doc)
            if problems:
                collector.extend(problems)
            elif not is_previous_output(doc.data):
                objects.append(PassthroughObject(dict(doc.data), origin_of(doc)))
            continue
        problems = schema.validate(doc.kind, doc.data, doc.file, doc.line) or \
            kube_values.problems(doc.kind, doc.data, doc.file, doc.line, schema.load_schema(doc.kind))
        collector.extend(problems)
        if any(p.severity == "error" for p in problems):
            continue
        if doc.kind == "endpoint":
            endpoint = parse_endpoint(doc, collector)
            if endpoint is not None:
                endpoints.append(endpoint)
        elif doc.kind == "inventory":
            inventories.append((doc, parse_inventory(doc, collector)))
        elif doc.kind in ("recipe", "profile"):
            recipe = parse_recipe(doc, collector, builtin=False)
            if recipe is not None:
                recipes.append(recipe)
        elif doc.kind == "model":
            models.append(doc)
    for doc in recipe_documents:
        if doc.kind in ("recipe", "profile"):
            problems = schema.validate(doc.kind, doc.data, doc.file, doc.line) or \
                kube_values.problems(doc.kind, doc.data, doc.file, doc.line, schema.load_schema(doc.kind))
            collector.extend(problems)
            if any(p.severity == "error" for p in problems):
                continue
            recipe = parse_recipe(doc, collector, builtin=False)
            if recipe is not None:
                recipes.append(recipe)
        elif doc.kind == "model" and not schema.validate("model", doc.data, doc.file, doc.line):
            models.append(doc)
    inventory = choose_inventory(inventories, inventory_documents, collector)
    catalog = merge_catalog(builtin if builtin is not None else builtin_catalog(_named(endpoints)), recipes, collector)
    check_unique_endpoints(endpoints, collector)
    benchmarks = benchmark.parse(documents, endpoints, collector)
    return Inputs(tuple(endpoints), inventory, catalog, tuple(objects), tuple(models), benchmarks)


def _named(endpoints) -> frozenset[str]:
    """The models and pinned recipe ids the endpoints name, lower-case: the built-in recipes a build may select."""
    names = {e.model.lower() for e in endpoints} | {e.recipe.lower() for e in endpoints if e.recipe}
    return frozenset(names | {r.recipe.lower() for e in endpoints for r in e.engines if r.recipe})
