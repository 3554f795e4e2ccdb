"""Recipe generation: configurations for a model nobody wrote a recipe for (`aimc recipes generate`, and the
fallback candidates of `build`).

For every hardware × precision × GPU count (1, 2, 4, 8, at most a node) the configuration must pass the checks every
written recipe passes: tensor parallelism against the heads (`fit.topology_problem`) and the memory fit
(`fit.compute`, the one arithmetic). The maximum length is the model's when one sequence of it fits, else the
largest multiple of 1024 tokens that does (never below 4096); `--max-num-seqs` is the number of such sequences the
KV cache left after weights and overhead holds, at most 256 (the built-in catalog's concurrency). Everything is
generated from the model facts alone, so it is deterministic and marked `unoptimized`: nobody has measured it.

A model that fits on no single node of a hardware (for a precision, with any engine) gets, per engine, the smallest
group of whole nodes (2, 4, 8 nodes of the target's GPUs per node) that passes the group plan (`groups.plan_group`:
TP = GPUs per node, PP = nodes, the plan the built-in multi-node recipes leave to aimc, so the args set neither) and
the group memory fit (`fit_groups.compute_group`). Past MAX_NODES nodes it is reported as a `Shortfall` with the
smallest GPU count that would hold it.
"""

from __future__ import annotations

import re
import unicodedata

from aimc.catalog import hf_parameters
from aimc.catalog.model_facts import ModelFacts
from aimc.model.inputs import ArgPairs, StrPairs
from aimc.model.plan import Fit, GroupPlan
from aimc.records import Record
from aimc.resolve import env_checks, fit, fit_groups, groups
from aimc.resolve.precision import precision_problem

GPU_COUNTS = (1, 2, 4, 8)
NODE_COUNTS = (2, 4, 8)  # multi-node groups tried, smallest first; MAX_NODES bounds what generation proposes
MAX_NODES = NODE_COUNTS[-1]
MIN_LEN = 4096
LEN_STEP = 1024
MAX_NUM_SEQS = 256
UTILISATION = {"vllm": 0.9, "sglang": 0.85}  # the built-in catalog's (recipes/README.md)
# Weight precisions each GPU architecture runs: fp8 from MI300 (gfx942) on; MXFP4 (gpt-oss) runs on gfx942 through
# vLLM's Triton kernels and natively on gfx950. MI200 (gfx90a) has neither.
ARCH_PRECISIONS = {"gfx908": ("fp16",), "gfx90a": ("bf16", "fp16"), "gfx942": ("bf16", "fp16", "fp8", "fp4"),
                   "gfx950": ("bf16", "fp16", "fp8", "fp4")}
SIXTEEN_BIT = ("bf16", "fp16")
DTYPE_FLAG = {"bf16": "bfloat16", "fp16": "float16"}
ENGINE_FLAGS = {  # engine -> (maximum length, utilisation, batched tokens, concurrency)
    "vllm": ("--max-model-len", "--gpu-memory-utilization", "--max-num-batched-tokens", "--max-num-seqs"),
    "sglang": ("--context-length", "--mem-fraction-static", "--chunked-prefill-size", "--max-running-requests"),
}


class Target(Record):
    """One hardware to generate for: memory per GPU and the largest node."""

    hardware: str
    memory_gib: float
    arch: str
    gpus_per_node: int = 8


class Proposal(Record):
    engine: str
    gpus: int
    fit: Fit  # at the chosen maximum length
    max_len: int
    reduced: bool  # shorter than the model's context: the longest that fits
    max_num_seqs: int
    args: ArgPairs  # flag -> value (None: a bare flag)
    plan: GroupPlan | None = None  # a multi-node group: its TP x PP plan


class Refusal(Record):
    engine: str
    gpus: int
    why: str


class GeneratedRecipe(Record):
    id: str
    model_id: str
    hardware: str
    precision: str
    quantized_online: bool  # fp8 from a 16-bit checkpoint: `--quantization fp8`
    env: StrPairs
    proposals: tuple[Proposal, ...]
    refusals: tuple[Refusal, ...]
    huggingface_id: str = ""  # the weights to load; empty: model_id


class Shortfall(Record):
    """A hardware × precision on which no group of up to MAX_NODES nodes holds the model."""

    hardware: str
    precision: str
    gpus_per_node: int
    needed_gpus: int | None  # the smallest group (a power of two of nodes) that holds weights and one MIN_LEN sequence
    fit: Fit | None


class Generation(Record):
    model: ModelFacts
    model_id: str
    recipes: tuple[GeneratedRecipe, ...]  # with at least one proposal each
    shortfalls: tuple[Shortfall, ...]


