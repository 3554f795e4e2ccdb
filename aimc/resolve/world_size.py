"""The workers of one pod against its GPUs: TP × PP must be the GPUs the pod requests (README, "Multi-node serving").

Both engines start one worker process per GPU, tensor × pipeline parallel of them on the node: vLLM's executor
(vllm/v1/executor/multiproc_executor.py: world_size = tensor_parallel_size × pipeline_parallel_size, local ranks on
this node's devices) fails when they outnumber the visible devices (local_world_size <= device count), SGLang's
launcher (srt/entrypoints/engine.py, one scheduler per tp_rank × pp_rank, gpu_id from the rank) likewise. A pod sees
exactly the GPUs it requests (the device plugin). A multi-node group's sizes are planned by resolve/groups.py.
"""

from __future__ import annotations

from aimc.resolve.startup_checks import StartupProblem


def problems(engine: str, version: str, args: dict, tp: int, pod_gpus: int) -> list[StartupProblem]:
    """The final flags (flag -> value) of a pod that runs alone, with the tensor-parallel size aimc set."""
    pp = _int(args.get("--pipeline-parallel-size", args.get("--pp-size"))) or 1
    if pp <= 1 or tp * pp == pod_gpus:
        return []
    name = "vLLM" if engine == "vllm" else "SGLang"
    return [StartupProblem("--pipeline-parallel-size", (
        f"pipeline-parallel size {pp} × tensor-parallel size {tp} = {tp * pp} worker processes, one GPU each, but the "
        f"pod has {pod_gpus} GPUs: {name} {version} fails to start (more local ranks than visible devices). On one "
        f"node aimc sets the tensor-parallel size to the configuration's GPU count, so remove the pipeline-parallel "
        f"size (pipeline parallelism is for multi-node groups, which aimc plans when a configuration needs more GPUs "
        f"than a node has)"))]


def _int(value) -> int | None:
    if value is None:  # the usual pod: no pipeline-parallel size (without raising and catching a ValueError)
        return None
    try:
        return int(str(value))
    except ValueError:
        return None
