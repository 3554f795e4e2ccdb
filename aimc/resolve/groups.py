"""Multi-node groups: when one replica needs more GPUs than a node has, it runs as a group of whole nodes (a
LeaderWorkerSet), and its parallelism is planned here.

The plan (documented in the README, "Multi-node serving"): a configuration of N GPUs on a pool of G GPUs per node
needs N / G whole nodes (N must be a multiple of G). Tensor parallelism stays within a node and pipeline parallelism
spans the nodes — TP = G, PP = N / G — unless the recipe says otherwise:

- the recipe sets the pipeline-parallel size P (and perhaps TP): TP = N / P, and a TP it sets must agree;
- the recipe sets only TP: it must be N, as for every configuration (PP = 1, tensor parallelism across the nodes).

TP must divide the attention heads, PP must not exceed the layers, TP × PP must be N. `plan_group` is pure (recipe
generation calls it too); `plan_for` reads a recipe configuration and names the recipe's file and line in problems.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.inputs import Inventory, NodePool, Recipe, RecipeConfig
from aimc.model.plan import GroupPlan
from aimc.records import Record
from aimc.resolve.flag_values import whole_number

TP_NAMES = ("--tensor-parallel-size", "--tp-size", "--tp")  # "-tp" is read as "--tp"
PP_NAMES = ("--pipeline-parallel-size", "--pp-size", "--pp")
PP_FLAG = {"vllm": "--pipeline-parallel-size", "sglang": "--pp-size"}


class GroupProblem(Record):
    """Why no plan exists; `flag` names the recipe argument at fault (None: the request or the pool)."""

    message: str
    flag: str | None = None


def plan_group(gpu_count: int, gpus_per_node: int, tp: int | None = None, pp: int | None = None,
               attention_heads: int | None = None, layers: int | None = None) -> GroupPlan | GroupProblem:
    """The group plan of `gpu_count` GPUs on nodes of `gpus_per_node` GPUs; `tp`/`pp` as the recipe sets them (None:
    not set); `attention_heads`/`layers` when the model is known. Pure: no recipe, no pool, no file."""
    if gpu_count % gpus_per_node:
        return GroupProblem(f"{gpu_count} GPUs is not a whole number of {gpus_per_node}-GPU nodes")
    nodes = gpu_count // gpus_per_node
    from_recipe = tp is not None or pp is not None
    if pp is not None:
        if pp < 1 or gpu_count % pp:
            return GroupProblem(f"pipeline-parallel size {pp} does not divide the configuration's {gpu_count} GPUs",
                                "pp")
        if tp is not None and tp * pp != gpu_count:
            return GroupProblem(f"tensor-parallel size {tp} × pipeline-parallel size {pp} = {tp * pp}, but the "
                                f"configuration has {gpu_count} GPUs; TP × PP must equal the GPU count", "tp")
        tp = gpu_count // pp
    elif tp is not None:
        if tp != gpu_count:
            return GroupProblem(f"tensor-parallel size {tp} differs from the configuration's GPU count {gpu_count}; "
                                f"set the pipeline-parallel size too (TP × PP = {gpu_count}), or neither "
                                f"(aimc then plans TP {gpus_per_node} × PP {nodes})", "tp")
        pp = 1
    else:
        tp, pp = gpus_per_node, nodes
    if attention_heads and attention_heads % tp:
        return GroupProblem(f"tensor-parallel size {tp} does not divide the {attention_heads} attention heads",
                            "tp" if from_recipe else None)
    if layers and pp > layers:
        return GroupProblem(f"pipeline-parallel size {pp} exceeds the {layers} layers", "pp" if from_recipe else None)
    return GroupPlan(gpu_count, gpus_per_node, nodes, tp, pp, from_recipe)


def is_group(pool: NodePool, gpu_count: int) -> bool:
    return gpu_count > pool.gpus_per_node


def placement_problem(pool: NodePool, gpu_count: int, inventory: Inventory) -> str | None:
    """Why `gpu_count` GPUs per replica cannot be placed on `pool` (None: they can, on one node or as a group)."""
    if not is_group(pool, gpu_count):
        return None
    if gpu_count % pool.gpus_per_node:
        return (f"needs {gpu_count} GPUs: more than one node of pool {pool.name} has ({pool.gpus_per_node}), and not "
                f"a whole number of its nodes")
    nodes = gpu_count // pool.gpus_per_node
    if not inventory.capabilities.leader_worker_set:
        return (f"needs {gpu_count} GPUs: a group of {nodes} nodes of pool {pool.name}, but the inventory says the "
                "cluster has no LeaderWorkerSet controller (spec.capabilities.leaderWorkerSet: false)")
    if nodes > pool.node_count:
        return (f"needs {gpu_count} GPUs: a group of {nodes} nodes of {pool.gpus_per_node} GPUs, pool {pool.name} "
                f"has {pool.node_count} node{'s' if pool.node_count != 1 else ''}")
    return None


# -- reading a recipe configuration ---------------------------------------------------------------------------

def _canonical(flag: str) -> str:
    return "--" + str(flag).lstrip("-").replace("_", "-")


def parallel_flags(config: RecipeConfig) -> dict[str, tuple[str, object]]:
    """{"tp"|"pp": (the flag as the recipe writes it, its value)} for the parallel sizes the configuration sets."""
    out: dict[str, tuple[str, object]] = {}
    for flag, value in config.args:
        text = str(flag)
        # Every name of TP_NAMES and PP_NAMES holds one of these, and `_canonical` only changes '_' and leading '-':
        # the other flags (most of a recipe's) are passed without building their canonical name.
        if "tp" not in text and "pp" not in text and "parallel" not in text:
            continue
        name = _canonical(text)
        if value in (None, False):
            continue
        if name in TP_NAMES:
            out["tp"] = (flag, value)
        elif name in PP_NAMES:
            out["pp"] = (flag, value)
    return out


def recipe_tp(config: RecipeConfig) -> int:
    """The tensor-parallel size the recipe implies, pool aside (what its arguments are checked against): with PP
    set, the TP it sets or N / PP (`recipe_problems` reports a disagreement); else N."""
    found = parallel_flags(config)
    pp = whole_number(found["pp"][1]) if "pp" in found else None
    tp = whole_number(found["tp"][1]) if "tp" in found else None
    if pp and tp:
        return tp
    if pp and config.gpu_count % pp == 0:
        return config.gpu_count // pp
    return config.gpu_count


def without_pp(config: RecipeConfig) -> tuple:
    """The configuration's arguments without the pipeline-parallel size, which aimc sets from the group plan."""
    return tuple((f, v) for f, v in config.args if _canonical(f) not in PP_NAMES)