def model_slug(model_id: str) -> str:
    """The name part of a model id in a recipe id's alphabet: `mistralai/Mistral-7B-Instruct-v0.3` ->
    mistral-7b-instruct-v0-3; accents are dropped (`acme/Modèle` -> modele); empty when nothing is left."""
    name = unicodedata.normalize("NFKD", model_id.rsplit("/", 1)[-1]).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


def recipe_id(model_id: str, hardware: str, precision: str) -> str:
    """`mistralai/Mistral-7B-Instruct-v0.3`, MI300X, bf16 -> mistral-7b-instruct-v0-3-mi300x-bf16 (the catalog's
    style)."""
    return "-".join((model_slug(model_id), hardware.lower(), precision))


def precisions(model: ModelFacts, arch: str) -> tuple[str, ...]:
    """What a checkpoint can be served in on an architecture: its own precision (both 16-bit types for a 16-bit
    checkpoint) and, from a 16-bit checkpoint, fp8 by the engine's online quantization."""
    native = model.native_precision or "bf16"
    offered = (*SIXTEEN_BIT, "fp8") if native in (*SIXTEEN_BIT, "fp32") else (native,)
    supported = ARCH_PRECISIONS.get(arch, SIXTEEN_BIT)
    return tuple(p for p in offered if p in supported)


def architecture_env(hardware: str) -> StrPairs:
    """The architecture environment of a generated configuration. Today: GPU_ARCHS, the variable AMD's profiles set
    and `env_checks` verifies. Hook: the runtime image catalog's per-architecture environment replaces this."""
    arch = env_checks.gpu_arches().get(hardware.upper())
    return (("GPU_ARCHS", arch),) if arch else ()


def generate(model: ModelFacts, targets: tuple[Target, ...], engines: tuple[str, ...],
             wanted_precisions: tuple[str, ...] = (), model_id: str | None = None) -> Generation:
    model_id = model_id or model.id
    recipes, shortfalls = [], []
    for target in targets:
        offered = precisions(model, target.arch)
        for precision in (p for p in (wanted_precisions or offered) if p in offered):
            proposals: list[Proposal] = []
            refusals: list[Refusal] = []
            for engine in engines:
                problem = precision_problem(precision, target.hardware, engine)
                if problem:  # e.g. SGLang has no FP4 below gfx950 (the runtime catalog): no configuration at all
                    refusals.append(Refusal(engine, 0, problem))
                    continue
                for gpus in (n for n in GPU_COUNTS if n <= target.gpus_per_node):
                    outcome = configure(model, target, precision, engine, gpus)
                    _sort_into(outcome, proposals, refusals)
            if not proposals:  # no single node holds it: the smallest group of whole nodes, per engine
                for engine in (e for e in engines if not precision_problem(precision, target.hardware, e)):
                    for nodes in NODE_COUNTS:
                        outcome = configure(model, target, precision, engine, nodes * target.gpus_per_node)
                        _sort_into(outcome, proposals, refusals)
                        if isinstance(outcome, Proposal):
                            break
            if proposals:
                recipes.append(GeneratedRecipe(
                    recipe_id(model_id, target.hardware, precision), model_id, target.hardware, precision,
                    precision == "fp8" and (model.native_precision or "bf16") != "fp8",
                    architecture_env(target.hardware), tuple(proposals), tuple(refusals)))
            else:
                shortfalls.append(smallest(model, target, precision))
    return Generation(model, model_id, tuple(recipes), tuple(shortfalls))


def _sort_into(outcome: Proposal | Refusal, proposals: list[Proposal], refusals: list[Refusal]) -> None:
    if isinstance(outcome, Proposal):
        proposals.append(outcome)
    else:
        refusals.append(outcome)


