"""The LeaderWorkerSet that runs one engine of one endpoint as groups of whole nodes (README, "Multi-node serving").

One group is one replica: `size` pods (the leader and size - 1 workers), each requesting a whole node's GPUs. The
pods are the Deployment's (render/deployment.py is called, not copied): hardened, with /dev/shm, the model cache and
the engine's environment; the pool's network adds the RCCL/Gloo socket interface, the secondary networks (Multus) or
host networking that make it visible in the pod, and one RDMA device per pod (with IPC_LOCK, which RDMA needs).

- vLLM: the leader starts a Ray head, waits until the group's pods have joined it, then runs the server (a shell is
  needed for the three steps). The script holds no value from the inputs and every `$` in it is doubled, so
  Kubernetes expands nothing in it; the server's arguments are the container's `args`, handed to the script as its
  positional parameters and run as `exec ... "$@"`. So Kubernetes expands `$(VAR)` in them exactly as in a
  single-node Deployment's `args` (`--api-key: "$(API_KEY)"` reads the Secret), and the shell never parses them.
  Workers run `ray start --block` (exec form).
- SGLang: every pod runs the server (exec form); `$(LWS_WORKER_INDEX)` and `$(LWS_LEADER_ADDRESS)` in its arguments
  are expanded by Kubernetes from the variables LeaderWorkerSet sets.

Only the leader carries the endpoint's selector labels and the probes: the Service, routes, metrics and the
autoscaler's pod selector reach the leader alone. The leader's startup budget adds the time a worker may still be
pulling its image (workers must join before the model loads).
"""

from __future__ import annotations

import shlex

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import replace
from aimc.render import deployment, sizing
from aimc.render import labels as L
from aimc.resolve import engine_args
from aimc.resolve.group_args import RAY_PORT

API_VERSION = "leaderworkerset.x-k8s.io/v1"
KIND = "LeaderWorkerSet"
NAME_LABEL = "leaderworkerset.sigs.k8s.io/name"  # set by the controller on every pod of the set
ROLE_LABEL = f"{L.GROUP}/group-role"
# Workers may start (image pull included) after the leader; the leader's startup probe waits for them.
GROUP_JOIN_SECONDS = sizing.IMAGE_PULL_ALLOWANCE_SECONDS
RAY_WAIT_SECONDS = 5
LEADER_SCRIPT_NAME = "aimc-vllm-leader"  # $0 of the leader's script: what `ps` and shell errors show
MULTUS_NETWORKS = "k8s.v1.cni.cncf.io/networks"
RDMA_CAPABILITY = "IPC_LOCK"


def rollout_strategy(engine: ResolvedEngine) -> dict:
    """The rollout the plan decided (resolve/rollout.py), in groups: the capacity plan counted its surge groups."""
    return {"type": "RollingUpdate", "rollingUpdateConfiguration": {"maxUnavailable": engine.rollout.max_unavailable,
                                                                     "maxSurge": engine.rollout.max_surge}}


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None = None,
           models=None) -> dict:
    group = engine.group
    assert group is not None  # only a multi-node engine renders as a LeaderWorkerSet
    name = L.engine_object_name(resolved, engine.engine)
    annotations = L.recipe_annotations(engine)
    per_pod = replace(engine, gpu_count=group.gpus_per_node)  # what one pod of the group requests
    leader = _leader_container(resolved, per_pod, inventory, models)
    worker = _worker_container(resolved, per_pod, inventory, models)
    checksum = L.checksum({"recipe": engine.recipe.id, "configuration": engine.config.key, "image": engine.image,
                           "leader": [leader["command"], leader.get("args")], "worker": [worker["command"],
                                                                                     worker.get("args")],
                           "env": leader.get("env", [])})
    pod_annotations = {**annotations, f"{L.GROUP}/config-checksum": checksum, **network_annotations(engine)}
    spec: dict = {}
    if not resolved.endpoint.autoscaling.enabled:
        spec["replicas"] = engine.replicas  # groups; an autoscaler owns the count otherwise
    spec["startupPolicy"] = "LeaderCreated"
    spec["rolloutStrategy"] = rollout_strategy(engine)
    spec["leaderWorkerTemplate"] = {
        "size": group.nodes,
        # One lost pod breaks the group's collectives: the controller restarts the whole group.
        "restartPolicy": "RecreateGroupOnPodRestart",
        "leaderTemplate": {
            "metadata": {"labels": {**L.labels(resolved, engine), ROLE_LABEL: "leader"},
                         "annotations": pod_annotations},
            "spec": _group_pod_spec(resolved, per_pod, inventory, leader),
        },
        "workerTemplate": {
            "metadata": {"labels": {**worker_labels(resolved, engine), ROLE_LABEL: "worker"},
                         "annotations": pod_annotations},
            "spec": _group_pod_spec(resolved, per_pod, inventory, worker),
        },
    }
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": L.metadata(name, resolved, engine, annotations),
            "spec": spec}


