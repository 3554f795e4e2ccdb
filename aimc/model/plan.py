"""Frozen dataclasses of the plan: the candidates resolve considered, its verdict on each, and what it decided.

Resolve fills these; `reports.explain` formats them and `resolve.candidates` quotes them in errors. Nothing here is
text to be parsed again: a verdict is an enum, a rejection a `Reason`, the memory arithmetic a `Fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aimc.model.inputs import Endpoint, EngineRequest, NodePool, Recipe, RecipeConfig, StrPairs


class Reason(Enum):
    """Why a candidate configuration was rejected."""

    DISABLED = "disabled"
    HARDWARE = "hardware"
    NO_POOL = "no_pool"
    PRECISION = "precision"
    GPU_COUNT = "gpu_count"
    METRIC = "metric"
    MANUAL_ONLY = "manual_only"
    NODE_FIT = "node_fit"
    GROUP = "group"  # more GPUs than a node: no pool can hold the group of whole nodes (or no LeaderWorkerSet)
    HEADS = "heads"  # tensor parallelism does not divide the attention (or KV) heads
    MEMORY = "memory"  # weights, overhead and one sequence's KV cache exceed the budget
    PARALLELISM = "parallelism"  # a multi-node group's TP × PP plan is inconsistent (resolve/groups.py)

    @property
    def from_request(self) -> bool:
        """The candidate differs from what the endpoint asked for (or what the inventory has); the other reasons
        are defects of a configuration that matched the request, which errors point at."""
        return self not in (Reason.HEADS, Reason.MEMORY, Reason.PARALLELISM)


class Verdict(Enum):
    SELECTED = "selected"
    KEPT = "kept"  # passed every filter, ranked lower
    REJECTED = "rejected"


@dataclass(frozen=True)
class Fit:
    """The memory arithmetic of one configuration on one GPU (see resolve/fit.py for the formula)."""

    model: str
    gpus: int
    weights_gib: float
    weight_factor: float
    overhead_gib: float
    kv_gib: float
    max_len: int
    kv_split: int
    memory_gib: float
    utilisation: float

    @property
    def needed_gib(self) -> float:
        return self.weight_factor * self.weights_gib + self.overhead_gib + self.kv_gib

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
        return (f"weights {self.weights_gib:.2f} GiB × {self.weight_factor} + overhead {self.overhead_gib:.2f} GiB + "
                f"KV {self.kv_gib:.2f} GiB (one {self.max_len}-token sequence{split})")

    def describe(self) -> str:
        return f"{self.summary()}: {self.arithmetic()}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class GroupPlan:
    """How one replica spans several nodes (a LeaderWorkerSet group): `nodes` pods, each with a whole node's GPUs;
    tensor parallelism `tp` × pipeline parallelism `pp` = the configuration's GPU count (resolve/groups.py)."""

    gpu_count: int
    gpus_per_node: int
    nodes: int
    tp: int
    pp: int
    from_recipe: bool  # the recipe set TP and/or PP; else TP = GPUs per node, PP = nodes

    def arithmetic(self) -> str:
        """`16 GPUs = 2 nodes × 8 GPUs; TP 8 × PP 2 = 16 (TP = GPUs per node, PP = nodes)`."""
        rule = "from the recipe" if self.from_recipe else "TP = GPUs per node, PP = nodes"
        return (f"{self.gpu_count} GPUs = {self.nodes} nodes × {self.gpus_per_node} GPUs; "
                f"TP {self.tp} × PP {self.pp} = {self.tp * self.pp} ({rule})")


@dataclass(frozen=True)
class Candidate:
    """A recipe configuration considered for an endpoint's engine, on one node pool (None when rejected before a
    pool was chosen)."""

    recipe: Recipe
    config: RecipeConfig
    pool: NodePool | None

    def label(self) -> str:
        pool = f" on pool {self.pool.name}" if self.pool else ""
        return f"{self.recipe.id} {self.config.engine} {self.config.key}{pool}"


@dataclass(frozen=True)
class TraceEntry:
    """One candidate and the verdict on it: the reason and its explanation when rejected, the memory arithmetic
    when it was checked (`fit`), or why it could not be (`fit_unchecked`)."""

    candidate: Candidate
    verdict: Verdict
    reason: Reason | None = None
    why: str = ""  # what the candidate has against what was asked (a rejection other than memory)
    fit: Fit | None = None
    fit_unchecked: str = ""  # e.g. "no facts for model 'acme/x'"


@dataclass(frozen=True)
class Selection:
    endpoint: Endpoint
    request: EngineRequest
    trace: tuple[TraceEntry, ...]  # kept candidates in rank order (the selected one first), then rejected ones
    chosen: Candidate | None

    @property
    def engine(self) -> str:
        return self.request.engine

    @property
    def selected(self) -> TraceEntry | None:
        return self.trace[0] if self.chosen is not None else None


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
    env: StrPairs  # the final environment from recipe + config (+ endpoint env is rendered separately)
    image: str
    port: int
    trace: tuple[TraceEntry, ...]  # every candidate of the selection
    notes: tuple[str, ...] = ()  # what the argument merge replaced, removed or overrode
    flag_set: str = ""  # the engine flag set the arguments were checked against, e.g. "vllm 0.11.1"
    group: GroupPlan | None = None  # a multi-node group (rendered as a LeaderWorkerSet); None: one pod per replica


@dataclass(frozen=True)
class ResolvedEndpoint:
    endpoint: Endpoint
    engines: tuple[ResolvedEngine, ...]
    namespace: str | None
