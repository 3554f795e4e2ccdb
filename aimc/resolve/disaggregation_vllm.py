"""vLLM's disaggregated serving on ROCm: the MoRI-IO KV connector on each role, and vLLM's router in front of them.

- Connector: `--kv-transfer-config` (a JSON flag in every shipped vLLM flag set) naming `MoRIIOConnector`, in its
  default WRITE mode (the prefill server writes the KV cache into the decode server's blocks), which
  vLLM registers from 0.17.0 on (vllm/distributed/kv_transfer/kv_connector/factory.py of the 0.17.0 to 0.34.0 wheels;
  0.11.1 has none). The prefill role is the `kv_producer`, the decode role the `kv_consumer`. Its
  `kv_connector_extra_config` carries the five keys every one of those releases reads
  (kv_connector/v1/moriio/moriio_common.py, `MoRIIOConfig.from_vllm_config`): `proxy_ip` and `proxy_ping_port`, where
  rank 0 of each server registers itself with the router over ZMQ (moriio_connector.py `_ping`: its role, its
  `host:http_port` and its MoRI handshake and notify ports), `http_port`, the port the router sends requests to,
  and `handshake_port` / `notify_port` of the MoRI-IO engine. The RDMA devices come from `MORI_RDMA_DEVICES`, the
  variable SGLang's MoRI backend also sets from its device list (sglang srt/disaggregation/mori/conn.py).
  vLLM's NixlConnector on ROCm needs RIXL (`nixl_rocm`, vllm/distributed/nixl_utils.py), which vLLM's own ROCm images
  are not known to ship (llm-d's AMD guide swaps the image for it), so `nixl` is not offered for them.
- Router (catalog/routers.yaml, vllm-project/router): `--vllm-pd-disaggregation --kv-connector moriio
  --vllm-discovery-address 0.0.0.0:<port>`, as AMD runs it on MI355X (InferenceX benchmarks/multi_node/amd_utils/
  job.slurm @843c6254) and the router's ROCm CI does; "MoRI-IO requires vLLM ZMQ discovery" (the router's
  docs/cli_reference.md). The servers reach it through the endpoint's Service (named as the endpoint, which selects
  the router's pods and exposes the registration port too), and since each server registers with the one router
  its ping reaches, the router runs as one replica and needs no access to the Kubernetes API. Its Prometheus metrics
  come from a listener of their own (src/main.rs: `--prometheus-port` default 29000, `--prometheus-host` default
  127.0.0.1, so aimc opens it to the pod network), which serves every path but `/health` (src/metrics.rs
  `start_prometheus`, metrics-exporter-prometheus's HTTP listener); the router's own P/D manifest names that port
  `metrics` (scripts/k8s/pd_disagg/router-deployment.yaml).
"""

from __future__ import annotations

import json

from aimc.catalog import routers
from aimc.model.disaggregation import DECODE, PREFILL, FrontDoor, Transfer
from aimc.model.inputs import ArgPairs, Endpoint
from aimc.model.plan import ResolvedEngine
from aimc.resolve.engine_args import PORTS

# Transfer backend (spec.disaggregation.transfer) -> (the vLLM connector, the router's --kv-connector).
CONNECTORS = {"mori": ("MoRIIOConnector", "moriio")}
KV_ROLES = {PREFILL: "kv_producer", DECODE: "kv_consumer"}
WITHOUT_BACKEND = ("vLLM registers its MoRI-IO connector from 0.17.0 on (vllm/distributed/kv_transfer/kv_connector/"
                   "factory.py): leave spec.image out for aimc's default vLLM image, or name a vllm/vllm-openai-rocm "
                   "image of 0.17.0 or later")
# The router's ZMQ registration port: InferenceX's PROXY_PING_PORT (server_vllm.sh, job.slurm) and the router CI's.
DISCOVERY_PORT = 36367
# MoRI-IO's handshake and notify ports per role (the notify port is offset by each rank), written out because 0.17.0
# and 0.21.0 read both keys without a default: the prefill role's are MoRIIOConstants' defaults (moriio_common.py of
# 0.27.1), the decode role's those of the router's own ROCm CI (run_moriio_rdma_accuracy_test.sh), so that a prefill
# and a decode pod on one host network do not collide.
HANDSHAKE_PORTS = {PREFILL: 6301, DECODE: 7301}
NOTIFY_PORTS = {PREFILL: 61005, DECODE: 62005}
# InferenceX and the router's ROCm CI route both stages by consistent hashing of the request.
POLICY = "consistent_hash"
DISCOVERY_PORT_NAME = "discovery"
METRICS_PORT = 29000  # src/main.rs CliArgs.prometheus_port's default


def router_service(endpoint_name: str) -> str:
    """The Service the servers' `proxy_ip` names: the endpoint's own (render/service.py), in front of the router."""
    return endpoint_name


def kv_transfer_config(role: str, transfer: Transfer, endpoint_name: str) -> str:
    connector, _router_connector = CONNECTORS[transfer.backend]
    extra = {"proxy_ip": router_service(endpoint_name), "proxy_ping_port": DISCOVERY_PORT,
             "http_port": PORTS["vllm"], "handshake_port": HANDSHAKE_PORTS[role], "notify_port": NOTIFY_PORTS[role]}
    config = {"kv_connector": connector, "kv_role": KV_ROLES[role], "kv_connector_extra_config": extra}
    return json.dumps(config, separators=(",", ":"))


def role_args(endpoint: Endpoint, role: str, transfer: Transfer) -> ArgPairs:
    """The flags aimc writes for one role, before the precedence merge."""
    return (("--kv-transfer-config", kv_transfer_config(role, transfer, endpoint.name)),)


def role_env(role: str, transfer: Transfer) -> tuple[tuple[str, str], ...]:
    """The environment of a role's engine container: the pool's RDMA devices for MoRI."""
    return (("MORI_RDMA_DEVICES", ",".join(transfer.devices)),) if transfer.devices else ()


def role_annotations(role: str, transfer: Transfer) -> tuple[tuple[str, str], ...]:
    return ()  # the servers register themselves with the router: it reads nothing from their pods


def router_args(transfer: Transfer) -> tuple[str, ...]:
    _connector, router_connector = CONNECTORS[transfer.backend]
    return ("--vllm-pd-disaggregation", "--kv-connector", router_connector,
            "--vllm-discovery-address", f"0.0.0.0:{DISCOVERY_PORT}", "--host", "0.0.0.0", "--port", str(PORTS["vllm"]),
            "--policy", POLICY, "--prefill-policy", POLICY, "--decode-policy", POLICY,
            # Its Prometheus listener binds 127.0.0.1 by default: open it to the pod's network for scraping.
            "--prometheus-host", "0.0.0.0", "--prometheus-port", str(METRICS_PORT))


def front_door(endpoint: Endpoint, prefill: ResolvedEngine, decode: ResolvedEngine, transfer: Transfer) -> FrontDoor:
    facts = routers.router("vllm")
    assert facts is not None and facts.image is not None, "catalog/routers.yaml names vLLM's router and its image"
    return FrontDoor(facts.image, facts.command, router_args(transfer), PORTS["vllm"], 1,
                     f"vLLM's router {facts.version} in P/D mode: the prefill and decode servers register with it "
                     f"over ZMQ (port {DISCOVERY_PORT}) and it sends each request to one of each",
                     watches_pods=False, extra_ports=((DISCOVERY_PORT_NAME, DISCOVERY_PORT),),
                     metrics_port=METRICS_PORT)
