"""Choose a recipe configuration for one engine of one endpoint: filter, rank, and keep a trace of why.

Ranking (documented in the README), first difference wins:
0. written recipes and profiles before configurations generated from model facts (resolve/generated.py);
1. recipes and profiles for the model before general (model-agnostic) AIM profiles;
2. repository-local recipes before built-in ones;
3. AIM profiles under custom/ before the others (AMD's search order);
4. node pools in the order the inventory declares them (list the pool you prefer first);
5. profile type: optimized, preview, unoptimized, general (AIM framework recipes count as optimized);
6. the fewest GPUs;
7. metric: latency before throughput (recipes without a metric count as latency);
8. precision, highest quality first: bf16, fp16, fp8, int8, int4, fp4;
9. recipe id.
"""

from __future__ import annotations

from collections.abc import Callable

from aimc.model.inputs import (
    Catalog,
    Endpoint,
    EngineRequest,
    Inventory,
    NodePool,
    Recipe,
    RecipeConfig,
)
from aimc.model.plan import Candidate, Reason, Selection, TraceEntry, Verdict
from aimc.records import replace
from aimc.resolve import groups

PRECISION_PREFERENCE = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
TYPE_PREFERENCE = ("optimized", "preview", "unoptimized", "general")
METRIC_PREFERENCE = ("latency", "throughput")

# A filter after the built-in ones (memory fit and the like live in other modules): it sees a kept entry and returns
# it, annotated (e.g. with the memory arithmetic) or rejected.
Filter = Callable[[TraceEntry], TraceEntry]

# GPUs that Kubernetes sees identically (one 64 GiB gfx90a GCD per amd.com/gpu): a recipe for one serves the other.
HARDWARE_EQUIVALENTS = {"MI250X": "MI250"}


def same_hardware(a: str, b: str) -> bool:
    if a == b:  # the usual pair, a pool and a recipe for the same GPU spelt alike
        return True
    a, b = a.upper(), b.upper()
    return HARDWARE_EQUIVALENTS.get(a, a) == HARDWARE_EQUIVALENTS.get(b, b)


def wanted_gpu_count(endpoint: Endpoint, request: EngineRequest) -> int | None:
    return request.gpu_count or endpoint.gpu_count


def select(endpoint: Endpoint, request: EngineRequest, catalog: Catalog, inventory: Inventory,
           extra_filters: tuple[Filter, ...] = (), screen: Screen | None = None) -> Selection:
    """Every candidate with its verdict, best first. `extra_filters` run, in order, on each candidate that passed
    the built-in filters, until one rejects it. `screen`: the built-in filters' memo for this catalog and inventory,
    shared by every endpoint of a build (one is made when absent)."""
    pinned = request.recipe or endpoint.recipe
    if screen is None:
        screen = Screen(catalog, inventory)
    entries: list[TraceEntry] = []
    for item in screen.screened(endpoint, request, pinned):
        if isinstance(item, TraceEntry):
            entries.append(item)  # rejected by a built-in filter
            continue
        recipe, config, fitting = item
        for pool in fitting:
            entry = TraceEntry(Candidate(recipe, config, pool), Verdict.KEPT)
            for check in extra_filters:
                entry = check(entry)
                if entry.verdict is Verdict.REJECTED:
                    break
            entries.append(entry)
    kept = [e for e in entries if e.verdict is Verdict.KEPT]
    if len(kept) > 1:  # (most endpoints keep one candidate: no rank to compute)
        kept.sort(key=_rank)
    rejected = [e for e in entries if e.verdict is Verdict.REJECTED]
    if kept:
        kept[0] = replace(kept[0], verdict=Verdict.SELECTED)
    return Selection(endpoint, request, tuple(kept + rejected), kept[0].candidate if kept else None)


# One configuration after the built-in filters: its rejection, or the recipe, the configuration and the node pools
# it fits (whole nodes or a group of them), for the extra filters to judge per endpoint.
Screened = TraceEntry | tuple[Recipe, RecipeConfig, tuple[NodePool, ...]]


class Screen:
    """The built-in filters' verdicts for one catalog and one inventory, memoised: the endpoints of a repository
    share few (model, engine, hardware, precision, GPU count, metric, pin) combinations, and each would otherwise
    judge its 20-odd candidate configurations again. Those verdicts read nothing else of the endpoint, and a
    rejection (a frozen TraceEntry) can be shared by every selection that makes it."""

    def __init__(self, catalog: Catalog, inventory: Inventory):
        self.catalog = catalog
        self.inventory = inventory
        self._by_model: dict[str, tuple[Recipe, ...]] = {}
        self._screened: dict[tuple, tuple[Screened, ...]] = {}

    def recipes_for(self, model: str) -> tuple[Recipe, ...]:
        """The recipes that serve the model (`model_matches`), in catalog order: an index built once per model."""
        key = model.lower()
        found = self._by_model.get(key)
        if found is None:
            found = self._by_model[key] = tuple(r for r in self.catalog.recipes if model_matches(r, model))
        return found

    def screened(self, endpoint: Endpoint, request: EngineRequest, pinned: str | None) -> tuple[Screened, ...]:
        """Every configuration of the request's engine among the candidate recipes, in catalog order, screened."""
        gpu_count = wanted_gpu_count(endpoint, request)
        key = (endpoint.model.lower(), request.engine, endpoint.hardware, endpoint.precision, gpu_count,
               endpoint.metric, pinned, endpoint.node_pool)
        found = self._screened.get(key)
        if found is None:
            recipes = (pinned_recipes(self.catalog, pinned, endpoint.model) if pinned
                       else self.recipes_for(endpoint.model))
            found = self._screened[key] = tuple(
                _screen(recipe, config, self.inventory, endpoint.hardware, endpoint.precision, gpu_count,
                        endpoint.metric, pinned, endpoint.node_pool)
                for recipe in recipes for config in recipe.configs if config.engine == request.engine)
        return found


