"""Recipe documents (AIM framework format) -> `Recipe`, and the catalog: built-in recipes overridden by the
repository's own. Official AIM profiles are read by `validate.profiles`."""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from aimc.catalog import preparsed
from aimc.catalog.files import data_dir
from aimc.errors import Collector
from aimc.load.documents import Document, SourceFile, discover, load_file
from aimc.memo import catalog_cache
from aimc.model.inputs import ArgValue, Catalog, Recipe, RecipeConfig
from aimc.validate.convert import origin_of, scalar_text, str_pairs


def parse_recipe(doc: Document, collector: Collector, builtin: bool) -> Recipe | None:
    if doc.kind == "profile":
        from aimc.validate.profiles import parse_profile  # imported for profiles only: a build rarely has one

        return parse_profile(doc, builtin)
    data, origin = doc.data, origin_of(doc)
    stem = PurePosixPath(doc.source).stem
    if doc.source not in ("<stdin>",) and stem != data["recipe_id"] and doc.index == 0:
        collector.error(doc.file, origin.line_of("recipe_id"), "recipe_id",
                        f"'{data['recipe_id']}' differs from the file name '{stem}': name the file "
                        f"{data['recipe_id']}.yaml or set recipe_id: {stem}")
    configs = []
    for engine in ("vllm", "sglang"):
        section = data.get(f"{engine}_serve") or {}
        for key, raw in section.items():
            path = (f"{engine}_serve", key)
            configs.append(RecipeConfig(
                engine=engine,
                gpu_count=int(key.split("_", 1)[0]),
                enabled=raw["enabled"],
                args=tuple((flag, _recipe_value(value)) for flag, value in (raw.get("args") or {}).items()),
                env=str_pairs(raw.get("env")),
                path=path,
            ))
    if not any(c.enabled for c in configs):
        collector.error(doc.file, origin.line, "", f"recipe '{data['recipe_id']}' has no enabled configuration; "
                                                   "set enabled: true on at least one <N>_gpu entry")
    return Recipe(
        id=data["recipe_id"],
        model_id=data["model_id"],
        huggingface_id=data["huggingface_id"],
        hardware=str(data["hardware"]).upper(),
        precision=data["precision"],
        configs=tuple(sorted(configs, key=lambda c: (c.engine != "vllm", c.gpu_count))),
        env=str_pairs(data.get("env")),
        origin=origin,
        builtin=builtin,
        profile_type=data.get("type"),
    )


def _recipe_value(value) -> ArgValue:
    """AIM framework recipes write every value as a string; 'true' (or true) means a bare flag."""
    if value is True or (isinstance(value, str) and value.lower() == "true"):
        return None
    if value is False or (isinstance(value, str) and value.lower() == "false"):
        return False
    return scalar_text(value)


def merge_catalog(builtin: Catalog, local: list[Recipe], collector: Collector) -> Catalog:
    """Repository-local recipes win over built-in ones with the same id; two local ones with one id is an error."""
    by_id = {r.id: r for r in builtin.recipes}
    local_ids: dict = {}
    for recipe in local:
        if recipe.id in local_ids:
            first = local_ids[recipe.id]
            collector.error(recipe.origin.file, recipe.origin.line, "recipe_id",
                            f"recipe id '{recipe.id}' is also defined at {first.origin.file}:{first.origin.line}")
            continue
        local_ids[recipe.id] = recipe
        by_id[recipe.id] = recipe
    return Catalog(tuple(by_id[k] for k in sorted(by_id)), complete=builtin.complete)


def builtin_catalog(wanted: frozenset[str] | None = None) -> Catalog:
    """The recipes shipped with aimc. `wanted`: only the recipe files that may serve these models or recipe ids
    (lower-case); None: all of them. A build names few of the ~50 models, and parsing the others was a fifth of the
    start-up of a small build. The partial catalog says so (`complete` False): `complete_catalog` gives the rest to
    the error messages that list what exists."""
    files = _builtin_files()
    if wanted is not None:
        # A recipe file names its own model_id and recipe_id in its text, so a file that does not contain a wanted
        # name cannot serve it (tests/test_validate_recipes.py checks every built-in file for this).
        files = tuple(f for f in files if any(name in f.text.lower() for name in wanted))
    recipes = [recipe for source_file in files for recipe in _builtin_recipes(source_file.path)]
    return Catalog(tuple(sorted(recipes, key=lambda r: r.id)), complete=wanted is None)


def complete_catalog(catalog: Catalog) -> Catalog:
    """A partial catalog with every other built-in recipe added (its own recipes, local or generated, win)."""
    if catalog.complete:
        return catalog
    by_id = {r.id: r for r in builtin_catalog().recipes}
    by_id.update((r.id, r) for r in catalog.recipes if not r.generated)
    generated = tuple(r for r in catalog.recipes if r.generated)
    return Catalog(tuple(by_id[k] for k in sorted(by_id)) + generated)


@cache
def _builtin_files() -> tuple[SourceFile, ...]:
    collector = Collector()
    files = discover([str(data_dir("recipes"))], collector)
    _raise_on_errors(collector)
    return tuple(files)


@cache
def _builtin_paths() -> frozenset[tuple[str]]:
    return frozenset((source_file.path,) for source_file in _builtin_files())


@catalog_cache(_builtin_paths)
def _builtin_recipes(path: str) -> tuple[Recipe, ...]:
    """One built-in file's recipes, parsed once per process (catalog data, the same for every compile). Not
    schema-checked at run time: the shipped files are checked by the test suite (tests/test_validate_recipes.py),
    and compiling the recipe schema cost every run."""
    source_file = next(f for f in _builtin_files() if f.path == path)
    collector = Collector()
    documents = preparsed.recipe_documents(source_file)  # the YAML parsed ahead of time, if made from this text
    if documents is None:
        documents = load_file(source_file, collector)
    recipes = [parse_recipe(doc, collector, builtin=True) for doc in documents if doc.kind in ("recipe", "profile")]
    _raise_on_errors(collector)
    return tuple(r for r in recipes if r is not None)


def _raise_on_errors(collector: Collector) -> None:
    """A defect of the shipped catalog is a bug in aimc (exit 3), not a user error."""
    if collector.errors:
        raise RuntimeError("built-in recipe catalog is invalid:\n" + "\n".join(d.format() for d in collector.errors))
