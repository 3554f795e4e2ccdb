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
from dataclasses import dataclass
from functools import lru_cache

from aimc.catalog import model_facts as facts_mod
from aimc.errors import Diagnostic
from aimc.resolve.engine_args import OVERRIDE_FLAGS
from aimc.catalog.model_facts import ModelCatalog, ModelFacts

GIB = 2 ** 30
WEIGHT_FACTOR = 1.02
OVERHEAD_GIB = 2.3
OVERHEAD_SHARE = 0.05
DEFAULT_UTILISATION = 0.9
BYTES_PER_PARAMETER = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5}

# Flags that carry the utilisation, the maximum length and the KV-cache type, under either engine's name (recipes
# written for one engine are sometimes read by the other).
UTILISATION_FLAGS = ("--gpu-memory-utilization", "--mem-fraction-static")
MAX_LEN_FLAGS = ("--max-model-len", "--context-length")
KV_DTYPE_FLAGS = ("--kv-cache-dtype",)
ONE_BYTE_KV = ("fp8", "fp8_e4m3", "fp8_e5m2", "int8", "fp8_inc")


@dataclass(frozen=True)
class Settings:
    """What the final command line says about memory, and where each value came from."""

    utilisation: float | None
    max_len: int | None
    kv_dtype: str | None


@dataclass(frozen=True)
class Fit:
    model: str
    gpus: int
    weights_gib: float
    overhead_gib: float
    kv_gib: float
    max_len: int
    kv_split: int
    memory_gib: float
    utilisation: float

    @property
    def needed_gib(self) -> float:
        return WEIGHT_FACTOR * self.weights_gib + self.overhead_gib + self.kv_gib

    @property
    def budget_gib(self) -> float:
        return self.memory_gib * self.utilisation

    @property
    def fits(self) -> bool:
        return self.needed_gib <= self.budget_gib

    def summary(self) -> str:
        """`needs 71.2 GiB per GPU, has 57.6 GiB (64 GiB × 0.90)`."""
        digits = 1
        while digits < 3 and f"{self.needed_gib:.{digits}f}" == f"{self.budget_gib:.{digits}f}":
            digits += 1  # never print "needs 57.6, has 57.6" for a near miss
        needed, budget = f"{self.needed_gib:.{digits}f}", f"{self.budget_gib:.{digits}f}"
        return (f"needs {needed} GiB per GPU, has {budget} GiB "
                f"({_number(self.memory_gib)} GiB × {self.utilisation:.2f})")

    def arithmetic(self) -> str:
        split = f" / {self.kv_split}" if self.kv_split > 1 else ""
        return (f"weights {self.weights_gib:.2f} GiB × {WEIGHT_FACTOR} + overhead {self.overhead_gib:.2f} GiB + "
                f"KV {self.kv_gib:.2f} GiB (one {self.max_len}-token sequence{split})")

    def describe(self) -> str:
        return f"{self.summary()}: {self.arithmetic()}"


def compute(model: ModelFacts, precision: str, gpus: int, memory_gib: float, settings: Settings) -> Fit:
    weights = model.parameters_b * 1e9 * BYTES_PER_PARAMETER.get(precision, 2) / gpus / GIB
    kv_bytes = 1 if (settings.kv_dtype or "").lower() in ONE_BYTE_KV else 2
    split = 1 if model.kv_latent_dim else min(gpus, model.kv_heads)
    max_len = settings.max_len or model.max_context
    kv = max_len * model.kv_bytes_per_token(kv_bytes) / split / GIB
    utilisation = settings.utilisation if settings.utilisation is not None else DEFAULT_UTILISATION
    return Fit(model.id, gpus, weights, OVERHEAD_GIB + OVERHEAD_SHARE * weights, kv, max_len, split, memory_gib,
               utilisation)


def topology_problem(model: ModelFacts, gpus: int) -> str | None:
    """Tensor parallelism splits attention heads evenly; KV heads are split or replicated evenly."""
    if model.attention_heads % gpus:
        return f"tensor parallelism {gpus} does not divide the {model.attention_heads} attention heads of {model.id}"
    if model.kv_heads and model.kv_heads % gpus and gpus % model.kv_heads:
        return (f"tensor parallelism {gpus} neither divides nor is a multiple of the {model.kv_heads} KV heads of "
                f"{model.id}")
    return None