def pinned_recipes(catalog: Catalog, pinned: str, model: str) -> list[Recipe]:
    """The recipe with that id; else the AIM profiles with that file name (AMD's profile id) that serve the model."""
    exact = [r for r in catalog.recipes if r.id == pinned]
    if exact:
        return exact
    return [r for r in catalog.recipes if r.format == "profile" and r.profile_name == pinned
            and model_matches(r, model)]


def model_matches(recipe: Recipe, model: str) -> bool:
    """Same model id (case-insensitive); general AIM profiles serve any model, as a fallback."""
    return recipe.general or recipe.model_id.lower() == model.lower()


def _screen(recipe: Recipe, config: RecipeConfig, inventory: Inventory, hardware: str | None,
            precision: str | None, gpu_count: int | None, metric: str | None, pinned: str | None,
            node_pool: str | None = None) -> Screened:
    def reject(reason: Reason, why: str) -> TraceEntry:
        return TraceEntry(Candidate(recipe, config, None), Verdict.REJECTED, reason, why)

    if not config.enabled:
        return reject(Reason.DISABLED, "disabled in the recipe")
    if hardware and not same_hardware(recipe.hardware, hardware):
        return reject(Reason.HARDWARE, f"for {recipe.hardware}, endpoint asks for {hardware}")
    pools = [p for p in inventory.pools if same_hardware(p.hardware, recipe.hardware)]
    if not pools:
        return reject(Reason.NO_POOL, f"for {recipe.hardware}, and no node pool has {recipe.hardware}")
    if node_pool is not None:  # spec.nodePool: that pool only, whatever the inventory's order
        pinned_pool = [p for p in inventory.pools if p.name == node_pool]
        pools = [p for p in pools if p.name == node_pool]
        if not pools:
            has = f" ({pinned_pool[0].hardware})" if pinned_pool else ""
            return reject(Reason.NODE_POOL, f"for {recipe.hardware}, and the endpoint's node pool '{node_pool}'{has} "
                                            "is not")
    if precision and recipe.precision != precision:
        return reject(Reason.PRECISION, f"precision {recipe.precision}, endpoint asks for {precision}")
    if gpu_count and config.gpu_count != gpu_count:
        return reject(Reason.GPU_COUNT, f"{_gpus(config.gpu_count)}, endpoint asks for {gpu_count}")
    if metric and recipe.metric and recipe.metric != metric:
        return reject(Reason.METRIC, f"tuned for {recipe.metric}, endpoint asks for {metric}")
    if recipe.manual_selection_only and not pinned:
        return reject(Reason.MANUAL_ONLY, "manual selection only: used only when pinned with spec.recipe")
    # More GPUs than a node has: a group of whole nodes (resolve/groups.py), where the inventory allows one.
    placement = {p.name: groups.placement_problem(p, config.gpu_count, inventory) for p in pools}
    fitting = tuple(p for p in pools if placement[p.name] is None)
    if not fitting:
        if all(p.gpus_per_node < config.gpu_count and config.gpu_count % p.gpus_per_node for p in pools):
            sizes = ", ".join(f"{p.name} has {p.gpus_per_node}" for p in pools)
            return reject(Reason.NODE_FIT, f"needs {config.gpu_count} GPUs on one node or a group of whole nodes; "
                                           f"{sizes} per node")
        return reject(Reason.GROUP, "; ".join(str(placement[p.name]) for p in pools))  # each a problem here
    return recipe, config, fitting


def _gpus(count: int) -> str:
    return f"{count} GPU" if count == 1 else f"{count} GPUs"


def _rank(entry: TraceEntry):
    candidate = entry.candidate
    recipe = candidate.recipe
    profile_type = recipe.profile_type or "optimized"
    return (
        recipe.generated,
        recipe.general,
        recipe.builtin,
        recipe.search_order,
        candidate.pool.index if candidate.pool else 0,
        TYPE_PREFERENCE.index(profile_type) if profile_type in TYPE_PREFERENCE else len(TYPE_PREFERENCE),
        candidate.config.gpu_count,
        METRIC_PREFERENCE.index(recipe.metric) if recipe.metric in METRIC_PREFERENCE else 0,
        PRECISION_PREFERENCE.index(recipe.precision) if recipe.precision in PRECISION_PREFERENCE else 99,
        recipe.id,
    )


def describe_request(endpoint: Endpoint, request: EngineRequest) -> str:
    parts = [endpoint.model]
    if endpoint.hardware:
        parts.append(f"on {endpoint.hardware}")
    if endpoint.precision:
        parts.append(f"in {endpoint.precision}")
    gpu_count = wanted_gpu_count(endpoint, request)
    if gpu_count:
        parts.append(f"with {gpu_count} GPU{'s' if gpu_count != 1 else ''}")
    if endpoint.node_pool:
        parts.append(f"on node pool '{endpoint.node_pool}'")
    return " ".join(parts) + f" ({request.engine})"
