"""The objects of a disaggregated endpoint: each role as an endpoint of its own, then the front door and the
endpoint's Service.

A role renders exactly as the endpoint `<name>-<role>` would (resolve/disaggregation.py made that view): its
Deployment (or LeaderWorkerSet), claims, autoscaler (on its own pods' metric: decode scales on its queue, prefill on
its own), disruption budget and PodMonitor; no Service, since nothing but the front door reaches a role. Its pods
also get the pool's fast interconnect (the RDMA device with IPC_LOCK, the Multus networks, host networking) that the
KV transfer runs over, and the annotations the front door reads (SGLang: the bootstrap port).

The front door (the SGLang router) carries the endpoint's selector labels, so the endpoint's Service, InferencePool
and HTTPRoute (render/routing.py, which see the endpoint's `served` engines) reach it and never a prefill pod.
"""

from __future__ import annotations

from aimc.model.disaggregation import FrontDoor, ResolvedDisaggregation, RouterResources
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import replace
from aimc.render import autoscaling, claims, deployment, disruption, leaderworkerset, monitoring, service
from aimc.render import labels as L
from aimc.render import routes_pods as P
from aimc.resolve import disaggregation_engines
from aimc.resolve.disaggregation_sglang import NAMESPACE_ENV

COMPONENT = "router"
METRICS_PORT_NAME = "metrics"  # the name vllm-project/router's own P/D manifest gives port 29000
RDMA_CAPABILITY = leaderworkerset.RDMA_CAPABILITY


