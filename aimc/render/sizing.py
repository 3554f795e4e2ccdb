"""Numbers that grow with the model and the GPU count: startup budget, /dev/shm, CPU and memory per replica.

Every default and formula here is documented in the README ("Rendered workloads"). Kubernetes quantities are
multiplied exactly (fractions), so `1.5Gi × 3` renders as `4608Mi`, never as a float.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from aimc.catalog.model_facts import builtin_catalog
from aimc.catalog.weight_bytes import weight_gb as weight_gb_of
from aimc.memo import compile_table
from aimc.model.inputs import ResourcesPerGpu
from aimc.model.plan import ResolvedEngine
from aimc.records import asdict, replace

# -- model weights ------------------------------------------------------------------------------------------

def weight_gb(engine: ResolvedEngine, models=None) -> float | None:
    """Weights to download and load, in GB (10^9 bytes): per tensor group of the recipe's precision's checkpoint
    (catalog/weight_bytes.py; parameters × bytes per parameter where all are one width).

    `models` is the facts.ModelCatalog of the build (built-in facts plus the repository's AIMModel documents);
    None when the model has no facts."""
    catalog = models if models is not None else builtin_catalog()
    found = catalog.lookup(engine.endpoint.model, engine.recipe.huggingface_id, engine.recipe.model_id)
    if found is None:
        return None
    return weight_gb_of(found, engine.recipe.precision)


# -- startup budget -----------------------------------------------------------------------------------------

STARTUP_BASE_SECONDS = 300  # process start, KV-cache profiling, graph capture: independent of the weights
STARTUP_SECONDS_PER_GB = 20  # download at ≈50 MB/s plus loading into GPU memory
STARTUP_MIN_SECONDS = 600
STARTUP_MAX_SECONDS = 10800
STARTUP_UNKNOWN_MODEL_SECONDS = 1800
STARTUP_PERIOD_SECONDS = 10
# A rollout waits for the image pull (ROCm engine images are ≈20 GB) before the startup probe starts counting.
IMAGE_PULL_ALLOWANCE_SECONDS = 900


def startup_budget_seconds(engine: ResolvedEngine, models=None) -> int:
    """How long a pod may take from container start to serving; the endpoint's startupProbe.budgetSeconds wins."""
    override = engine.endpoint.startup_budget_seconds
    if override is not None:
        return _round_up(int(override), STARTUP_PERIOD_SECONDS)
    gb = weight_gb(engine, models)
    if gb is None:
        return STARTUP_UNKNOWN_MODEL_SECONDS
    budget = STARTUP_BASE_SECONDS + STARTUP_SECONDS_PER_GB * gb
    return _round_up(min(max(math.ceil(budget), STARTUP_MIN_SECONDS), STARTUP_MAX_SECONDS), STARTUP_PERIOD_SECONDS)


def progress_deadline_seconds(engine: ResolvedEngine, models=None) -> int:
    return startup_budget_seconds(engine, models) + IMAGE_PULL_ALLOWANCE_SECONDS


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


# -- /dev/shm, CPU, memory ----------------------------------------------------------------------------------

SHM_PER_GPU = "8Gi"  # AMD's operator uses 8Gi for one pod ...
SHM_MAX_GPUS = 4  # ... AMD's 8-GPU Deployment samples 32Gi: 8Gi per GPU, at most 32Gi
DEFAULT_RESOURCES = ResourcesPerGpu(cpu="4", memory="32Gi", memory_limit="48Gi")  # AMD's operator


def shm_size(engine: ResolvedEngine) -> str:
    override = engine.endpoint.shm_size
    if override:
        return override
    return multiply(SHM_PER_GPU, min(engine.gpu_count, SHM_MAX_GPUS))


def resources_per_gpu(engine: ResolvedEngine, inventory_resources: ResourcesPerGpu | None) -> ResourcesPerGpu:
    """Built-in defaults < inventory spec.defaults.resources < endpoint spec.resources, key by key."""
    return merged_resources(inventory_resources, engine.endpoint.resources)


def merged_resources(inventory_resources: ResourcesPerGpu | None,
                     endpoint_resources: ResourcesPerGpu | None) -> ResourcesPerGpu:
    """`resources_per_gpu` of the inventory's and the endpoint's resources."""
    merged = DEFAULT_RESOURCES
    for layer in (inventory_resources, endpoint_resources):
        if layer is not None:
            merged = replace(merged, **{k: v for k, v in asdict(layer).items() if v is not None})
    return merged


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {None: Fraction(1), "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6),
            "G": Fraction(10**9), "T": Fraction(10**12), "Ki": Fraction(2**10), "Mi": Fraction(2**20),
            "Gi": Fraction(2**30), "Ti": Fraction(2**40)}
# Units tried, largest first, to write a product without a fraction; binary and decimal families stay apart.
_BINARY_UNITS = ("Ti", "Gi", "Mi", "Ki", None)
_DECIMAL_UNITS = ("T", "G", "M", "k", None, "m")


# Remembered for the compile: a few distinct quantities, thousands of Deployments (Fraction arithmetic is slow).
# Measured at 1,000 endpoints (bench/generate.py): 4,660 calls, 15 distinct; the memo saves ~85-140 ms. The key is
# built here, not by `per_compile` (~0.45 us a call less, ~40 ms of a 10,000-endpoint build): a quantity written as
# text and a whole factor are their own typed key (the class is checked, so `True` or `1.0` never meet `1`); any
# other quantity is computed every time.
def multiply(quantity, factor: int) -> str:
    """`multiply("32Gi", 4) == "128Gi"`; `multiply("1.5Gi", 3) == "4608Mi"`; `multiply("500m", 2) == "1"`."""
    if quantity.__class__ is not str or factor.__class__ is not int:
        return _multiply(quantity, factor)
    table = compile_table(_multiply)
    key = (quantity, factor)
    found = table.get(key)
    if found is None:
        found = _multiply(quantity, factor)
        if len(table) >= 4096:
            table.clear()
        table[key] = found
    return found


def _multiply(quantity, factor: int) -> str:
    match = _QUANTITY.match(str(quantity))
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    number, unit = Fraction(match.group(1)), match.group(2)
    total = number * _FACTORS[unit] * factor
    units = _BINARY_UNITS if unit in ("Ki", "Mi", "Gi", "Ti") else _DECIMAL_UNITS
    # The given unit or a smaller one; millicores start from whole cores (3 × 500m is 1500m, 2 × 500m is 1).
    start = units.index(None if unit == "m" else unit)
    for candidate in units[start:]:
        value = total / _FACTORS[candidate]
        if value.denominator == 1:
            return f"{value.numerator}{candidate or ''}"
    # Finer than the smallest unit (bytes or millicores): round up, a request is a lower bound.
    smallest = units[-1]
    return f"{math.ceil(total / _FACTORS[smallest])}{smallest or ''}"


# Remembered for the compile: two or three distinct quantities, checked for every endpoint (a Fraction is immutable).
# Measured at 1,000 endpoints (bench/generate.py): 2,000 calls, 2 distinct; the memo saves ~20 ms. Keyed as `multiply`.
def quantity_value(quantity) -> Fraction:
    if quantity.__class__ is not str:
        return _quantity_value(quantity)
    table = compile_table(_quantity_value)
    found = table.get(quantity)
    if found is None:
        found = _quantity_value(quantity)
        if len(table) >= 4096:
            table.clear()
        table[quantity] = found
    return found


def _quantity_value(quantity) -> Fraction:
    match = _QUANTITY.match(str(quantity))
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    return Fraction(match.group(1)) * _FACTORS[match.group(2)]


def resource_problems(resolved, inventory) -> list:
    """A memory request above the limit is rejected by the API server: say so at the field that set it."""
    from aimc.errors import Diagnostic

    defaults = inventory.resources if inventory else None
    problems = []
    for engine in resolved.engines[:1]:  # per-GPU settings are the same for every engine of an endpoint
        per_gpu = resources_per_gpu(engine, defaults)
        if quantity_value(per_gpu.memory) > quantity_value(per_gpu.memory_limit):
            path: tuple[str, ...]
            if engine.endpoint.resources is not None:
                origin, path = engine.endpoint.origin, ("spec", "resources")
            else:
                assert inventory is not None  # without one there are no defaults, and the built-in ones agree
                origin, path = inventory.origin, ("spec", "defaults", "resources")
            problems.append(Diagnostic(
                origin.file, origin.line_of(*path), ".".join(path),
                f"memoryPerGpu {per_gpu.memory} is above memoryLimitPerGpu {per_gpu.memory_limit}; "
                "the memory request must not exceed the limit"))
    return problems