def plan_for(recipe: Recipe, config: RecipeConfig, pool: NodePool, attention_heads: int | None = None,
             layers: int | None = None) -> GroupPlan | GroupProblem:
    """`plan_group` for a recipe configuration on a pool; a problem caused by the recipe names its file and line."""
    found = parallel_flags(config)
    values = {key: whole_number(value) for key, (_, value) in found.items()}
    for key, number in values.items():
        if number is None or number < 1:
            return _at(recipe, config, found[key][0], f"{found[key][0]} {found[key][1]!s} is not a positive integer")
    result = plan_group(config.gpu_count, pool.gpus_per_node, values.get("tp"), values.get("pp"),
                        attention_heads, layers)
    if isinstance(result, GroupProblem) and result.flag in found:
        return _at(recipe, config, found[result.flag][0], result.message)
    return result


def node_tp(recipe: Recipe, config: RecipeConfig) -> int | GroupProblem:
    """The tensor-parallel size of a configuration that runs on one node: its GPU count N, or N / P when the recipe
    sets a pipeline-parallel size P (as `recipe_tp` reads it, and as a group plans it), so that TP × PP is the pod's
    GPUs. A size that cannot be (P does not divide N, the recipe's TP × P != N) names the recipe's file and line."""
    found = parallel_flags(config)
    if "pp" not in found:
        return config.gpu_count
    values = {key: whole_number(value) for key, (_, value) in found.items()}
    for key, number in values.items():
        if number is None or number < 1:
            return _at(recipe, config, found[key][0], f"{found[key][0]} {found[key][1]!s} is not a positive integer")
    result = plan_group(config.gpu_count, config.gpu_count, values.get("tp"), values.get("pp"))
    if isinstance(result, GroupProblem):
        return _at(recipe, config, found[result.flag or "pp"][0], (
            f"{result.message}; on one node tensor × pipeline parallelism must be the pod's {config.gpu_count} GPUs "
            "(each engine starts one worker per GPU, TP × PP of them)"))
    return result.tp


def _at(recipe: Recipe, config: RecipeConfig, flag: str, message: str) -> GroupProblem:
    file, line, field = recipe.arg_place(config, flag)
    return GroupProblem(f"{message} ({file}:{line}: {field})", flag)


def recipe_problems(recipe: Recipe) -> list[Diagnostic]:
    """Pool-independent inconsistencies of a recipe's parallel sizes (`aimc recipes validate`): a pipeline-parallel
    size that does not divide N, or TP × PP ≠ N."""
    out = []
    for config in recipe.configs:
        found = parallel_flags(config)
        if "pp" not in found:
            continue
        tp = whole_number(found["tp"][1]) if "tp" in found else None
        pp = whole_number(found["pp"][1])
        if pp is None or pp < 1:
            problem, flag = GroupProblem(f"{found['pp'][1]!s} is not a positive integer"), "pp"
        else:
            result = plan_group(config.gpu_count, 1, tp, pp)  # one GPU per node: only the recipe's own arithmetic
            if not isinstance(result, GroupProblem):
                continue
            problem, flag = result, result.flag or "pp"
        out.append(Diagnostic(*recipe.arg_place(config, found[flag][0]), problem.message))
    return out
