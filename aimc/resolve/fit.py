"""Memory fit of one recipe configuration on one node pool: pure arithmetic, documented in the README ("Memory fit").

Per GPU, for a configuration of N GPUs (tensor parallelism N) with V GiB each at utilisation u:

    weights  W = parametersB × 10⁹ × bytes per parameter (by the recipe's precision) / N / 2³⁰
    overhead O = 2.3 GiB + 5 % of W            (activations, graphs, communication buffers)
    KV       K = max length × KV bytes per token / S / 2³⁰     (one sequence of the configured maximum length)
    fits when 1.02 × W + O + K ≤ V × u

The constants are KAITO's estimator (the only peer that checks fit before deployment). S, the number of ways the KV
cache is split, is min(N, kvHeads): with more GPUs than KV heads the engines replicate KV heads. MLA latent KV is not
split (S = 1). K is the least the engine needs to start; the rest of the budget holds concurrent sequences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from aimc.catalog import model_facts as facts_mod
from aimc.catalog.model_facts import ModelCatalog, ModelFacts, bytes_per_parameter
from aimc.errors import Diagnostic
from aimc.model.inputs import Endpoint, EngineRequest, NodePool, Recipe, RecipeConfig
from aimc.model.plan import Fit, Reason, TraceEntry, Verdict
from aimc.resolve.arg_merge import MergedArgs, merge_args

GIB = 2 ** 30
WEIGHT_FACTOR = 1.02
OVERHEAD_GIB = 2.3
OVERHEAD_SHARE = 0.05
DEFAULT_UTILISATION = 0.9

# Flags that carry the utilisation, the maximum length and the KV-cache type, under either engine's name (recipes
# written for one engine are sometimes read by the other).
UTILISATION_FLAGS = ("--gpu-memory-utilization", "--mem-fraction-static")
MAX_LEN_FLAGS = ("--max-model-len", "--context-length")
KV_DTYPE_FLAGS = ("--kv-cache-dtype",)
ONE_BYTE_KV = ("fp8", "fp8_e4m3", "fp8_e5m2", "int8", "fp8_inc")


@dataclass(frozen=True)
class Settings:
    """What the merged command line says about memory (None: the engine's default)."""

    utilisation: float | None
    max_len: int | None
    kv_dtype: str | None


def compute(model: ModelFacts, precision: str, gpus: int, memory_gib: float, settings: Settings) -> Fit:
    weights = model.parameters_b * 1e9 * bytes_per_parameter(precision) / gpus / GIB
    kv_bytes = 1 if (settings.kv_dtype or "").lower() in ONE_BYTE_KV else 2
    split = 1 if model.kv_latent_dim else min(gpus, model.kv_heads)
    max_len = settings.max_len or model.max_context
    kv = max_len * model.kv_bytes_per_token(kv_bytes) / split / GIB
    utilisation = settings.utilisation if settings.utilisation is not None else DEFAULT_UTILISATION
    return Fit(model.id, gpus, weights, WEIGHT_FACTOR, OVERHEAD_GIB + OVERHEAD_SHARE * weights, kv, max_len, split,
               memory_gib, utilisation)


def topology_problem(model: ModelFacts, gpus: int) -> str | None:
    """Tensor parallelism splits attention heads evenly; KV heads are split or replicated evenly."""
    if model.attention_heads % gpus:
        return f"tensor parallelism {gpus} does not divide the {model.attention_heads} attention heads of {model.id}"
    if model.kv_heads and model.kv_heads % gpus and gpus % model.kv_heads:
        return (f"tensor parallelism {gpus} neither divides nor is a multiple of the {model.kv_heads} KV heads of "
                f"{model.id}")
    return None


# -- reading the command line ----------------------------------------------------------------------------

def settings(merged: MergedArgs) -> Settings:
    """Utilisation, maximum length and KV-cache type of a merged command line (`arg_merge.merge_args`: the one
    precedence merge, so the fit checks the arguments the engine will get)."""
    values: dict = {}
    for arg in merged.args:
        _take(values, arg.flag, arg.value)
    return Settings(_float(values.get("utilisation")), _int(values.get("max_len")),
                    str(values["kv_dtype"]) if values.get("kv_dtype") is not None else None)


def config_settings(config: RecipeConfig, overrides=(), custom_args=(), engine_custom_args=()) -> Settings:
    """`settings` of one configuration's arguments merged with an endpoint's overrides and customArgs."""
    return settings(merge_args(config.engine, config.args, config.gpu_count, overrides, custom_args,
                               engine_custom_args))


_SETTING_OF_FLAG = {**{f: "utilisation" for f in UTILISATION_FLAGS}, **{f: "max_len" for f in MAX_LEN_FLAGS},
                    **{f: "kv_dtype" for f in KV_DTYPE_FLAGS}}


def _take(values: dict, flag, value) -> None:
    key = _SETTING_OF_FLAG.get(_canonical(flag))
    if key is None:
        return
    if value is None or value is False or (isinstance(value, str) and value.lower() == "false"):
        values.pop(key, None)  # removed: the engine's default applies
    else:
        values[key] = value


def _canonical(flag) -> str:
    """Both engines' spellings (recipes written for one engine are sometimes read by the other)."""
    flag = str(flag)
    if not flag.startswith("-"):
        flag = "--" + flag
    flag = "--" + flag.lstrip("-").replace("_", "-")
    # --max-context-len: the seed design's name, accepted by arg_merge as an alias of the maximum length.
    return "--max-model-len" if flag == "--max-context-len" else flag


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None  # not a number: the engine-flag checks report it
    return number if math.isfinite(number) and number > 0 else None


def _int(value) -> int | None:
    number = _float(value)
    return int(number) if number else None


# -- the candidate filter -------------------------------------------------------------------------------

def pool_memory(pool: NodePool) -> float | None:
    """Memory per GPU of a pool: its `memoryGiB`, else the hardware catalog's."""
    if pool.memory_gib:
        return float(pool.memory_gib)
    known = facts_mod.gpu(pool.hardware)
    return known.memory_gib if known else None


def model_facts(models: ModelCatalog, endpoint: Endpoint, recipe: Recipe) -> ModelFacts | None:
    """The endpoint's model, else the weights the recipe loads (a pre-quantized checkpoint's original)."""
    return models.lookup(endpoint.model, recipe.huggingface_id, recipe.model_id)


def memory_check(models: ModelCatalog):
    """A candidate filter for `resolve(checks=...)`: (endpoint, request, entry) -> entry. A candidate that fits is
    kept with its arithmetic, so `explain` shows it; one that cannot be checked is kept with the reason."""

    def check(endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> TraceEntry:
        candidate = entry.candidate
        model = model_facts(models, endpoint, candidate.recipe)
        if model is None:
            return replace(entry, fit_unchecked=f"no facts for model '{endpoint.model}'")
        gpus = candidate.config.gpu_count
        problem = topology_problem(model, gpus)
        if problem:
            return replace(entry, verdict=Verdict.REJECTED, reason=Reason.HEADS, why=problem)
        memory = pool_memory(candidate.pool)
        if memory is None:
            return replace(entry, fit_unchecked=f"no memory figure for {candidate.pool.hardware}")
        fit = _fit(model, candidate.recipe.precision, gpus, memory,
                   config_settings(candidate.config, endpoint.overrides, endpoint.custom_args, request.custom_args))
        if fit.fits:
            return replace(entry, fit=fit)
        return replace(entry, verdict=Verdict.REJECTED, reason=Reason.MEMORY, fit=fit)

    return check


@lru_cache(maxsize=8192)
def _fit(model: ModelFacts, precision: str, gpus: int, memory: float, values: Settings) -> Fit:
    """One fit; cached, as thousands of endpoints share a few recipes."""
    return compute(model, precision, gpus, memory, values)


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
            fit = compute(model, recipe.precision, config.gpu_count, known.memory_gib, config_settings(config))
            if not fit.fits:
                problem = f"does not fit on {known.name}: {fit.describe()}"
        if problem:
            out.append((config, problem))
    return out


def unchecked_warnings(endpoints, models: ModelCatalog) -> list:
    """Resolved engines whose fit could not be checked: the model has no facts, or the pool's GPU no memory figure.
    Warnings (errors under --strict): the configuration may still be right, but aimc cannot vouch for it."""
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
    return out
