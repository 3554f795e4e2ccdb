"""The workers of one pod against its GPUs: TP × PP must be the GPUs the pod requests (README, "Multi-node serving").

Both engines start one worker process per GPU, tensor × pipeline parallel of them on the node: vLLM's executor
(vllm/v1/executor/multiproc_executor.py: world_size = tensor_parallel_size × pipeline_parallel_size, local ranks on
this node's devices) fails when they outnumber the visible devices (local_world_size <= device count), SGLang's
launcher (srt/entrypoints/engine.py, one scheduler per tp_rank × pp_rank, gpu_id from the rank) likewise. A pod sees
exactly the GPUs it requests (the device plugin). A multi-node group's sizes are planned by resolve/groups.py.

Data parallelism multiplies the workers: each data-parallel rank of the pod is a whole engine of TP × PP workers on
devices of its own. vLLM (read in 0.27.1) runs `--data-parallel-size-local` ranks on the node, by default
`--data-parallel-size` (vllm/engine/arg_utils.py `create_engine_config`: "local DP size defaults to global DP size
if not set"), and gives rank r the devices [r × world_size, (r + 1) × world_size), failing with "Error computing
device indices" past the last (vllm/v1/engine/utils.py `get_physical_gpu_ids_for_local_dp_rank`). SGLang (read in
0.5.16) starts `--dp-size` tensor-parallel groups, each at base GPU dp_rank × tp_size × pp_size
(srt/managers/data_parallel_controller.py `launch_dp_schedulers`), unless `--enable-dp-attention`, where the
data-parallel attention ranks live inside the tensor-parallel group (its divisibility is checked in
resolve/startup_checks.py). Launches that place data-parallel ranks on other nodes themselves (vLLM's external or
hybrid load balancing, explicit ranks, headless, several nodes) are left to the user.
"""

from __future__ import annotations

from aimc.resolve.flag_values import whole_number
from aimc.resolve.startup_checks import StartupProblem

# vLLM flags with which the data-parallel ranks of this pod are not simply --data-parallel-size (see above).
_VLLM_DP_PLACEMENT = ("--data-parallel-rank", "--data-parallel-start-rank", "--data-parallel-external-lb",
                      "--data-parallel-hybrid-lb", "--headless", "--nnodes", "--node-rank", "--data-parallel-backend")


def problems(engine: str, version: str, args: dict, tp: int, pod_gpus: int) -> list[StartupProblem]:
    """The final flags (flag -> value) of a pod that runs alone, with the tensor-parallel size aimc set."""
    pp = whole_number(args.get("--pipeline-parallel-size", args.get("--pp-size"))) or 1
    if pp <= 1 or tp * pp == pod_gpus:
        return _data_parallel(engine, version, args, pod_gpus)
    name = "vLLM" if engine == "vllm" else "SGLang"
    return [StartupProblem("--pipeline-parallel-size", (
        f"pipeline-parallel size {pp} × tensor-parallel size {tp} = {tp * pp} worker processes, one GPU each, but the "
        f"pod has {pod_gpus} GPUs: {name} {version} fails to start (more local ranks than visible devices). On one "
        f"node aimc sets the tensor-parallel size to the configuration's GPU count, so remove the pipeline-parallel "
        f"size (pipeline parallelism is for multi-node groups, which aimc plans when a configuration needs more GPUs "
        f"than a node has)"))]


def _data_parallel(engine: str, version: str, args: dict, pod_gpus: int) -> list[StartupProblem]:
    """Data-parallel ranks × the tensor × pipeline workers of each, against the pod's GPUs."""
    flag = next((f for f in ("--data-parallel-size", "--dp-size") if f in args), None)
    if flag is None:  # the usual pod: no data parallelism
        return []
    ranks = whole_number(args[flag]) or 1
    if engine == "vllm":
        if any(f in args for f in _VLLM_DP_PLACEMENT):
            return []
        if "--data-parallel-size-local" in args:
            flag, ranks = "--data-parallel-size-local", whole_number(args["--data-parallel-size-local"]) or 0
    elif "--enable-dp-attention" in args:
        return []
    tp = whole_number(args.get("--tensor-parallel-size", args.get("--tp-size"))) or 1
    pp = whole_number(args.get("--pipeline-parallel-size", args.get("--pp-size"))) or 1
    if ranks <= 1 or ranks * tp * pp <= pod_gpus:
        return []
    name, where = (("vLLM", "vllm/v1/engine/utils.py get_physical_gpu_ids_for_local_dp_rank") if engine == "vllm"
                   else ("SGLang", "srt/managers/data_parallel_controller.py launch_dp_schedulers"))
    return [StartupProblem(flag, (
        f"{flag} {ranks} runs {ranks} data-parallel engines of tensor-parallel size {tp}"
        f"{f' × pipeline-parallel size {pp}' if pp > 1 else ''}, {ranks * tp * pp} GPUs, but the pod has {pod_gpus}: "
        f"{name} {version} fails to start (each rank takes devices of its own, {where}). Remove {flag} and raise "
        f"spec.replicas (or autoscaling) for more copies of the model, or give the endpoint a configuration of "
        f"{ranks * tp * pp} GPUs"))]
