"""Frozen records (aimc/records.py) of the plan: the candidates resolve considered, its verdict on each, and what it
decided. Resolve fills these; `reports.explain` formats them and `resolve.candidates` quotes them in errors. Nothing
here is text to be parsed again: a verdict is an enum, a rejection a `Reason`, the memory arithmetic a `Fit`."""

from __future__ import annotations

from enum import Enum

from aimc.model.disaggregation import ResolvedDisaggregation
from aimc.model.inputs import Endpoint, EngineRequest, NodePool, Recipe, RecipeConfig, StrPairs
from aimc.model.performance import Assessment
from aimc.records import Record


class Reason(Enum):
    """Why a candidate configuration was rejected."""

    DISABLED = "disabled"
    HARDWARE = "hardware"
    NO_POOL = "no_pool"
    NODE_POOL = "node_pool"  # not the node pool the endpoint is pinned to (spec.nodePool)
    PRECISION = "precision"
    GPU_COUNT = "gpu_count"
    METRIC = "metric"
    MANUAL_ONLY = "manual_only"
    NODE_FIT = "node_fit"
    GROUP = "group"  # more GPUs than a node: no pool can hold the group of whole nodes (or no LeaderWorkerSet)
    HEADS = "heads"  # tensor parallelism does not divide the attention (or KV) heads
    MEMORY = "memory"  # weights, overhead and one sequence's KV cache exceed the budget
    PARALLELISM = "parallelism"  # TP × PP cannot be the GPUs of the pod or group (resolve/groups.py)

    @property
    def from_request(self) -> bool:
        """The candidate differs from what the endpoint asked for (or what the inventory has); the other reasons
        are defects of a configuration that matched the request, which errors point at."""
        return self not in (Reason.HEADS, Reason.MEMORY, Reason.PARALLELISM)


class Verdict(Enum):
    SELECTED = "selected"
    KEPT = "kept"  # passed every filter, ranked lower
    REJECTED = "rejected"


class Fit(Record):
    """The memory arithmetic of one configuration on one GPU, as the engine accounts it (resolve/fit_vllm.py,
    resolve/fit_sglang.py; the README's "Memory fit").

    Both engines hand out `memory × fraction` (vLLM `--gpu-memory-utilization`, SGLang's effective
    `--mem-fraction-static`) to weights, `runtime` and the KV cache, and need `outside` (HIP graphs) in what is left
    of the GPU. vLLM refuses to start unless the KV cache left holds one sequence of `max_len` tokens; SGLang starts
    whenever its KV pool is above zero (and caps request length at the pool's size).
    """

    model: str
    engine: str  # "vllm" or "sglang": whose accounting
    gpus: int  # of one replica (tensor × pipeline parallel)
    memory_gib: float  # per GPU
    fraction: float
    fraction_note: str  # how the fraction came about when the command line does not say it, e.g. "SGLang's default"
    weights_gib: float
    weight_factor: float
    runtime_gib: float  # inside the fraction besides weights and KV (vLLM: activation peak + non-torch memory)
    kv_gib: float  # one sequence of max_len tokens
    max_len: int
    kv_split: int
    outside_gib: float  # HIP graphs, outside the fraction (0 with graphs off)
    windowed: str = ""  # e.g. "18 of 36 layers keep 8319 tokens"
    weights_split: str = ""  # the checkpoint's tensor groups when not all of one width (catalog/weight_bytes.py)
    defaults: str = ""  # the engine release's defaults the arithmetic used (resolve/fit_defaults.py), for explain
    lora_gib: float = 0.0  # the GPU slots LoRA adapters reserve (resolve/fit_lora.py), inside the fraction
    lora_note: str = ""  # how the slots were counted, e.g. "3 slots × rank 64, attention and MLP"

    @property
    def budget_gib(self) -> float:
        return self.memory_gib * self.fraction

    @property
    def static_gib(self) -> float:
        return self.weight_factor * self.weights_gib + self.runtime_gib + self.lora_gib

    @property
    def kv_left_gib(self) -> float:
        """The KV cache (vLLM) or KV pool (SGLang) the engine allocates."""
        return self.budget_gib - self.static_gib

    @property
    def reserve_gib(self) -> float:
        return self.memory_gib - self.budget_gib

    @property
    def needed_gib(self) -> float:
        """What the fraction must hold: one max-length sequence for vLLM, any KV pool at all for SGLang."""
        return self.static_gib + (self.kv_gib if self.engine == "vllm" else 0.0)

    @property
    def graphs_fit(self) -> bool:
        return self.outside_gib <= self.reserve_gib

    @property
    def budget_fits(self) -> bool:
        if self.engine == "vllm":
            return self.kv_left_gib > 0 and self.needed_gib <= self.budget_gib
        return self.kv_left_gib > 0

    @property
    def fits(self) -> bool:
        return self.budget_fits and self.graphs_fit

    @property
    def pool_tokens(self) -> int:
        """Tokens of the SGLang KV pool at the per-token size of one max-length sequence (0 when none is left)."""
        if self.kv_left_gib <= 0 or self.kv_gib <= 0:
            return 0
        return int(self.max_len * self.kv_left_gib / self.kv_gib)

    def summary(self) -> str:
        """`needs 75.7 GiB per GPU, has 57.6 GiB (64 GiB × 0.90)`; when the budget holds but the graphs do not:
        `leaves 0.96 GiB outside the budget (192 GiB × 0.005), HIP graphs need 1.00 GiB`."""
        if self.budget_fits and not self.graphs_fit:
            return (f"leaves {self.reserve_gib:.2f} GiB outside the budget ({_number(self.memory_gib)} GiB × "
                    f"{1 - self.fraction:.3g}), HIP graphs need {self.outside_gib:.2f} GiB")
        digits = 1
        while digits < 3 and f"{self.needed_gib:.{digits}f}" == f"{self.budget_gib:.{digits}f}":
            digits += 1  # never print "needs 57.6, has 57.6" for a near miss
        needed, budget = f"{self.needed_gib:.{digits}f}", f"{self.budget_gib:.{digits}f}"
        two_places = round(self.fraction, 2) == round(self.fraction, 4)
        fraction = f"{self.fraction:.2f}" if two_places else f"{self.fraction:.3f}"
        note = f", {self.fraction_note}" if self.fraction_note else ""
        return f"needs {needed} GiB per GPU, has {budget} GiB ({_number(self.memory_gib)} GiB × {fraction}{note})"

    def arithmetic(self) -> str:
        split = f" / {self.kv_split}" if self.kv_split > 1 else ""
        windowed = f"; {self.windowed}" if self.windowed else ""
        runtime = "activations and non-torch" if self.engine == "vllm" else "non-torch"
        stored = f" ({self.weights_split}, / {self.gpus} GPUs)" if self.weights_split else ""
        lora = f" + LoRA slots {self.lora_gib:.2f} GiB ({self.lora_note})" if self.lora_note else ""
        text = (f"weights {self.weights_gib:.2f} GiB{stored} × {self.weight_factor} + {runtime} "
                f"{self.runtime_gib:.2f} GiB{lora} + KV {self.kv_gib:.2f} GiB (one {self.max_len}-token sequence"
                f"{split}{windowed})")
        if self.engine == "sglang" and self.kv_left_gib > 0:
            text += f"; KV pool {self.kv_left_gib:.2f} GiB"
            if self.kv_left_gib < self.kv_gib:
                text += f": SGLang caps a request at about {self.pool_tokens} tokens"
        if self.outside_gib:
            text += f"; HIP graphs {self.outside_gib:.2f} GiB outside the budget"
        return text

    def describe(self) -> str:
        return f"{self.summary()}: {self.arithmetic()}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class GroupPlan(Record):
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


