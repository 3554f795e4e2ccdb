"""Frozen records (aimc/records.py) for every validated input (the resolved plan is in `model.plan`).

Mappings from the inputs are kept as tuples of pairs so that every object is immutable and hashable
where that matters; `Origin` ties each object back to its file and line.
"""

from __future__ import annotations

from typing import Any

from aimc.model.adapters import Adapter
from aimc.model.benchmark import BenchmarkInputs
from aimc.model.disaggregation import Disaggregation
from aimc.model.facts import ModelCatalog
from aimc.model.origin import Origin
from aimc.model.performance import Objective
from aimc.model.routing import Gateway, Traffic
from aimc.model.scaling import AutoScaling
from aimc.records import Record

JsonPath = tuple[str | int, ...]  # a field's path inside its document, for error lines
StrPairs = tuple[tuple[str, str], ...]  # a string-to-string mapping (labels, env, node selector)
YamlPairs = tuple[tuple[str, Any], ...]  # a mapping whose values are kept as written (customArgs, overrides)
# A recipe argument's value: the text, None for a bare flag, False for "off", several texts for a list.
ArgValue = str | tuple[str | None, ...] | bool | None
ArgPairs = tuple[tuple[str, ArgValue], ...]
KubeObject = dict[str, Any]  # a Kubernetes sub-object passed through as given (EnvVar, Toleration)


class EngineRequest(Record):
    """One engine of an endpoint, with what the endpoint (or the engine entry) asks of it."""

    engine: str
    gpu_count: int | None = None
    replicas: int | None = None
    custom_args: YamlPairs = ()
    recipe: str | None = None
    path: JsonPath = ()  # of the engine entry, for error lines


class SecretKeyRef(Record):
    """A key of a Secret (spec.hfTokenSecret); `key` None means the default key."""

    name: str
    key: str | None = None


class ResourcesPerGpu(Record):
    """CPU and memory per GPU of a replica as given (Kubernetes quantities); None where not set."""

    cpu: str | None = None
    memory: str | None = None
    memory_limit: str | None = None


class ImageRef(Record):
    """An image supplied in the inputs, with the engine version it declares (`{image: ..., engineVersion: ...}`).

    `path` is where it was written (`spec.image`, `spec.defaults.images.vllm.MI300X`); `hardware` is None for an
    inventory default that applies to every hardware."""

    image: str
    engine_version: str | None = None
    path: JsonPath = ()
    hardware: str | None = None
    engine: str | None = None  # inventory defaults only


class ModelSource(Record):
    """spec.modelSource (or the inventory's spec.defaults.modelSources entry): an OCI image holding the model."""

    image: str
    path: str | None = None  # the model's folder inside the image; None: its root
    where: JsonPath = ()  # where it was written, for error lines
    from_inventory: bool = False


class Endpoint(Record):
    name: str
    namespace: str | None
    labels: StrPairs
    annotations: StrPairs
    model: str
    hardware: str | None
    precision: str | None
    gpu_count: int | None
    engines: tuple[EngineRequest, ...]
    multi_engine: bool
    recipe: str | None
    metric: str | None
    replicas: int
    autoscaling: AutoScaling
    custom_args: YamlPairs
    overrides: YamlPairs  # aimFrameworkOverrides, as given
    image: ImageRef | None
    env: tuple[KubeObject, ...]  # Kubernetes EnvVar dicts, as given
    origin: Origin
    # What the renderers read:
    startup_budget_seconds: int | None = None  # spec.startupProbe.budgetSeconds
    use_model_cache: bool = True  # false only with spec.modelCache.enabled: false
    hf_token_secret: SecretKeyRef | None = None
    resources: ResourcesPerGpu | None = None  # None when absent or empty
    shm_size: str | None = None
    traffic: Traffic = Traffic()  # spec.traffic.weight and servingEngines[].weight (model/routing.py)
    node_pool: str | None = None  # spec.nodePool: the only pool the endpoint may run on
    adapters: tuple[Adapter, ...] = ()  # spec.adapters: LoRA adapters served on the base model (model/adapters.py)
    objective: Objective | None = None  # spec.objective: the workload and latency targets (resolve/objective.py)
    model_source: ModelSource | None = None  # spec.modelSource; None: the inventory's default, else a download
    disaggregation: Disaggregation | None = None  # spec.disaggregation: prefill and decode apart (model/disaggregation)


class Partition(Record):
    """AMD compute and memory partition mode of a pool's GPUs (spec.nodePools[].partition)."""

    compute: str  # SPX, DPX, QPX or CPX
    memory: str  # NPS1 or NPS4


class PoolNetwork(Record):
    """spec.nodePools[].network: how the pool's nodes talk to each other (multi-node groups)."""

    rdma_resource: str | None = None  # an extended resource (e.g. rdma/hca) requested once per pod of a group
    interfaces: tuple[str, ...] = ()  # network interfaces RCCL/NCCL and Gloo use (NCCL_SOCKET_IFNAME)
    attachments: tuple[str, ...] = ()  # Multus NetworkAttachmentDefinitions the pods join (k8s.v1.cni.cncf.io/networks)
    host_network: bool = False  # the pods use the node's network namespace
    rdma_devices: tuple[str, ...] = ()  # RDMA devices (e.g. mlx5_0) a disaggregated role's KV transfer uses