def configure(model: ModelFacts, target: Target, precision: str, engine: str, gpus: int) -> Proposal | Refusal:
    """One configuration of `gpus` GPUs; above the target's GPUs per node, a group of whole nodes."""
    plan: groups.GroupPlan | None = None
    if gpus > target.gpus_per_node:
        planned = groups.plan_group(gpus, target.gpus_per_node, attention_heads=model.attention_heads,
                                    layers=model.layers)
        if isinstance(planned, groups.GroupProblem):
            return Refusal(engine, gpus, planned.message)
        plan = planned
    problem = fit.topology_problem(model, plan.tp if plan else gpus)
    if plan and not problem and fit.topology_problem(model, gpus):
        problem = (f"{fit.topology_problem(model, gpus)}, and `aimc recipes validate`, which knows no nodes, "
                   f"checks {gpus} GPUs as TP {gpus}")
    if problem:
        return Refusal(engine, gpus, problem)
    utilisation = UTILISATION[engine]

    def measure(max_len: int) -> Fit:
        settings = fit.Settings(utilisation, max_len, None)
        if plan:
            return fit_groups.compute_group(model, precision, plan, target.memory_gib, settings, engine)
        return fit.compute(model, precision, gpus, target.memory_gib, settings, engine)

    def holds(candidate: Fit) -> bool:
        if not _holds(candidate):
            return False
        # A group must also pass `aimc recipes validate`, which knows no pool and checks N GPUs as TP N (KV heads
        # replicated past their count): the stricter figure bounds the length of a group.
        return plan is None or fit.compute(model, precision, gpus, target.memory_gib,
                                           fit.Settings(utilisation, candidate.max_len, None), engine).fits

    full = measure(model.max_context)
    chosen = full if holds(full) else _longest(model, measure, holds)
    if chosen is None:
        shortest = measure(min(MIN_LEN, model.max_context))
        where = f"{plan.nodes} {target.hardware} nodes" if plan else target.hardware
        return Refusal(engine, gpus, f"does not fit on {where}: {shortest.describe()}")
    sequences = max(1, min(MAX_NUM_SEQS, int(chosen.kv_left_gib // chosen.kv_gib)))  # KV left after weights, runtime
    return Proposal(engine, gpus, chosen, chosen.max_len, chosen is not full, sequences,
                    _args(model, target, precision, engine, chosen.max_len, utilisation, sequences), plan)


def _holds(candidate: Fit) -> bool:
    """The engine starts and its KV cache holds one sequence of the maximum length. vLLM refuses to start
    otherwise; SGLang starts with any KV pool but caps requests at its size, so a generated SGLang configuration
    asks the same of it: the length it declares must be servable."""
    return candidate.fits and candidate.kv_left_gib >= candidate.kv_gib


def _longest(model: ModelFacts, measure, holds) -> Fit | None:
    """The longest multiple of LEN_STEP (at least MIN_LEN) whose one sequence fits, by bisection on `measure`."""
    low, high = MIN_LEN // LEN_STEP, model.max_context // LEN_STEP
    if high < low or not holds(measure(low * LEN_STEP)):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if holds(measure(middle * LEN_STEP)):
            low = middle
        else:
            high = middle - 1
    return measure(low * LEN_STEP)


def _args(model: ModelFacts, target: Target, precision: str, engine: str, max_len: int, utilisation: float,
          sequences: int) -> ArgPairs:
    length, memory, batched, concurrency = ENGINE_FLAGS[engine]
    args: list[tuple[str, str | None]] = []
    native = model.native_precision or "bf16"
    if precision in SIXTEEN_BIT:
        args.append(("--dtype", DTYPE_FLAG[precision]))
    elif precision == "fp8" and native != "fp8":
        args.append(("--quantization", "fp8"))  # online: the engine quantizes the 16-bit weights as it loads them
    args += [(length, str(max_len)), (memory, f"{utilisation:g}"),
             (batched, "4096" if target.arch == "gfx90a" else "8192"), (concurrency, str(sequences))]
    parsers = hf_parameters.parsers(model.architecture, engine)
    if "tool" in parsers:
        if engine == "vllm":
            args.append(("--enable-auto-tool-choice", None))
        args.append(("--tool-call-parser", parsers["tool"]))
    if "reasoning" in parsers:
        args.append(("--reasoning-parser", parsers["reasoning"]))
    return tuple(args)


def smallest(model: ModelFacts, target: Target, precision: str) -> Shortfall:
    """The fewest GPUs beyond MAX_NODES nodes (a power of two of nodes, up to 512 GPUs) whose group plan holds the
    weights and one MIN_LEN sequence."""
    nodes = MAX_NODES * 2
    while nodes * target.gpus_per_node <= 512:
        gpus = nodes * target.gpus_per_node
        plan = groups.plan_group(gpus, target.gpus_per_node, attention_heads=model.attention_heads,
                                 layers=model.layers)
        if not isinstance(plan, groups.GroupProblem) and fit.topology_problem(model, gpus) is None:
            settings = fit.Settings(UTILISATION["vllm"], min(MIN_LEN, model.max_context), None)
            attempt = fit_groups.compute_group(model, precision, plan, target.memory_gib, settings)
            if attempt.fits:
                return Shortfall(target.hardware, precision, target.gpus_per_node, gpus, attempt)
        nodes *= 2
    return Shortfall(target.hardware, precision, target.gpus_per_node, None, None)
