"""SGLang's disaggregated serving: the flags of each role and the router in P/D mode in front of them.

- Roles (sglang python/sglang/srt/server_args.py, `ServerArgs`; the flags are in every shipped flag set from 0.5.5.post3
  on, checked like any other against the image's): `--disaggregation-mode prefill|decode`;
  `--disaggregation-transfer-backend` (mooncake, nixl, mori from 0.5.12, ...); `--disaggregation-ib-device` names the
  RDMA devices (InferenceX benchmarks/multi_node/amd_utils/server_sglang.sh passes `${IBDEVICES}` on MI355X);
  `--disaggregation-bootstrap-port` (default 8998), where a prefill server hands out its KV transfer sessions.
- Router (sgl-project/sglang sgl-router/py_src/sglang_router/router_args.py @083d6013, `python3 -m
  sglang_router.launch_router`, shipped in the SGLang images: InferenceX starts it from the same image):
  `--pd-disaggregation`; with `--service-discovery` it watches the pods of `--service-discovery-namespace` that match
  `--prefill-selector` / `--decode-selector` (key=value ...), reaches them on `--service-discovery-port`, and reads a
  prefill pod's bootstrap port from its annotation `sglang.ai/bootstrap-port` (`bootstrap_port_annotation`). It
  listens on `--port` (default 30000, SGLang's own serving port) and answers `/liveness` and `/readiness`
  (sgl-router src/server.rs). Its Prometheus metrics come from a listener of their own, `--prometheus-host` /
  `--prometheus-port` (router_args.py of 0.3.2: 29000 on 0.0.0.0 by default; the sgl-router README.md of other
  releases says 127.0.0.1, so aimc writes both), which `metrics-exporter-prometheus`'s HTTP listener serves on every
  path but `/health` (sgl-router src/metrics.rs `start_prometheus`; metrics-rs exporter/http_listener.rs).
"""

from __future__ import annotations

from aimc.model.disaggregation import DISAGGREGATED_LABEL, PREFILL, ROLE_LABEL, FrontDoor, Transfer
from aimc.model.inputs import ArgPairs, Endpoint
from aimc.model.plan import ResolvedEngine

DEFAULT_BOOTSTRAP_PORT = 8998  # ServerArgs.disaggregation_bootstrap_port
BOOTSTRAP_ANNOTATION = "sglang.ai/bootstrap-port"  # RouterArgs.bootstrap_port_annotation
ROUTER_LAUNCH = ("python3", "-m", "sglang_router.launch_router")
NAMESPACE_ENV = "POD_NAMESPACE"  # set from the downward API; Kubernetes expands $(NAME) in a container's args
ROUTER_PORT = 30000  # RouterArgs.port; the same as SGLang's serving port, so routes keep the engine's port
METRICS_PORT = 29000  # RouterArgs --prometheus-port's default


def bootstrap_port(transfer: Transfer) -> int:
    return transfer.bootstrap_port if transfer.bootstrap_port is not None else DEFAULT_BOOTSTRAP_PORT


def role_args(role: str, transfer: Transfer) -> ArgPairs:
    """The flags aimc writes for one role, before the precedence merge (customArgs may not change them)."""
    args: list = [("--disaggregation-mode", role), ("--disaggregation-transfer-backend", transfer.backend)]
    if transfer.devices:
        args.append(("--disaggregation-ib-device", ",".join(transfer.devices)))
    if role == PREFILL:  # written even at its default: the router reads it from the pod's annotation
        args.append(("--disaggregation-bootstrap-port", str(bootstrap_port(transfer))))
    return tuple(args)


def role_annotations(role: str, transfer: Transfer) -> tuple[tuple[str, str], ...]:
    """What the router reads from a role's pods."""
    return ((BOOTSTRAP_ANNOTATION, str(bootstrap_port(transfer))),) if role == PREFILL else ()


def front_door(endpoint: Endpoint, prefill: ResolvedEngine, decode: ResolvedEngine) -> FrontDoor:
    """The router, from the decode role's image, watching the two roles' pods in its own namespace (`POD_NAMESPACE`,
    which the render sets from the pod's metadata: a namespace-wide Role then suffices)."""
    def selector(role: str) -> tuple[str, ...]:
        return (f"{DISAGGREGATED_LABEL}={endpoint.name}", f"{ROLE_LABEL}={role}")

    args = ("--pd-disaggregation", "--host", "0.0.0.0", "--port", str(ROUTER_PORT), "--service-discovery",
            "--service-discovery-namespace", f"$({NAMESPACE_ENV})", "--service-discovery-port", str(decode.port),
            "--prefill-selector", *selector(prefill.role), "--decode-selector", *selector(decode.role),
            "--prometheus-host", "0.0.0.0", "--prometheus-port", str(METRICS_PORT))
    return FrontDoor(decode.image, ROUTER_LAUNCH, args, ROUTER_PORT, 1,
                     "the SGLang router in P/D mode: sends each request to a prefill and a decode server it finds "
                     "by their labels", metrics_port=METRICS_PORT)