def role_view(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> ResolvedEndpoint:
    """The role as the endpoint `<name>-<role>` with this one engine."""
    return replace(resolved, endpoint=engine.endpoint, engines=(engine,), disaggregation=None)


def views(resolved: ResolvedEndpoint) -> tuple[ResolvedEndpoint, ...]:
    """The endpoint, or each of its roles as an endpoint of its own."""
    if resolved.disaggregation is None:
        return (resolved,)
    return tuple(role_view(resolved, engine) for engine in resolved.engines)


def render(resolved: ResolvedEndpoint, inventory: Inventory | None, models=None) -> list[dict]:
    plan = resolved.disaggregation
    assert plan is not None
    objects: list[dict] = []
    for engine in resolved.engines:
        view = role_view(resolved, engine)
        if engine.group is not None:
            objects.append(leaderworkerset.render(view, engine, inventory, models))
        else:
            objects.append(_with_network(deployment.render(view, engine, inventory, models), engine))
        _annotate_pods(objects[-1], engine, plan)
        objects.extend(claims.render(view, engine))
        objects.extend(autoscaling.render(view, engine, inventory))
        objects.extend(disruption.render(view, engine))
        objects.extend(monitoring.render(view, inventory))
    endpoint_service = service.render(resolved)
    if plan.front_door is not None:
        objects.extend(front_door(resolved, plan.front_door))
        objects.extend(router_monitor(resolved, plan.front_door, inventory))
        for port_name, port in plan.front_door.extra_ports:  # the Service reaches the front door only
            endpoint_service[0]["spec"]["ports"].append(
                {"name": port_name, "port": port, "targetPort": port_name, "protocol": "TCP"})
    return objects + endpoint_service


def _annotate_pods(workload: dict, engine: ResolvedEngine, plan: ResolvedDisaggregation) -> None:
    support = disaggregation_engines.support(engine.engine)
    if support is None:
        return
    spec = workload["spec"]
    group = spec.get("leaderWorkerTemplate")
    templates = [group["leaderTemplate"], group["workerTemplate"]] if group else [spec["template"]]
    extra = dict(support.role_annotations(engine.role, plan.transfer))
    if extra:
        templates[0]["metadata"]["annotations"].update(extra)
    env = support.role_env(engine.role, plan.transfer) if support.role_env is not None else ()
    for template in templates if env else ():  # every pod of a group runs a rank of the engine
        template["spec"]["containers"][0].setdefault("env", []).extend({"name": k, "value": v} for k, v in env)


def _with_network(workload: dict, engine: ResolvedEngine) -> dict:
    """A role's pod on the pool's fast network, as a group's pods are (render/leaderworkerset.py): the KV transfer
    registers GPU memory with the RDMA NIC (IPC_LOCK) and reaches the other role over it."""
    network = engine.pool.network
    if network is None:
        return workload
    template = workload["spec"]["template"]
    template["metadata"]["annotations"].update(leaderworkerset.network_annotations(engine))
    pod, main = template["spec"], template["spec"]["containers"][0]
    if network.host_network:
        pod["hostNetwork"] = True
        pod["dnsPolicy"] = "ClusterFirstWithHostNet"
    if network.rdma_resource:
        for part in ("requests", "limits"):
            main["resources"][part][network.rdma_resource] = "1"
        main["securityContext"]["capabilities"]["add"] = [RDMA_CAPABILITY]
    return workload


def _metrics_port(door: FrontDoor) -> tuple[tuple[str, int], ...]:
    return ((METRICS_PORT_NAME, door.metrics_port),) if door.metrics_port is not None else ()


def _resources(resources: RouterResources) -> dict:
    """The router's requests and limits (a Burstable pod at least: never the first evicted under memory pressure)."""
    return {part: dict(pairs) for part, pairs in (("requests", resources.requests), ("limits", resources.limits))
            if pairs}


def router_monitor(resolved: ResolvedEndpoint, door: FrontDoor, inventory: Inventory | None) -> list[dict]:
    """The router's PodMonitor, on the same terms as the roles' (render/monitoring.py: only when the inventory says
    the cluster runs the Prometheus operator): it scrapes the router's own metrics listener (`metrics` port; every
    path but /health answers there, so /metrics as for the engines)."""
    if door.metrics_port is None or not monitoring.enabled(inventory):
        return []
    engine = resolved.served[0]
    return [{
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": L.metadata(router_name(resolved), resolved, None, component=COMPONENT),
        "spec": {
            "selector": {"matchLabels": L.selector(resolved, engine.engine)},
            "podMetricsEndpoints": [{"port": METRICS_PORT_NAME, "path": "/metrics",
                                     "interval": monitoring.SCRAPE_INTERVAL}],
        },
    }]


def router_name(resolved: ResolvedEndpoint) -> str:
    return f"{resolved.endpoint.name}-{COMPONENT}"


def front_door(resolved: ResolvedEndpoint, door: FrontDoor) -> list[dict]:
    """The router's Deployment with the endpoint's selector labels (Service and routes reach it), its
    ServiceAccount, Role and RoleBinding (it watches the roles' pods in its namespace) and, with several replicas,
    a disruption budget."""
    name, namespace = router_name(resolved), resolved.namespace
    engine = resolved.served[0]
    object_labels = L.labels(resolved, None, component=COMPONENT)
    object_labels[L.ENGINE_LABEL] = engine.engine
    pod_labels = L.own_labels(object_labels, resolved.endpoint.labels)
    access = P.rbac(name, namespace, P.labels(resolved.endpoint.labels, COMPONENT, resolved.endpoint.name, name),
                    [P.read_rule("", "pods")]) if door.watches_pods else []
    tmp_volume, tmp_mount = P.tmp_volume()
    container = {
        "name": COMPONENT,
        "image": door.image,
        "command": list(door.command),
        "args": list(door.args),
        "env": [P.field_env(NAMESPACE_ENV, "metadata.namespace"), *({"name": k, "value": v} for k, v in door.env)],
        "ports": [{"name": "http", "containerPort": door.port, "protocol": "TCP"},
                  *({"name": port_name, "containerPort": port, "protocol": "TCP"}
                    for port_name, port in (*door.extra_ports, *_metrics_port(door)))],
        **({"resources": _resources(door.resources)} if door.resources is not None else {}),
        # The routers' own probes (public routes of sgl-router src/server.rs, and of vllm-project/router
        # src/server.rs, its fork): /liveness answers while the process runs, /readiness once it has healthy workers
        # to send requests to.
        "livenessProbe": {"httpGet": {"path": "/liveness", "port": "http"}, "periodSeconds": 10,
                          "timeoutSeconds": 5, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readiness", "port": "http"}, "periodSeconds": 5,
                           "timeoutSeconds": 5, "failureThreshold": 3},
        # Hardened like the routing components (render/routes_pods.py): a pod that calls the API runs as a non-root
        # user on a read-only root filesystem; the router needs neither root nor a writable image (it logs to
        # stdout), a small /tmp is there for the Python launcher.
        "securityContext": P.container_security(),
        "volumeMounts": [tmp_mount],
    }
    checksum = L.checksum({"image": door.image, "command": container["command"], "args": container["args"]})
    workload = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": L.metadata(name, resolved, None, component=COMPONENT) | {"labels": object_labels},
        "spec": {
            "replicas": door.replicas,
            "selector": {"matchLabels": L.selector(resolved, engine.engine)},
            "template": {
                "metadata": {"labels": pod_labels, "annotations": {f"{L.GROUP}/config-checksum": checksum}},
                "spec": {
                    **({"serviceAccountName": name} if door.watches_pods else {}),
                    "automountServiceAccountToken": door.watches_pods,  # only to watch the roles' pods
                    "enableServiceLinks": False,
                    "securityContext": P.pod_security(),
                    "containers": [container],
                    "volumes": [tmp_volume],
                },
            },
        },
    }
    budget = ([P.disruption_budget(name, namespace, object_labels, L.selector(resolved, engine.engine))]
              if door.replicas > 1 else [])
    return [workload, *access, *budget]
