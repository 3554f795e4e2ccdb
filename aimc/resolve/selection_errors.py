"""The error when selection leaves an endpoint's engine without a configuration: it points at the field at fault,
lists what exists for the model, and says how to go on (a newcomer must reach a working build from it alone).

Variants, each with what exists for the model: an unknown model (close matches only: same family and size, then how
to add the model), hardware no node pool has, and every candidate rejected (the field at fault is the request filter
that the most promising candidates failed, see `fault_field`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter

from aimc.catalog import model_facts as facts
from aimc.errors import Diagnostic, did_you_mean
from aimc.load.yaml_positions import format_path
from aimc.model.inputs import Catalog, Endpoint, EngineRequest, Inventory, Recipe
from aimc.model.plan import Reason, Selection, TraceEntry, Verdict
from aimc.resolve.candidates import HARDWARE_EQUIVALENTS, describe_request, model_matches, pinned_recipes, same_hardware
from aimc.validate.recipes import complete_catalog

EXPLAIN_HINT = " (run `aimc explain` for every candidate)"

# The filters in the order `candidates` applies them: a candidate rejected later passed every earlier filter, so the
# latest reason among the rejections names what stands between the endpoint and a configuration.
FILTER_ORDER = (Reason.DISABLED, Reason.HARDWARE, Reason.NO_POOL, Reason.NODE_POOL, Reason.PRECISION,
                Reason.GPU_COUNT, Reason.METRIC, Reason.MANUAL_ONLY, Reason.NODE_FIT, Reason.GROUP, Reason.HEADS,
                Reason.PARALLELISM, Reason.MEMORY)

_SIZE = re.compile(r"^(\d+x)?\d+(\.\d+)?[bm]$")


def no_candidate_error(selection: Selection, catalog: Catalog, inventory: Inventory,
                       explain_hint: bool = True) -> Diagnostic:
    """One line that says what was asked, how many configurations were rejected and why, and what exists.
    `explain_hint` False: the message is shown inside `aimc explain`, which must not advise running itself."""
    endpoint, request = selection.endpoint, selection.request
    catalog = complete_catalog(catalog)  # what exists, beyond the recipes this build loaded
    origin = endpoint.origin
    pinned = request.recipe or endpoint.recipe
    # The request's own recipe (an engine's or a disaggregated role's) is written at its path, spec's at spec.recipe.
    recipe_path = (*request.path, "recipe") if request.recipe else ("spec", "recipe")
    recipe_field = ".".join(map(str, recipe_path))
    if pinned and pinned not in catalog.by_id() and not pinned_recipes(catalog, pinned, endpoint.model):
        return Diagnostic(origin.file, origin.line_of(*recipe_path), recipe_field,
                          f"unknown recipe '{pinned}'{_unknown_recipe_hint(pinned, endpoint.model, catalog)}")
    if not pinned and not any(model_matches(r, endpoint.model) for r in catalog.recipes):
        return unknown_model(endpoint, catalog)
    if pinned and pinned in catalog.by_id() and not model_matches(catalog.by_id()[pinned], endpoint.model):
        recipe = catalog.by_id()[pinned]
        return Diagnostic(origin.file, origin.line_of(*recipe_path), recipe_field,
                          f"recipe '{pinned}' serves '{recipe.model_id}', not '{endpoint.model}'")
    exists = "; " + available(catalog, endpoint.model, request.engine, inventory)
    if endpoint.hardware and not any(same_hardware(p.hardware, endpoint.hardware) for p in inventory.pools):
        pools = ", ".join(f"{p.name} ({p.hardware})" for p in inventory.pools)
        return Diagnostic(origin.file, origin.line_of("spec", "hardware"), "spec.hardware",
                          f"no node pool of the inventory has hardware '{endpoint.hardware}'"
                          f"{_hardware_hint(endpoint.hardware, inventory)}; node pools: {pools}{exists}")
    rejected = [e for e in selection.trace if e.verdict is Verdict.REJECTED]
    counts = Counter(e.reason.value for e in rejected if e.reason is not None)  # (every rejection has its reason)
    summary = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    asked = describe_request(endpoint, request)
    if not rejected:
        message = f"no recipe serves {asked}: no {request.engine} configuration exists for this model"
    else:
        noun = "configuration" if len(rejected) == 1 else "configurations"
        message = f"no recipe serves {asked}: {len(rejected)} {noun} rejected — {summary}"
    message += exists
    message += "".join(f"; {where}: {detail}" for where, detail in _filter_rejections(rejected))
    # Groups the inventory cannot hold: say why (the pool is too small, or the cluster has no LeaderWorkerSet).
    group_whys = list(dict.fromkeys(e.why for e in rejected if e.reason is Reason.GROUP))
    message += "".join(f"; {why}" for why in group_whys[:2])
    if explain_hint:
        message += EXPLAIN_HINT
    path = fault_field(endpoint, request, rejected)
    return Diagnostic(origin.file, origin.line_of(*path) if path else origin.line, format_path(path) if path else "",
                      message)


def fault_field(endpoint: Endpoint, request: EngineRequest, rejected: list[TraceEntry]) -> tuple:
    """The field of the endpoint to change: the filter that the candidates which went furthest failed. () when no
    field of the endpoint is at fault (e.g. every configuration is disabled)."""
    reasons = [e.reason for e in rejected if e.reason is not Reason.DISABLED]
    if not reasons:
        return ()
    furthest = max(reasons, key=FILTER_ORDER.index)
    gpu_count = ((*request.path, "gpuCount") if request.gpu_count else ("spec", "gpuCount")
                 if endpoint.gpu_count else ())
    pinned_pool = ("spec", "nodePool") if endpoint.node_pool else ()
    if furthest is Reason.NODE_POOL:
        return pinned_pool
    if pinned_pool and furthest in (Reason.NODE_FIT, Reason.GROUP, Reason.HEADS, Reason.MEMORY, Reason.PARALLELISM):
        return gpu_count or pinned_pool  # the pinned pool's GPUs are what the configurations did not fit
    if furthest in (Reason.HARDWARE, Reason.NO_POOL):
        return ("spec", "hardware") if endpoint.hardware else ("spec", "model")
    if furthest is Reason.PRECISION:
        return ("spec", "precision")
    if furthest is Reason.METRIC:
        return ("spec", "metric")
    if furthest is Reason.MANUAL_ONLY:
        return ("spec", "model")
    if furthest is Reason.NODE_FIT:
        return gpu_count or (("spec", "hardware") if endpoint.hardware else ("spec", "model"))
    return gpu_count  # gpu_count, heads, memory: another GPU count is the way out, when the endpoint fixes one


def available(catalog: Catalog, model: str, engine: str, inventory: Inventory | None) -> str:
    """`available for M (vllm): MI250 bf16 (2, 4, 8 GPUs), MI300X fp8 (1 GPU; no node pool has it)`: every enabled
    configuration of the model's own recipes (general profiles serve any model and are left out), by hardware and
    precision."""
    own = [r for r in catalog.recipes if not r.general and model_matches(r, model)]
    sizes = _sizes(own, engine)
    if not sizes:
        others = sorted({c.engine for r in own for c in r.configs if c.enabled} - {engine})
        parts = [f"{other}: {_listing(_sizes(own, other), inventory)}" for other in others]
        return f"no enabled {engine} configuration for {model}" + (f" (only {'; '.join(parts)})" if parts else "")
    return f"available for {model} ({engine}): {_listing(sizes, inventory)}"


def _sizes(recipes: list[Recipe], engine: str) -> dict[tuple[str, str], set[int]]:
    out: dict[tuple[str, str], set[int]] = {}
    for recipe in recipes:
        for config in recipe.configs:
            if config.engine == engine and config.enabled:
                out.setdefault((recipe.hardware.upper(), recipe.precision), set()).add(config.gpu_count)
    return out


def _listing(sizes: dict[tuple[str, str], set[int]], inventory: Inventory | None) -> str:
    pools = inventory.pools if inventory else ()
    parts = []
    for (hardware, precision), counts in sorted(sizes.items()):
        gpus = ", ".join(map(str, sorted(counts))) + (" GPU" if counts == {1} else " GPUs")
        missing = "" if any(same_hardware(p.hardware, hardware) for p in pools) else "; no node pool has it"
        parts.append(f"{hardware} {precision} ({gpus}{missing})")
    return ", ".join(parts)


def _filter_rejections(rejected: list[TraceEntry], limit: int = 3) -> list[tuple[str, str]]:
    """Where and why the configurations that matched the request were rejected (memory, heads, ...): these are
    defects of the recipe (or of the request), so the error names the recipe's file and line."""
    out: list[tuple[str, str]] = []
    for entry in rejected:
        if entry.reason is None or entry.reason.from_request:  # (every rejection has its reason)
            continue
        recipe, config = entry.candidate.recipe, entry.candidate.config
        # Built-in recipes are named as in the repository (their installed path differs per machine).
        file = f"built-in recipes/{recipe.origin.source}" if recipe.builtin else recipe.origin.file
        where = f"{file}:{recipe.origin.line_of(*config.path)} {config.engine} {config.key}"
        why = entry.fit.describe() if entry.fit is not None else entry.why
        if (where, why) not in out:
            out.append((where, why))
    return out[:limit]