class Candidate(Record):
    """A recipe configuration considered for an endpoint's engine, on one node pool (None when rejected before a
    pool was chosen)."""

    recipe: Recipe
    config: RecipeConfig
    pool: NodePool | None

    def label(self) -> str:
        pool = f" on pool {self.pool.name}" if self.pool else ""
        generated = " (generated, unoptimized)" if self.recipe.generated else ""
        return f"{self.recipe.id}{generated} {self.config.engine} {self.config.key}{pool}"


class TraceEntry(Record):
    """One candidate and the verdict on it: the reason and its explanation when rejected, the memory arithmetic
    when it was checked (`fit`), or why it could not be (`fit_unchecked`)."""

    candidate: Candidate
    verdict: Verdict
    reason: Reason | None = None
    why: str = ""  # what the candidate has against what was asked (a rejection other than memory)
    fit: Fit | None = None
    fit_unchecked: str = ""  # e.g. "no facts for model 'acme/x'"
    objective: Assessment | None = None  # the prediction against spec.objective (resolve/objective.py)


class Selection(Record):
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


class ImageChoice(Record):
    """The image one engine runs on one node pool and what aimc knows about it (resolve/images.py decides)."""

    image: str
    engine: str
    version: str  # the engine version inside the image (catalogued, declared, read from its tag, or assumed)
    flag_set_version: str  # the shipped flag set the arguments are checked against
    arch: str | None
    environment: StrPairs  # what the image needs on this architecture (e.g. VLLM_ROCM_USE_AITER=0 on gfx90a)
    source: str  # where the image was chosen: "aimc default for gfx942", "spec.image", ...
    how: str  # how the version is known: "runtime catalog", "declared", "from the tag", "assumed"


class Rollout(Record):
    """How a rolling update replaces the replicas of one engine: resolve/rollout.py decides, render writes it into the
    Deployment's `strategy` (or the LeaderWorkerSet's `rolloutStrategy`) and the capacity plan counts its surge, so
    the two cannot disagree."""

    max_surge: int  # replicas (pods, or groups of nodes) a rolling update may start above the desired count
    max_unavailable: int  # replicas it may stop at once


class ResolvedEngine(Record):
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
    rollout: Rollout  # how a new version replaces the running replicas
    notes: tuple[str, ...] = ()  # what the argument merge replaced, removed or overrode
    flag_set: str = ""  # the engine flag set the arguments were checked against, e.g. "vllm 0.11.1"
    runtime: ImageChoice | None = None  # the image's engine version, architecture and environment (resolve/images)
    dropped: tuple[str, ...] = ()  # recipe flags the engine version removed and ignores, left out
    group: GroupPlan | None = None  # a multi-node group (rendered as a LeaderWorkerSet); None: one pod per replica
    launch: tuple[str, ...] = ()  # the command that starts the server, as the image's release wants it
    objective: Assessment | None = None  # the selected configuration against spec.objective
    role: str = ""  # prefill or decode of a disaggregated endpoint; `endpoint` is then the role's view (<name>-<role>)


class ResolvedEndpoint(Record):
    endpoint: Endpoint
    engines: tuple[ResolvedEngine, ...]  # a disaggregated endpoint: its prefill and decode roles
    namespace: str | None
    disaggregation: ResolvedDisaggregation | None = None  # the transfer and the front door of the roles
    serving: tuple[str, ...] = ()  # spec.objective.serving's comparison of aggregated and disaggregated, for explain

    @property
    def served(self) -> tuple[ResolvedEngine, ...]:
        """One per engine clients reach: a decode role stands for its engine's front door (same name and port)."""
        return tuple(e for e in self.engines if e.role in ("", "decode"))