# -- reading the command line ----------------------------------------------------------------------------

def settings(engine: str, recipe_args, overrides=(), custom_args=()) -> Settings:
    """Utilisation, maximum length and KV-cache type after the endpoint's overrides
    (recipe args < aimFrameworkOverrides < customArgs, as engine_args builds the command line)."""
    values = dict(_recipe_values(tuple(recipe_args)))
    for name, value in overrides:
        flag = OVERRIDE_FLAGS.get(name, {}).get(engine)
        if flag:
            _take(values, flag, value)
    for flag, value in custom_args:
        _take(values, flag, value)
    return Settings(_float(values.get("utilisation")), _int(values.get("max_len")),
                    str(values["kv_dtype"]) if values.get("kv_dtype") is not None else None)


@lru_cache(maxsize=4096)
def _recipe_values(recipe_args: tuple) -> tuple:
    """The memory-relevant values of one configuration's args (cached: every endpoint reads the same recipes)."""
    values: dict = {}
    for flag, value in recipe_args:
        _take(values, flag, value)
    return tuple(values.items())


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
    flag = str(flag)
    if not flag.startswith("-"):
        flag = "--" + flag
    flag = "--" + flag.lstrip("-").replace("_", "-")
    # --max-context-len: the seed design's name, accepted by engine_args as an alias of the maximum length.
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


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- the candidate filter -------------------------------------------------------------------------------

def pool_memory(pool) -> tuple[float | None, str]:
    """Memory per GPU of a pool: its `memoryGiB`, else the hardware catalog's."""
    if pool.memory_gib:
        return float(pool.memory_gib), f"memoryGiB of node pool {pool.name}"
    known = facts_mod.gpu(pool.hardware)
    return (known.memory_gib, f"{known.name} in the hardware catalog") if known else (None, "")


def model_facts(models: ModelCatalog, endpoint, recipe) -> ModelFacts | None:
    """The endpoint's model, else the weights the recipe loads (a pre-quantized checkpoint's original)."""
    return models.lookup(endpoint.model, recipe.huggingface_id, recipe.model_id)


NOT_CHECKED = "fit not checked"


def memory_check(models: ModelCatalog):
    """A candidate filter for `resolve(checks=...)`: (endpoint, request, candidate) -> (reason, detail) or None.
    A candidate that fits is kept with the arithmetic as its detail, so `explain` shows it."""

    def check(endpoint, request, candidate):
        model = model_facts(models, endpoint, candidate.recipe)
        if model is None:
            return None, f"{NOT_CHECKED}: no facts for model '{endpoint.model}'"
        gpus = candidate.config.gpu_count
        problem = topology_problem(model, gpus)
        if problem:
            return "heads", problem
        memory, _ = pool_memory(candidate.pool)
        if memory is None:
            return None, f"{NOT_CHECKED}: no memory figure for {candidate.pool.hardware}"
        custom = tuple(endpoint.custom_args) + tuple(request.custom_args)
        return _verdict(model, candidate.recipe.precision, gpus, memory,
                        settings(candidate.config.engine, candidate.config.args, endpoint.overrides, custom))

    return check


@lru_cache(maxsize=8192)
def _verdict(model: ModelFacts, precision: str, gpus: int, memory: float, values: Settings) -> tuple:
    """(reason, detail) of one fit; cached, as thousands of endpoints share a few recipes."""
    fit = compute(model, precision, gpus, memory, values)
    return ("memory", fit.describe()) if not fit.fits else (None, "fits: " + fit.describe())


def recipe_fit_problems(recipe, models: ModelCatalog) -> list[tuple]:
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
            fit = compute(model, recipe.precision, config.gpu_count, known.memory_gib,
                          settings(config.engine, config.args))
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
            if pool_memory(pool)[0] is None and (pool.name, "memory") not in seen:
                seen.add((pool.name, "memory"))
                out.append(Diagnostic(pool.origin.file, pool.origin.line_of("spec", "nodePools", pool.index),
                                      f"spec.nodePools[{pool.index}]",
                                      f"hardware '{pool.hardware}' is not in the hardware catalog: memory fit was "
                                      "not checked; set memoryGiB on the node pool", "warning"))
    return out
