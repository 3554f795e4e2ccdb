"""Frozen dataclasses for every input and for the resolved plan.

Mappings from the inputs are kept as tuples of pairs so that every object is immutable and hashable
where that matters; `Origin` ties each object back to its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimc.load.yaml_positions import PosDict, line_of
from aimc.model.routing import Gateway, Traffic

ENGINES = ("vllm", "sglang")
PRECISIONS = ("fp16", "bf16", "fp8", "int8", "int4", "fp4")

Pairs = tuple  # tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Origin:
    """Where an input object came from; `line_of` finds the line of any of its fields."""

    file: str
    source: str
    line: int
    data: PosDict | None = field(default=None, compare=False, repr=False, hash=False)

    def line_of(self, *path) -> int:
        if self.data is None:
            return self.line
        return line_of(self.data, path, self.line)


BUILTIN = Origin("<built-in>", "<built-in>", 0)


@dataclass(frozen=True)
class AutoScaling:
    enabled: bool = False
    min_replicas: int = 1
    max_replicas: int = 1
    provider: str = "hpa"
    metric_name: str | None = None
    metric_target: float | None = None
    scale_down_stabilization_seconds: int | None = None


@dataclass(frozen=True)
class EngineRequest:
    """One engine of an endpoint, with what the endpoint (or the engine entry) asks of it."""

    engine: str
    gpu_count: int | None = None
    replicas: int | None = None
    custom_args: Pairs = ()
    recipe: str | None = None
    path: tuple = ()  # JSON path of the engine entry, for error lines


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None
    labels: Pairs
    annotations: Pairs
    model: str
    hardware: str | None
    precision: str | None
    gpu_count: int | None
    engines: tuple[EngineRequest, ...]
    multi_engine: bool
    recipe: str | None
    metric: str | None
    replicas: int
    autoscaling: AutoScaling
    custom_args: Pairs
    overrides: Pairs  # aimFrameworkOverrides, as given
    image: str | None
    env: tuple  # Kubernetes EnvVar dicts, as given
    origin: Origin
    extra: Pairs = ()  # spec fields other modules read (probes, cache, resources, ...)
    traffic: Traffic = Traffic()  # spec.traffic.weight and servingEngines[].weight (model/routing.py)

    def spec(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class NodePool:
    name: str
    hardware: str
    gpus_per_node: int
    node_count: int
    gpu_resource: str
    node_selector: Pairs
    tolerations: tuple
    memory_gib: float | None
    index: int  # declaration order: the order pools are tried in
    origin: Origin

    @property
    def capacity(self) -> int:
        return self.gpus_per_node * self.node_count


@dataclass(frozen=True)
class Inventory:
    name: str
    pools: tuple[NodePool, ...]
    default_namespace: str | None
    images: Pairs  # engine -> image
    origin: Origin
    extra: Pairs = ()
    gateway: Gateway | None = None  # spec.gateway (model/routing.py); None: no routing objects at all

    def setting(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class RecipeConfig:
    """One `<N>_gpu` configuration of one engine in a recipe (or one official profile)."""

    engine: str
    gpu_count: int
    enabled: bool
    args: Pairs  # flag (with leading dashes) -> value (str | None for a bare flag)
    env: Pairs
    path: tuple  # JSON path inside the recipe document

    @property
    def key(self) -> str:
        return f"{self.gpu_count}_gpu"


@dataclass(frozen=True)
class Recipe:
    id: str
    model_id: str
    huggingface_id: str
    hardware: str
    precision: str
    configs: tuple[RecipeConfig, ...]
    env: Pairs
    origin: Origin
    builtin: bool
    format: str = "recipe"  # "recipe" (AIM framework) or "profile" (official AIM profile)
    metric: str | None = None
    profile_type: str | None = None
    manual_selection_only: bool = False
    # AMD's search order of profile folders: 0 custom/, 1 model-specific (and every AIM framework recipe), 2 general/.
    search_order: int = 1
    profile_name: str = ""  # official AIM profiles: the file stem, AMD's profile id (pinnable when unambiguous)

    @property
    def general(self) -> bool:
        """A model-agnostic fallback (official profiles under general/, which name no model)."""
        return not self.model_id


@dataclass(frozen=True)
class Catalog:
    """Everything selection reads: recipes by id, in a stable order."""

    recipes: tuple[Recipe, ...]

    def by_id(self) -> dict[str, Recipe]:
        return {r.id: r for r in self.recipes}


@dataclass(frozen=True)
class Candidate:
    """A recipe configuration considered for an endpoint's engine, on one node pool."""

    recipe: Recipe
    config: RecipeConfig
    pool: NodePool | None
    rejected: str | None  # reason category (gpu_count, hardware, ...) or None when kept
    detail: str = ""

    def label(self) -> str:
        pool = f" on pool {self.pool.name}" if self.pool else ""
        return f"{self.recipe.id} {self.config.engine} {self.config.key}{pool}"


@dataclass(frozen=True)
class ResolvedEngine:
    """One engine of one endpoint, fully decided: what renders into a Deployment."""

    endpoint: Endpoint
    engine: str
    recipe: Recipe
    config: RecipeConfig
    pool: NodePool
    gpu_count: int
    replicas: int
    args: tuple[str, ...]  # the final command-line arguments
    env: Pairs  # the final environment from recipe + config (+ endpoint env is rendered separately)
    image: str
    port: int
    trace: tuple[str, ...]
    warnings: tuple = ()
    facts: Pairs = ()  # facts other modules add (memory arithmetic, flag set version, ...)

    def fact(self, key: str, default: Any = None) -> Any:
        return dict(self.facts).get(key, default)


@dataclass(frozen=True)
class ResolvedEndpoint:
    endpoint: Endpoint
    engines: tuple[ResolvedEngine, ...]
    namespace: str | None


@dataclass(frozen=True)
class PassthroughObject:
    data: dict
    origin: Origin


@dataclass(frozen=True)
class Inputs:
    """Everything validated from the build inputs."""

    endpoints: tuple[Endpoint, ...]
    inventory: Inventory | None
    catalog: Catalog
    objects: tuple[PassthroughObject, ...]
    models: tuple = ()
