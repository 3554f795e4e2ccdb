"""validate: schema-check raw documents, then build the frozen records of `model.inputs`.

All documents are checked; every error of every file is collected before anything is reported. One module per kind
of input does the building: `endpoints`, `inventory`, `recipes` (and `profiles`), `objects` (pass-through objects).
"""

from __future__ import annotations

from collections.abc import Sequence

from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.inputs import Catalog, Endpoint, Inputs, Inventory, PassthroughObject, Recipe
from aimc.validate import benchmark, field_limits, kube_values, schema
from aimc.validate.convert import origin_of
from aimc.validate.endpoints import check_unique_endpoints, parse_endpoint
from aimc.validate.inventory import choose_inventory, parse_inventory
from aimc.validate.models import model_catalog
from aimc.validate.objects import is_previous_output, object_problems
from aimc.validate.recipes import builtin_catalog, merge_catalog, parse_recipe

# What every endpoint's resolution reads: an error in one of these documents (or a file that could not be read, which
# may have held one) leaves resolution to answer from part of the inputs, so it is not run (`Inputs.shared_valid`).
SHARED_KINDS = frozenset({"inventory", "recipe", "profile", "model"})


def parse_inputs(documents: list[Document], collector: Collector, recipe_documents: Sequence[Document] = (),
                 builtin: Catalog | None = None, inventory_documents: list[Document] | None = None) -> Inputs:
    """Validate every document and build the inputs of the compiler. `builtin` is the recipe catalog the
    repository's recipes are merged into; None means the one shipped with aimc.

    An endpoint is built whenever its document has the shape and types of one, even with errors in its values (a
    label, the autoscaling bounds): the checks of later stages then run on it too, so one run reports them all."""
    found = _Found()
    shared_errors = len(collector.errors)  # the load's: an unreadable file may have been the inventory
    for doc in documents:
        before = len(collector.errors)
        if doc.kind == "object":
            _read_object(doc, collector, found)
        else:
            _read(doc, collector, found)
        if doc.kind in SHARED_KINDS:
            shared_errors += len(collector.errors) - before
    for doc in recipe_documents:
        if doc.kind in SHARED_KINDS - {"inventory"}:
            before = len(collector.errors)
            _read(doc, collector, found)
            shared_errors += len(collector.errors) - before
    before = len(collector.errors)
    inventory = choose_inventory(found.inventories, inventory_documents, collector)
    catalog = merge_catalog(builtin if builtin is not None else builtin_catalog(_named(found.endpoints)),
                            found.recipes, collector)
    models = model_catalog(found.models, collector)
    shared_errors += len(collector.errors) - before
    check_unique_endpoints(found.endpoints, collector)
    benchmarks = benchmark.parse(documents, found.endpoints, collector)
    return Inputs(tuple(found.endpoints), inventory, catalog, tuple(found.objects), models, benchmarks,
                  shared_valid=shared_errors == 0)


class _Found:
    """The records built so far by one `parse_inputs` call."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []
        self.inventories: list[tuple[Document, Inventory]] = []
        self.recipes: list[Recipe] = []
        self.objects: list[PassthroughObject] = []
        self.models: list[Document] = []


def _read_object(doc: Document, collector: Collector, found: _Found) -> None:
    problems = object_problems(doc)
    if problems:
        collector.extend(problems)
    elif not is_previous_output(doc.data):
        found.objects.append(PassthroughObject(dict(doc.data), origin_of(doc)))


def _read(doc: Document, collector: Collector, found: _Found) -> None:
    """Check one document of aimc's own kinds and build its record, unless none can be built from it."""
    if _document_problems(doc, collector):
        return
    if doc.kind == "endpoint":
        endpoint = parse_endpoint(doc, collector)
        if endpoint is not None:
            found.endpoints.append(endpoint)
    elif doc.kind == "inventory":
        found.inventories.append((doc, parse_inventory(doc, collector)))
    elif doc.kind in ("recipe", "profile"):
        recipe = parse_recipe(doc, collector, builtin=False)
        if recipe is not None:
            found.recipes.append(recipe)
    elif doc.kind == "model":
        found.models.append(doc)


def _document_problems(doc: Document, collector: Collector) -> bool:
    """Report the schema's and the values' problems of one document; True when no record can be built from it (it
    breaks the schema, or holds a value later stages cannot use)."""
    problems = schema.validate(doc.kind, doc.data, doc.file, doc.line)
    if problems:
        collector.extend(problems)
        return any(p.severity == "error" for p in problems)
    unusable, others = kube_values.problems(doc.kind, doc.data, doc.file, doc.line, schema.load_schema(doc.kind))
    # Values that would not fit the field of the rendered object they land in (a header value, an annotation).
    unusable = unusable + field_limits.problems(doc.kind, doc.data, doc.file, doc.line)
    collector.extend(unusable)
    collector.extend(others)
    return any(p.severity == "error" for p in unusable)


def _named(endpoints) -> frozenset[str]:
    """The models and pinned recipe ids the endpoints name, lower-case: the built-in recipes a build may select."""
    names = {e.model.lower() for e in endpoints} | {e.recipe.lower() for e in endpoints if e.recipe}
    return frozenset(names | {r.recipe.lower() for e in endpoints for r in e.engines if r.recipe})
