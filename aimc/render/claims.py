"""GPUs through Dynamic Resource Allocation: a pool with `allocation: dra` gets a ResourceClaimTemplate per workload
(resource.k8s.io/v1, Kubernetes 1.34 or later), each pod claims from it, and the container names the claim instead of
requesting the `amd.com/gpu` extended resource.

The device attributes are those AMD's GPU DRA driver publishes (ROCm/k8s-gpu-dra-driver docs/driver-attributes.md,
"Attributes for a full GPU" and "Attributes for a partition"), under the driver's name `gpu.amd.com`:
- `type`: `amdgpu` for a full GPU, `amdgpu-partition` for a partition of one: a pool without a partition asks for full
  GPUs, so a node whose GPUs are partitioned never hands a pod a fraction of a GPU.
- `partitionProfile`: the compute and memory partition of the device, lower case `<compute>_<memory>` (e.g.
  `spx_nps1`, `cpx_nps4`; the driver's tests read it from sysfs as `dpx_nps2`): a partitioned pool asks for devices
  of its profile. SPX is the whole GPU (docs/device-plugin-to-dra-partitions.md: "spx_nps1 is a full, unpartitioned
  GPU"), so the SPX profiles keep `type == "amdgpu"`.
The DeviceClass `gpu.amd.com` is the one the driver's Helm chart installs
(deployments/helm/k8s-gpu-dra-driver/templates/deviceclass.yaml).

Capacity is planned exactly as for the device plugin: one claim of `count` devices per pod, `count` being the pod's
GPUs (resolve/capacity.py counts the same GPUs).
"""

from __future__ import annotations

from aimc.model.inputs import NodePool
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import labels as L

API_VERSION = "resource.k8s.io/v1"
KIND = "ResourceClaimTemplate"
DRIVER = "gpu.amd.com"  # the driver name, the key of its attributes in CEL (device.attributes["gpu.amd.com"])
DEFAULT_DEVICE_CLASS = "gpu.amd.com"
CLAIM_NAME = "gpu"  # the pod's and the container's name for the claim, and the request's name in the template
FULL_GPU = "amdgpu"
PARTITION = "amdgpu-partition"
WHOLE_GPU_COMPUTE = "SPX"
NAME_SUFFIX = "-gpu"


def uses_dra(engine: ResolvedEngine) -> bool:
    return engine.pool.uses_dra


def template_name(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> str:
    """`<endpoint>-<engine>-gpu`: the endpoint's name checks leave room for it (resolve/endpoints.py)."""
    return L.engine_object_name(resolved, engine.engine) + NAME_SUFFIX


def pod_gpus(engine: ResolvedEngine) -> int:
    """The GPUs of one pod: a multi-node group's pods each take a whole node's."""
    return engine.group.gpus_per_node if engine.group is not None else engine.gpu_count


def selector_expression(pool: NodePool) -> str:
    """The CEL expression that picks the pool's devices (the attribute values are aimc's, never the inputs')."""
    attributes = f'device.attributes["{DRIVER}"]'
    partition = pool.partition
    device_type = PARTITION if partition is not None and partition.compute != WHOLE_GPU_COMPUTE else FULL_GPU
    expression = f'{attributes}.type == "{device_type}"'
    if partition is not None:
        # The driver omits partitionProfile "on devices that do not support partitioning" (driver-attributes.md), and
        # a selector whose evaluation errs (a missing key) aborts the allocation instead of not matching (Kubernetes
        # API, CELDeviceSelector.expression: "Any other result is an error and causes allocation of devices to
        # abort"): `has` guards it.
        profile = f"{partition.compute}_{partition.memory}".lower()
        expression += f' && has({attributes}.partitionProfile) && {attributes}.partitionProfile == "{profile}"'
    return expression


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[dict]:
    """The engine's ResourceClaimTemplate, or nothing on a device-plugin pool."""
    if not uses_dra(engine):
        return []
    pool = engine.pool
    request = {
        "name": CLAIM_NAME,
        "exactly": {
            "deviceClassName": pool.device_class or DEFAULT_DEVICE_CLASS,
            "allocationMode": "ExactCount",
            "count": pod_gpus(engine),
            "selectors": [{"cel": {"expression": selector_expression(pool)}}],
        },
    }
    return [{
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": L.metadata(template_name(resolved, engine), resolved, engine, {}),
        "spec": {"spec": {"devices": {"requests": [request]}}},
    }]


def pod_claims(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[dict]:
    """The pod's `resourceClaims`: one claim made from the engine's template for each pod."""
    return [{"name": CLAIM_NAME, "resourceClaimTemplateName": template_name(resolved, engine)}]


def container_claims() -> list[dict]:
    """The container's `resources.claims`: it gets the claim's devices."""
    return [{"name": CLAIM_NAME}]
