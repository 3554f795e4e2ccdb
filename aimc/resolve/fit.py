"""Memory fit of one recipe configuration on one node pool: pure arithmetic, documented in the README ("Memory fit").

Each engine's accounting lives in its own module (`fit_vllm`, `fit_sglang`; the KV cache of one sequence in
`fit_kv`); this module picks the engine, reads the memory per GPU of a node pool (partitions included), and is the
candidate filter of resolve. `compute` is a pure function of (model facts, precision, GPU count / tensor and
pipeline parallelism, memory per GPU, merged engine settings), so callers that plan multi-node groups can use it.
"""

from __future__ import annotations

from aimc.catalog import model_facts as facts_mod
from aimc.catalog import runtime as rt
from aimc.catalog.model_facts import COMPUTE_PARTITIONS, ModelCatalog, ModelFacts
from aimc.errors import Diagnostic
from aimc.memo import interned, per_compile_records
from aimc.model.inputs import Endpoint, EngineRequest, Inventory, NodePool, Recipe, RecipeConfig
from aimc.model.plan import Fit, Reason, TraceEntry, Verdict
from aimc.records import replace
from aimc.resolve import fit_lora, fit_sglang, fit_vllm, groups, images
from aimc.resolve.arg_merge import MergedArgs, merge_args
from aimc.resolve.fit_settings import Settings, config_settings, settings
from aimc.resolve.release_env import AITER_KEEPS_FRACTION, switched_on

__all__ = ["EngineVersions", "Settings", "candidate_settings", "compute", "config_settings", "memory_check",
           "pool_memory", "recipe_fit_problems", "settings", "topology_problem", "unchecked_warnings"]

ENGINES = {"vllm": fit_vllm.compute, "sglang": fit_sglang.compute}


def compute(model: ModelFacts, precision: str, gpus: int, memory_gib: float, settings: Settings,
            engine: str = "vllm", pp: int = 1, version: str | None = None) -> Fit:
    """The fit of `gpus` GPUs (tensor parallelism gpus / pp, pipeline parallelism pp) of `memory_gib` each, by the
    accounting of the engine at flag-set `version` (default: the default image's)."""
    return _compute(model, settings, precision, gpus, memory_gib, engine, pp, version)