class NodePool(Record):
    name: str
    hardware: str
    gpus_per_node: int
    node_count: int
    gpu_resource: str
    node_selector: StrPairs
    tolerations: tuple[KubeObject, ...]
    memory_gib: float | None
    index: int  # declaration order: the order pools are tried in
    origin: Origin
    partition: Partition | None = None  # gpus_per_node then counts logical GPUs
    network: PoolNetwork | None = None  # None: nothing declared (a multi-node group warns)
    allocation: str = "devicePlugin"  # or "dra": GPUs through ResourceClaims (render/claims.py)
    device_class: str | None = None  # the DeviceClass of a DRA pool's claims; None: AMD's default

    @property
    def uses_dra(self) -> bool:
        return self.allocation == "dra"

    @property
    def capacity(self) -> int:
        return self.gpus_per_node * self.node_count


class ModelCache(Record):
    """spec.modelCache of the inventory (present, even empty, turns the shared cache on)."""

    storage_class_name: str | None = None
    access_mode: str | None = None  # None: the renderer's default
    size: str | None = None  # None: sized from the model's weights


class Monitoring(Record):
    """How metrics reach the cluster's consumers: a PodMonitor scrape (operator), HPAs (a custom-metrics adapter such
    as prometheus-adapter), KEDA (a Prometheus address)."""

    prometheus_operator: bool = False
    prometheus_server_address: str | None = None
    prometheus_adapter: bool = False


class Capabilities(Record):
    """spec.capabilities: controllers the cluster runs that aimc's output may rely on."""

    leader_worker_set: bool = True  # the LeaderWorkerSet controller (multi-node groups) is installed


class KubernetesTarget(Record):
    """spec.kubernetes of the inventory: the cluster's version (as written) and the feature gates it sets."""

    version: str | None = None
    feature_gates: tuple[tuple[str, bool], ...] = ()

    def gate(self, name: str) -> bool | None:
        return dict(self.feature_gates).get(name)


class Inventory(Record):
    name: str
    pools: tuple[NodePool, ...]
    default_namespace: str | None
    images: tuple[ImageRef, ...]  # spec.defaults.images: per engine, optionally per hardware
    origin: Origin
    hf_token_secret: SecretKeyRef | None = None  # spec.defaults.hfTokenSecret
    resources: ResourcesPerGpu | None = None  # spec.defaults.resources; None when absent or empty
    model_cache: ModelCache | None = None
    monitoring: Monitoring = Monitoring()
    gateway: Gateway | None = None  # spec.gateway (model/routing.py); None: no routing objects at all
    capabilities: Capabilities = Capabilities()
    kubernetes: KubernetesTarget = KubernetesTarget()
    model_sources: tuple[tuple[str, ModelSource], ...] = ()  # spec.defaults.modelSources: model id -> source


class RecipeConfig(Record):
    """One `<N>_gpu` configuration of one engine in a recipe (or one official profile)."""

    engine: str
    gpu_count: int
    enabled: bool
    args: ArgPairs  # flag (with leading dashes) -> value
    env: StrPairs
    path: JsonPath  # inside the recipe document

    @property
    def key(self) -> str:
        return f"{self.gpu_count}_gpu"


class Recipe(Record):
    id: str
    model_id: str
    huggingface_id: str
    hardware: str
    precision: str
    configs: tuple[RecipeConfig, ...]
    env: StrPairs
    origin: Origin
    builtin: bool
    format: str = "recipe"  # "recipe" (AIM framework) or "profile" (official AIM profile)
    metric: str | None = None
    profile_type: str | None = None
    manual_selection_only: bool = False
    # AMD's search order of profile folders: 0 custom/, 1 model-specific (and every AIM framework recipe), 2 general/.
    search_order: int = 1
    profile_name: str = ""  # official AIM profiles: the file stem, AMD's profile id (pinnable when unambiguous)
    generated: bool = False  # made from model facts at build time (resolve/generated.py): ranked after every other

    @property
    def general(self) -> bool:
        """A model-agnostic fallback (official profiles under general/, which name no model)."""
        return not self.model_id

    def arg_place(self, config: RecipeConfig, flag: str) -> tuple[str, int, str]:
        """(file, line, field) of one argument of a configuration. Profiles write flags without their dashes."""
        if self.format == "profile":
            data = self.origin.data
            written = data.get("engine_args", {}) if data is not None else {}
            key = flag[2:] if flag.startswith("--") and flag[2:] in written else flag
            path: JsonPath = (*config.path, key)
        else:
            path = (*config.path, "args", flag)
        return self.origin.file, self.origin.line_of(*path), ".".join(map(str, path))


class Catalog(Record):
    """Everything selection reads: recipes by id, in a stable order."""

    recipes: tuple[Recipe, ...]
    # False: only the built-in recipes that may serve the models a build names (validate.recipes.builtin_catalog);
    # `complete_catalog` adds the others where a message lists what exists.
    complete: bool = True

    def by_id(self) -> dict[str, Recipe]:
        return {r.id: r for r in self.recipes}


class PassthroughObject(Record):
    data: dict[str, Any]
    origin: Origin


class Inputs(Record):
    """Everything validated from the build inputs."""

    endpoints: tuple[Endpoint, ...]
    inventory: Inventory | None
    catalog: Catalog
    objects: tuple[PassthroughObject, ...]
    models: ModelCatalog  # the built-in model facts and the repository's AIMModel documents (validate/models.py)
    benchmarks: BenchmarkInputs | None = None  # scenarios and spec.benchmark (aimc.validate.benchmark)
    # False when what every endpoint's resolution reads had an error (the inventory, a recipe, an AIMModel, or a file
    # that could not be read and may have held one): resolving would answer from part of the inputs.
    shared_valid: bool = True
