"""The engine arguments of a multi-node group (README, "Multi-node serving"), after the ordinary ones.

- vLLM: the leader runs the server with `--pipeline-parallel-size P --distributed-executor-backend ray` over a Ray
  cluster the group's pods form (the commands are the LeaderWorkerSet's, render/leaderworkerset.py).
- SGLang: every pod runs the server with `--pp-size P --nnodes N --node-rank $(LWS_WORKER_INDEX)
  --dist-init-addr $(LWS_LEADER_ADDRESS):20000`; Kubernetes expands `$(VAR)` from the variables LeaderWorkerSet
  sets in each pod, so no shell is needed.

These flags are aimc's: a recipe or customArgs that sets one is an error at its line (the plan would disagree).
"""

from __future__ import annotations

from collections.abc import Callable

from aimc.errors import Diagnostic
from aimc.model.plan import GroupPlan
from aimc.resolve.arg_merge import ArgSource
from aimc.resolve.groups import PP_FLAG, PP_NAMES

SGLANG_DIST_PORT = 20000  # SGLang's documented multi-node example port for --dist-init-addr
RAY_PORT = 6379
OWNED = {
    "vllm": ("--distributed-executor-backend", "--nnodes", "--node-rank", "--master-addr", "--master-port"),
    "sglang": ("--nnodes", "--node-rank", "--dist-init-addr"),
}


def group_flags(engine: str, plan: GroupPlan) -> tuple[str, ...]:
    if engine == "vllm":
        return (PP_FLAG[engine], str(plan.pp), "--distributed-executor-backend", "ray")
    return (PP_FLAG[engine], str(plan.pp), "--nnodes", str(plan.nodes), "--node-rank", "$(LWS_WORKER_INDEX)",
            "--dist-init-addr", f"$(LWS_LEADER_ADDRESS):{SGLANG_DIST_PORT}")


def owned_flag_problems(engine: str, written: tuple[tuple[ArgSource, str], ...],
                        where: Callable[[ArgSource, str], tuple[str, int, str]]) -> list[Diagnostic]:
    """(source, flag as written) of every argument given to a group: the ones aimc sets are errors."""
    out = []
    for source, flag in written:
        name = "--" + str(flag).lstrip("-").replace("_", "-")
        # The recipe's pipeline-parallel size is part of the plan; elsewhere it would contradict it.
        pp = source is not ArgSource.RECIPE and name in PP_NAMES
        if name in OWNED[engine] or pp:
            out.append(Diagnostic(*where(source, flag), f"{name} is set by aimc for a multi-node group "
                                                        "(from the group plan); remove it"))
    return out