def _hardware_hint(hardware: str, inventory: Inventory) -> str:
    """A GPU of the hardware catalog (MI325X) is no typo of a pool's GPU (MI250): say it is known and missing from
    the inventory; only an unknown name gets a spelling suggestion."""
    if facts.gpu(hardware) is not None or hardware.upper() in HARDWARE_EQUIVALENTS:
        return (f" ({hardware.upper()} is a GPU aimc knows: add a node pool of it to the inventory, or choose a "
                "pool's hardware)")
    # The pools' GPUs first (the likely intent), then any GPU aimc knows.
    return (did_you_mean(hardware.upper(), sorted({p.hardware for p in inventory.pools}))
            or did_you_mean(hardware.upper(), sorted(facts.hardware())))


# -- an unknown model ----------------------------------------------------------------------------------------

def _unknown_recipe_hint(pinned: str, model: str, catalog: Catalog) -> str:
    """A close id of the catalog; or, for a model without a written recipe, when the id is the one `aimc recipes
    generate` gives the model's configurations (which a build's warning names), how to write it down: a named recipe
    is a written one (resolve/generated.py)."""
    from aimc.resolve.generate import model_slug  # only this message pays for the generator's import

    slug = model_slug(model)
    written = any(r.model_id and r.model_id.lower() == model.lower() and not r.general for r in catalog.recipes)
    rest = pinned[len(slug) + 1:] if slug and pinned.startswith(f"{slug}-") and not written else ""
    hardware, _, precision = rest.rpartition("-")
    if not hardware or not precision:
        return did_you_mean(pinned, catalog.by_id())
    return (f": it is the id `aimc recipes generate` gives {model}'s configurations, which are no recipe until "
            f"written down: `aimc recipes generate {model} --hardware {hardware.upper()} --precision {precision} > "
            f"recipes/{pinned}.yaml` (adding the path of its AIMModel document, unless aimc knows the model), or leave "
            "the recipe out (the build then serves the generated configuration, with a warning)")