def network_annotations(engine: ResolvedEngine) -> dict:
    """Multus attaches the pool's secondary networks to a pod that names them in this annotation (a comma-separated
    list of [namespace/]name[@interface], Multus docs/how-to-use.md), as AMD's network operator and the RDMA shared
    device plugin document for RDMA workloads."""
    network = engine.pool.network
    if network is None or not network.attachments:
        return {}
    return {MULTUS_NETWORKS: ",".join(network.attachments)}


def _group_pod_spec(resolved: ResolvedEndpoint, per_pod: ResolvedEngine, inventory, main: dict) -> dict:
    """The Deployment's pod spec; on the node's network when the pool says so. A host-network pod resolves cluster
    names only with dnsPolicy ClusterFirstWithHostNet (Kubernetes docs, "DNS for Services and Pods"): the workers
    find the leader by its Service name (LWS_LEADER_ADDRESS)."""
    spec = deployment.pod_spec(resolved, per_pod, inventory, main)
    network = per_pod.pool.network
    if network is not None and network.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    return spec


def worker_labels(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> dict:
    """The leader's labels without the endpoint's selector, so Services and routes never pick a worker."""
    selector = L.selector(resolved, engine.engine)
    return {k: v for k, v in L.labels(resolved, engine).items() if k not in selector}


def _base_container(resolved, per_pod: ResolvedEngine, inventory, models) -> dict:
    main = deployment.container(resolved, per_pod, inventory, models)
    network = per_pod.pool.network
    if network is not None and network.interfaces:
        interfaces = ",".join(network.interfaces)
        env = [e for e in main.get("env", []) if e["name"] not in ("NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME")]
        # aimc's before the recipe's and the endpoint's, which win (as in deployment.environment).
        main["env"] = [{"name": "NCCL_SOCKET_IFNAME", "value": interfaces},
                       {"name": "GLOO_SOCKET_IFNAME", "value": interfaces}] + env
    if network is not None and network.rdma_resource:
        for part in ("requests", "limits"):
            main["resources"][part][network.rdma_resource] = "1"
        # RDMA registers (pins) memory for the NIC, which needs CAP_IPC_LOCK: the RDMA shared device plugin's and
        # AMD's network operator's example workloads add it; it is the one capability added back after drop ALL.
        main["securityContext"]["capabilities"]["add"] = [RDMA_CAPABILITY]
    return main


def _leader_container(resolved, per_pod: ResolvedEngine, inventory, models) -> dict:
    main = _base_container(resolved, per_pod, inventory, models)
    startup = main.get("startupProbe")
    if startup:
        startup["failureThreshold"] += GROUP_JOIN_SECONDS // startup["periodSeconds"]
    if per_pod.engine == "vllm":
        # sh -c SCRIPT NAME ARGS...: NAME is $0, the container's args (the server's, as rendered for one pod) are "$@".
        main["command"] = ["sh", "-c", vllm_leader_script(per_pod.launch or None), LEADER_SCRIPT_NAME]
    return main


def _worker_container(resolved, per_pod: ResolvedEngine, inventory, models) -> dict:
    main = _base_container(resolved, per_pod, inventory, models)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe", "ports"):
        main.pop(probe, None)  # workers serve no HTTP: the leader's probes stand for the group
    if per_pod.engine == "vllm":
        main["command"] = ["ray", "start", f"--address=$(LWS_LEADER_ADDRESS):{RAY_PORT}", "--block"]
        del main["args"]
    return main


def vllm_leader_script(launch: tuple[str, ...] | None = None) -> str:
    """Ray head, wait for the group (LWS_GROUP_SIZE nodes alive), then the server (`launch`, by default the module
    entry point) in the foreground with the script's positional parameters (the container's args) as its arguments.
    The same text for every endpoint of one vLLM release."""
    server = " ".join(shlex.quote(part) for part in launch or engine_args.LAUNCH_COMMANDS["vllm"]) + ' "$@"'
    wait = ('import os, ray; ray.init(address="auto", logging_level="ERROR"); '
            'raise SystemExit(sum(n["Alive"] for n in ray.nodes()) < int(os.environ["LWS_GROUP_SIZE"]))')
    script = (f"ray start --head --port={RAY_PORT} && "
              f"until python3 -c {shlex.quote(wait)}; do sleep {RAY_WAIT_SECONDS}; done && "
              f"exec {server}")
    return script.replace("$", "$$")  # Kubernetes reads $$ as a literal $: no $(VAR) expansion in the script

