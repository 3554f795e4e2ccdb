"""Memory fit of a multi-node group: per GPU of the group, with weights split by TP × PP and the KV cache per
pipeline stage (README, "Multi-node serving").

The group's GPUs each hold 1 / (TP × PP) of the weights (`fit.compute` with TP × PP GPUs). The KV cache of one
sequence is held by the pipeline stage that owns each layer: a GPU holds the KV of layers / PP layers, split by
min(TP, KV heads) within its stage (MLA latent KV is not split by TP), so S = PP × min(TP, KV heads) (PP for MLA).
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelCatalog, ModelFacts
from aimc.model.inputs import Endpoint, EngineRequest, Inventory
from aimc.model.plan import Fit, GroupPlan, Reason, TraceEntry, Verdict
from aimc.records import replace
from aimc.resolve import fit, fit_lora, groups


def compute_group(model: ModelFacts, precision: str, plan: GroupPlan, memory_gib: float,
                  settings: fit.Settings, engine: str = "vllm", version: str | None = None) -> Fit:
    """The fit per GPU of the group by the accounting of `engine` at release `version` (default: the default
    image's)."""
    base = fit.compute(model, precision, plan.tp * plan.pp, memory_gib, settings, engine, version=version)
    split = plan.pp * model.kv_split(plan.tp)
    return replace(base, kv_gib=base.kv_gib * base.kv_split / split, kv_split=split)


def memory_check(models: ModelCatalog, inventory: Inventory | None = None):
    """`fit.memory_check` for configurations on one node; for a group, its plan (rejected when inconsistent) and its
    fit per GPU. Same shape: (endpoint, request, entry) -> entry."""
    versions = fit.EngineVersions(inventory)
    single = fit.memory_check(models, inventory, versions)

    def check(endpoint: Endpoint, request: EngineRequest, entry: TraceEntry) -> TraceEntry:
        candidate = entry.candidate
        pool = candidate.pool
        assert pool is not None  # extra filters judge placed candidates only (candidates.select)
        if not groups.is_group(pool, candidate.config.gpu_count):
            return single(endpoint, request, entry)
        model = fit.model_facts(models, endpoint, candidate.recipe)
        plan = groups.plan_for(candidate.recipe, candidate.config, pool,
                               model.attention_heads if model else None, model.layers if model else None)
        if isinstance(plan, groups.GroupProblem):
            reason = Reason.PARALLELISM if plan.flag else Reason.HEADS
            return replace(entry, verdict=Verdict.REJECTED, reason=reason, why=plan.message)
        if model is None:
            return replace(entry, fit_unchecked=f"no facts for model '{endpoint.model}'")
        problem = fit.topology_problem(model, plan.tp)
        if problem:
            return replace(entry, verdict=Verdict.REJECTED, reason=Reason.HEADS, why=problem)
        memory = fit.pool_memory(pool)
        if memory is None:
            return replace(entry, fit_unchecked=f"no memory figure for {pool.hardware}")
        # The engine's own accounting (SGLang groups are not sized like vLLM ones) at the release of the image, on
        # the one merged command line.
        engine = candidate.config.engine
        version = versions.of(endpoint, engine, pool.hardware)
        result = compute_group(model, candidate.recipe.precision, plan, memory,
                               fit.candidate_settings(endpoint, request, entry), engine, version)
        result = fit_lora.with_adapters(result, model, endpoint, engine, plan.tp, groups.without_pp(candidate.config),
                                        plan.tp, endpoint.custom_args, request.custom_args, version)
        if result.fits:
            return replace(entry, fit=result)
        return replace(entry, verdict=Verdict.REJECTED, reason=Reason.MEMORY, fit=result)

    return check