def unknown_model(endpoint: Endpoint, catalog: Catalog) -> Diagnostic:
    origin = endpoint.origin
    models = sorted({r.model_id for r in catalog.recipes if r.model_id})
    close = close_models(endpoint.model, models)
    suggestion = f" (did you mean {' or '.join(repr(m) for m in close)}?)" if close else ""
    # The closest few, not the whole catalog: one line of every model grows with the catalog and hides the way on.
    nearest = nearest_models(endpoint.model, models)
    return Diagnostic(origin.file, origin.line_of("spec", "model"), "spec.model",
                      f"no recipe serves model '{endpoint.model}'{suggestion}; closest of the {len(models)} models "
                      f"in the catalog: {', '.join(nearest)} (`aimc recipes list` shows them all); "
                      + how_to_add(endpoint.model))


def how_to_add(model: str) -> str:
    """The way forward for a model the catalog lacks (README, "Adding a model")."""
    return (f"to serve it, add its facts and a recipe to the repository (or a --recipes folder): `aimc models import "
            f"PATH` prints an AIMModel document from the checkpoint's config.json, `aimc recipes generate {model}` "
            "prints a recipe; save the recipe as <recipe_id>.yaml (the file name must be its recipe_id); recipe "
            "formats: recipes/README.md (`aimc recipes --help` shows where)")


def nearest_models(model: str, known: list[str], limit: int = 3) -> list[str]:
    """The `limit` known models most like `model`: its family first (Llama for a Llama), then by spelling of the
    name without its organisation; ties by name, so the message is the same on every run."""
    family, name = model_family(model), model.rsplit("/", 1)[-1].lower()

    def likeness(known_model: str) -> tuple:
        ratio = difflib.SequenceMatcher(None, name, known_model.rsplit("/", 1)[-1].lower()).ratio()
        return (model_family(known_model) != family, -ratio, known_model)

    return sorted(known, key=likeness)[:limit]


def close_models(model: str, known: list[str], limit: int = 2) -> list[str]:
    """Known models of the same family and size (Qwen3-32b-instruct → Qwen/Qwen3-32B), closest first; never a
    model of another family or size (Mistral-7B is not Mixtral-8x7B, Llama-3.1-8B not Llama-3.1-405B). Without a
    size in the name, the same family and a close spelling."""
    family, size = model_family(model), model_size(model)
    matches = [m for m in known if model_family(m) == family and model_size(m) == size]
    if size is None:
        matches = difflib.get_close_matches(model, matches, n=limit, cutoff=0.6)
    return sorted(matches, key=lambda m: (-difflib.SequenceMatcher(None, model.lower(), m.lower()).ratio(), m))[:limit]


def model_family(model: str) -> str:
    """The leading word of the name after the organisation: `Qwen/Qwen3-32B` → qwen, `mistralai/Mixtral-8x7B` →
    mixtral, `meta-llama/Meta-Llama-3-8B` → llama."""
    name = model.rsplit("/", 1)[-1].lower()
    name = name.removeprefix("meta-")
    letters = re.match(r"[a-z]*", name)  # (`*` matches every string)
    word = letters.group(0) if letters else ""
    return word or name


def model_size(model: str) -> str | None:
    """The parameter count in the name (`32b`, `8x7b`, `235b` of `235B-A22B`), lowercase; None when it has none."""
    for token in re.split(r"[-_ ]", model.rsplit("/", 1)[-1].lower()):
        if _SIZE.match(token):
            return token
    return None