# Memoised for the compile: the candidates of a repository share few (model, configuration, pool, settings)
# combinations. The facts and the settings are keyed by identity (one record each per model and per merge, see
# `candidate_settings`). Measured at 1,000 endpoints (bench/generate.py): 1,121 fits, ~10 ms, ~2 ms with the memo.
@per_compile_records(limit=8192, records=2)
def _compute(model: ModelFacts, settings: Settings, precision: str, gpus: int, memory_gib: float, engine: str,
             pp: int, version: str | None) -> Fit:
    return ENGINES[engine](model, precision, gpus // pp, pp, memory_gib, settings, version)


def engine_version(endpoint: Endpoint | None, engine: str, hardware: str,
                   inventory: Inventory | None = None) -> str | None:
    """The shipped release whose defaults the fit uses: that of the image the pod will run (the endpoint's own, else
    the inventory's default for the hardware: catalogued, or its declared engineVersion), else the default image's
    on the hardware's architecture (None: the default image's release, `fit_defaults.release`)."""
    catalog = rt.runtime()
    known = catalog.engine(engine).flag_set_versions
    image = images.supplied(endpoint, engine, hardware, inventory) if endpoint is not None else None
    facts = catalog.image(image.image) if image is not None else None
    if facts is not None and facts.engine == engine:
        return rt.nearest_version(known, facts.version)
    if image is not None and image.engine_version:
        return rt.nearest_version(known, image.engine_version)
    default = catalog.default_image(engine, images.architecture(hardware))
    return rt.nearest_version(known, default.version) if default is not None else None


class EngineVersions:
    """`engine_version` for one compile's inventory. For an endpoint without an image of its own the answer depends
    only on the engine and the pool's hardware (the inventory's default image, else aimc's), so it is worked out
    once per (engine, hardware) pair of the inventory; an endpoint's own image is looked at every time. The memory
    checks make one per compile (pipeline.resolve_inputs), so it holds nothing of another repository. Measured at
    10,000 endpoints (bench/generate.py): 11,319 look-ups of a few pairs, 5 ms against 43 ms without the table."""

    __slots__ = ("_defaults", "inventory")

    def __init__(self, inventory: Inventory | None):
        self.inventory = inventory
        self._defaults: dict[tuple[str, str], str | None] = {}

    def of(self, endpoint: Endpoint, engine: str, hardware: str) -> str | None:
        if endpoint.image is not None or engine.__class__ is not str or hardware.__class__ is not str:
            return engine_version(endpoint, engine, hardware, self.inventory)
        key = (engine, hardware)
        try:
            return self._defaults[key]
        except KeyError:
            found = self._defaults[key] = engine_version(endpoint, engine, hardware, self.inventory)
            return found


def topology_problem(model: ModelFacts, gpus: int) -> str | None:
    """Tensor parallelism splits attention heads evenly; KV heads are split or replicated evenly."""
    if model.attention_heads % gpus:
        return f"tensor parallelism {gpus} does not divide the {model.attention_heads} attention heads of {model.id}"
    if model.kv_heads and model.kv_heads % gpus and gpus % model.kv_heads:
        return (f"tensor parallelism {gpus} neither divides nor is a multiple of the {model.kv_heads} KV heads of "
                f"{model.id}")
    return None


# -- the candidate filter -------------------------------------------------------------------------------

def pool_memory(pool: NodePool) -> float | None:
    """Memory per GPU (per unit of the pool's GPU resource): its `memoryGiB`, else the hardware catalog's divided by
    the compute partitions of the pool's partition mode (CPX: 8 logical GPUs, 1/8 of the memory each)."""
    if pool.memory_gib:
        return float(pool.memory_gib)
    known = facts_mod.gpu(pool.hardware)
    if known is None:
        return None
    return known.memory_gib / (COMPUTE_PARTITIONS[pool.partition.compute] if pool.partition else 1)


def model_facts(models: ModelCatalog, endpoint: Endpoint, recipe: Recipe) -> ModelFacts | None:
    """The endpoint's model, else the weights the recipe loads (a pre-quantized checkpoint's original)."""
    return models.lookup(endpoint.model, recipe.huggingface_id, recipe.model_id)


def memory_check(models: ModelCatalog, inventory: Inventory | None = None, versions: EngineVersions | None = None):
    """A candidate filter for `resolve(checks=...)`: (endpoint, request, entry) -> entry. A candidate that fits is
    kept with its arithmetic, so `explain` shows it; one that cannot be checked is kept with the reason. The
    inventory gives the default images whose release the arithmetic follows (`versions`: their table, when the
    caller shares one)."""
    if versions is None:
        versions = EngineVersions(inventory)

    def check(endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> TraceEntry:
        candidate = entry.candidate
        model = model_facts(models, endpoint, candidate.recipe)
        if model is None:
            return replace(entry, fit_unchecked=f"no facts for model '{endpoint.model}'")
        gpus = candidate.config.gpu_count
        tp = groups.node_tp(candidate.recipe, candidate.config)
        if isinstance(tp, groups.GroupProblem):
            return replace(entry, verdict=Verdict.REJECTED, reason=Reason.PARALLELISM, why=tp.message)
        problem = topology_problem(model, tp)
        if problem:
            return replace(entry, verdict=Verdict.REJECTED, reason=Reason.HEADS, why=problem)
        pool = candidate.pool
        assert pool is not None  # extra filters judge placed candidates only (candidates.select)
        memory = pool_memory(pool)
        if memory is None:
            return replace(entry, fit_unchecked=f"no memory figure for {pool.hardware}")
        engine = candidate.config.engine
        version = versions.of(endpoint, engine, pool.hardware)
        fit = compute(model, candidate.recipe.precision, gpus, memory, candidate_settings(endpoint, request, entry),
                      engine, gpus // tp, version=version)
        fit = fit_lora.with_adapters(fit, model, endpoint, engine, tp, candidate.config.args, gpus,
                                     endpoint.custom_args, request.custom_args, version)
        if fit.fits:
            return replace(entry, fit=fit)
        return replace(entry, verdict=Verdict.REJECTED, reason=Reason.MEMORY, fit=fit)

    return check


def candidate_settings(endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> Settings:
    """What the candidate's merged command line and its pod's environment say about memory."""
    config = entry.candidate.config
    merged = merge_args(config.engine, config.args, config.gpu_count, endpoint.overrides, endpoint.custom_args,
                        request.custom_args)
    return _with_aiter(merged, switched_on(AITER_KEEPS_FRACTION, entry.candidate.recipe, config, endpoint))


# Memoised for the compile on the merge (one record per distinct merge, see arg_merge) and the switch: one memo
# between the merge and the fit's arithmetic, whose own memo (`_compute`) finds the result by identity.
@per_compile_records(limit=8192)
def _with_aiter(merged: MergedArgs, keeps_fraction: bool) -> Settings:
    """`config_settings` of the merge with the AITER switch: one record per (settings, switch) for the compile."""
    return interned(replace(settings(merged), aiter_keeps_fraction=keeps_fraction))


def recipe_fit_problems(recipe: Recipe, models: ModelCatalog) -> list[tuple[RecipeConfig, str]]:
    """Enabled configurations of a recipe that cannot run on its own hardware, whatever the endpoint:
    (config, message). Used by `aimc recipes validate`."""
    model = models.lookup(recipe.model_id, recipe.huggingface_id)
    known = facts_mod.gpu(recipe.hardware)
    if model is None or known is None:
        return []
    out = []
    for config in recipe.configs:
        if not config.enabled:
            continue
        problem = topology_problem(model, config.gpu_count)
        if problem is None:
            fit = compute(model, recipe.precision, config.gpu_count, known.memory_gib, config_settings(config),
                          config.engine, version=engine_version(None, config.engine, recipe.hardware))
            if not fit.fits:
                problem = f"does not fit on {known.name}: {fit.describe()}"
        if problem:
            out.append((config, problem))
    return out


def unchecked_warnings(endpoints, models: ModelCatalog) -> list:
    """Resolved engines whose fit could not be checked (the model has no facts, or the pool's GPU no memory figure)
    or is optimistic (MI300A shares its memory with the CPU). Warnings (errors under --strict): the configuration
    may still be right, but aimc cannot vouch for it."""
    out, seen = [], set()
    for resolved in endpoints:
        endpoint = resolved.endpoint
        origin = endpoint.origin
        for engine in resolved.engines:
            if model_facts(models, endpoint, engine.recipe) is None and (endpoint.name, "model") not in seen:
                seen.add((endpoint.name, "model"))
                out.append(Diagnostic(origin.file, origin.line_of("spec", "model"), "spec.model",
                                      f"no facts for model '{endpoint.model}': memory fit and tensor-parallel "
                                      "topology were not checked; describe the model in an AIMModel document "
                                      "(see the README, 'Memory fit')", "warning"))
            pool = engine.pool
            if pool_memory(pool) is None and (pool.name, "memory") not in seen:
                seen.add((pool.name, "memory"))
                out.append(Diagnostic(pool.origin.file, pool.origin.line_of("spec", "nodePools", pool.index),
                                      f"spec.nodePools[{pool.index}]",
                                      f"hardware '{pool.hardware}' is not in the hardware catalog: memory fit was "
                                      "not checked; set memoryGiB on the node pool", "warning"))
            known = facts_mod.gpu(pool.hardware)
            if known and known.shared_memory and not pool.memory_gib and (pool.name, "shared") not in seen:
                seen.add((pool.name, "shared"))
                out.append(Diagnostic(pool.origin.file, pool.origin.line_of("spec", "nodePools", pool.index),
                                      f"spec.nodePools[{pool.index}]",
                                      f"{known.name} memory ({known.memory_gib:g} GiB) is shared with the CPU and the "
                                      "OS, so the GPU gets less and the memory fit is optimistic; set memoryGiB on "
                                      "the node pool to what the GPU can use", "warning"))
    return out
