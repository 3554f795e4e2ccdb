"""Property-based tests: whatever the documents say, the compiler renders valid Kubernetes objects or reports a
UserError; it never raises anything else.

Strategies generate valid inventories, endpoints and repository-local recipes from the built-in catalog's models,
hardware, GPU counts and images (customArgs from the flag set of each endpoint's engine version:
tests/flag_strategies.py; issue 29's DRA pools, OCI model images, shared model caches and target Kubernetes versions:
`delivery`), then mutate them: benign changes (another valid value, keys in another order, a scalar of another YAML
type) and damaging ones (drop or replace fields, wrong types, random JSON values, unicode names, an inline credential,
bytes flipped in the YAML text), two benign in three, so that mutated repositories still render often enough for the
checks of rendered objects to run (tests/test_pipeline_differential.py measures the rates). The default suite runs a
small, derandomised number of examples; the large run is

    AIMC_HYPOTHESIS_EXAMPLES=10000 python3 -m pytest tests/test_pipeline_properties.py

(random seeds; see the README's Robustness section).
"""

from __future__ import annotations

import os
import re

import crd_fixtures
import kube_schemas
import pytest
import yaml
from flag_strategies import custom_args, image_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_boundaries import hardened_pod_problems, pod_specs
from test_cli_build import CRD_SCHEMAS, NEWEST_KUBERNETES

from aimc.catalog.flag_sets import PINNED
from aimc.catalog.model_facts import COMPUTE_PARTITIONS, gpu
from aimc.catalog.runtime import runtime
from aimc.emit import output as emit
from aimc.errors import UserError
from aimc.pipeline import Options, compile
from aimc.validate.recipes import builtin_catalog

EXAMPLES = int(os.environ.get("AIMC_HYPOTHESIS_EXAMPLES", "50"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="AIMC_HYPOTHESIS_EXAMPLES" not in os.environ,  # the default run is the same in every CI run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
API = "aim.engine.amd.com/v1alpha1"
INT32_MAX = 2**31 - 1

CATALOG = builtin_catalog()
MODELS = sorted({r.model_id for r in CATALOG.recipes if r.model_id})
HARDWARE = sorted({r.hardware for r in CATALOG.recipes}) + ["MI325X", "MI355X"]
GPU_COUNTS = sorted({c.gpu_count for r in CATALOG.recipes for c in r.configs})
RECIPE_IDS = sorted(r.id for r in CATALOG.recipes)

dns_label = st.from_regex(r"\A[a-z]([-a-z0-9]{0,20}[a-z0-9])?\Z")
small_text = st.text(min_size=1, max_size=12)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


# -- valid documents ----------------------------------------------------------------------------------------

@st.composite
def node_pool(draw, index: int):
    pool = {"name": f"pool-{index}", "hardware": draw(st.sampled_from(HARDWARE)),
            "gpusPerNode": draw(st.sampled_from([1, 2, 4, 8])), "nodeCount": draw(st.integers(1, 4))}
    if draw(st.booleans()):
        pool["nodeSelector"] = {"amd.com/gpu.product-name": draw(st.from_regex(
            r"\A[A-Za-z0-9]([A-Za-z0-9_]{0,18}[A-Za-z0-9])?\Z"))}
    if draw(st.booleans()):
        pool["tolerations"] = [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    return pool


def allocation(hardware: str, gpus_per_node: int, keep_memory: bool = False):
    """How a pool hands out its GPUs: the device plugin (the default, or said) or DRA claims (render/claims.py) of the
    default DeviceClass or another; a GPU AMD partitions gets a partition mode now and then (a DRA claim then selects
    the driver's partitionProfile attribute), one whose logical GPUs gpusPerNode counts whole. `keep_memory`: only
    SPX, the whole GPU, so that what a pool must serve still fits (DPX and more divide the memory)."""
    modes = gpu(hardware).partitions if gpu(hardware) else ()
    modes = [m for m in modes if gpus_per_node % COMPUTE_PARTITIONS[m] == 0 and (m == "SPX" or not keep_memory)]
    partitions = [{"compute": m} for m in modes] + [{"compute": m, "memory": "NPS1"} for m in modes] + (
        [{"compute": "CPX", "memory": "NPS4"}] if "CPX" in modes else [])
    device_class = st.one_of(st.from_regex(r"\A[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}\Z"), st.just("gpu.amd.com"))
    dra = st.one_of(device_class.map(lambda name: {"allocation": "dra", "dra": {"deviceClassName": name}}),
                    st.sampled_from([{"allocation": "dra"}, {"allocation": "dra", "dra": {}}]))
    kind = st.one_of(st.just({}), st.just({"allocation": "devicePlugin"}), dra)
    if not partitions:
        return kind
    return st.tuples(kind, st.one_of(st.just({}), st.sampled_from(partitions).map(lambda p: {"partition": p}))).map(
        lambda parts: {**parts[0], **parts[1]})


def model_source():
    """An OCI model image (resolve/model_source.py): a pinned tag or a digest, sometimes a folder inside it."""
    image = st.one_of(st.from_regex(r"\Aregistry\.example\.com/models/[a-z0-9]{1,8}:v[0-9]{1,3}\Z"),
                      st.from_regex(r"\A[a-z]{1,8}/[a-z0-9]{1,8}@sha256:[0-9a-f]{64}\Z"))
    path = st.from_regex(r"\A[A-Za-z0-9_-]{1,8}(/[a-z]{1,4})?\Z")
    return st.fixed_dictionaries({"image": image}, optional={"path": path})


# The RDMA devices of a pool's fast interconnect (network.rdmaDevices), as nodes name them: AMD Pollara (ionic_N),
# Mellanox (mlx5_N), a renamed one (rdmaN); sometimes with the extended resource each pod requests (rdmaResource).
rdma_network = st.fixed_dictionaries(
    {"rdmaDevices": st.lists(st.sampled_from(["ionic_0", "ionic_1", "mlx5_0", "mlx5_1", "rdma0"]), min_size=1,
                             max_size=2, unique=True)},
    optional={"rdmaResource": st.sampled_from(["amd.com/nic", "rdma/hca_shared_devices_a"])})


def rdma_pool(hardware: str) -> str:
    """The name of the pool of 2-GPU nodes with RDMA that `inventory(rdma=True)` adds for `hardware`: a role of 4 or 8
    GPUs pinned there (spec.nodePool) is a multi-node group, and two roles of 2 cannot share a node."""
    return f"rdma-{hardware.lower()}"


@st.composite
def inventory(draw, hardware=(), rdma: bool = False):
    """Node pools; the first ones carry `hardware` (what the endpoints need), with 8 GPUs per node. With `rdma`, those
    declare their fast interconnect (network.rdmaDevices) and a pool of 2-GPU nodes with RDMA follows each
    (`rdma_pool`): disaggregated endpoints then render as pairs across nodes, their roles as multi-node groups too."""
    # Room for every endpoint: 3 endpoints × 8 replicas × 8 GPUs, and the surge of a rolling update.
    pools = [{"name": f"need-{i}", "hardware": hw, "gpusPerNode": 8, "nodeCount": draw(st.integers(48, 64))}
             for i, hw in enumerate(dict.fromkeys(hardware))]
    if rdma:
        pools = [{**pool, "network": draw(rdma_network)} for pool in pools]
        pools += [{"name": rdma_pool(hw), "hardware": hw, "gpusPerNode": 2, "nodeCount": 128,
                   "network": draw(rdma_network)} for hw in dict.fromkeys(hardware)]
    pools += [draw(node_pool(i)) for i in range(draw(st.integers(0 if pools else 1, 2)))]
    spec = {"nodePools": pools}
    if draw(st.booleans()):
        spec["defaults"] = {"namespace": draw(dns_label)}
    return {"apiVersion": API, "kind": "ClusterInventory", "metadata": {"name": draw(dns_label)}, "spec": spec}


FAKE_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"  # shaped like a Hugging Face token; must never render
CONFIGS = [(r, c) for r in CATALOG.recipes for c in r.configs if c.enabled and r.model_id
           and runtime().default_image(c.engine, gpu(r.hardware).arch)]  # an engine with an image there
SECRET_NAMES = ("HF_TOKEN", "VLLM_API_KEY")


def adapters(endpoint_name: str):
    """LoRA adapters (spec.adapters) named after their endpoint, so that two endpoints of a repository never offer one
    name (that needs weights, a property of its own: tests/test_lora_adapters.py), from Hugging Face (cache:// needs
    the inventory's shared model cache, which these inventories do not always have); small ranks, which fit beside
    any model."""
    entry = st.fixed_dictionaries({"source": st.from_regex(r"\Ahf://acme/[a-z0-9]{1,8}(@v[0-9])?\Z")},
                                  optional={"rank": st.sampled_from([1, 8, 16])})
    return st.lists(entry, min_size=1, max_size=3).map(
        lambda entries: [{"name": f"{endpoint_name}-lora-{i}", **e} for i, e in enumerate(entries)])


# spec.objective with targets loose enough for any configuration the recipes hold (a servable repository stays
# servable): the workload's shape, its kind (concurrency or request rate), the targets present and the serving it
# may choose (issue 27: `auto` and `aggregated` on any endpoint without spec.disaggregation; `disaggregated` only
# where `disaggregated` below draws it) all vary.
objective = st.builds(
    lambda lengths, load, ttft, tpot, serving: {
        "workload": {"inputTokens": lengths[0], "outputTokens": lengths[1], **load}, **ttft, **tpot, **serving},
    st.tuples(st.integers(1, 4096), st.integers(1, 1024)),
    st.one_of(st.fixed_dictionaries({"concurrency": st.integers(1, 32)}),
              st.fixed_dictionaries({"requestsPerSecond": st.floats(0.01, 2, allow_nan=False)})),
    st.one_of(st.just({}), st.fixed_dictionaries({"maxTtftSeconds": st.floats(600, 86400)})),
    st.fixed_dictionaries({"maxTpotSeconds": st.floats(60, 3600)}),
    st.one_of(st.just({}), st.fixed_dictionaries({"serving": st.sampled_from(["aggregated", "auto"])})))


def _serving_disaggregated(spec: dict) -> bool:
    """The objective renders the endpoint disaggregated by itself (serving: disaggregated)."""
    objective = spec.get("objective")
    return isinstance(objective, dict) and objective.get("serving") == "disaggregated"


def engine_images(engine: str, hardware: str | None) -> list[str]:
    """The images of aimc's runtime catalog that hold `engine` (built for the hardware's architecture, when given):
    releases older than the default one, whose flag sets differ (runtime.yaml)."""
    arch = gpu(hardware).arch if hardware else None
    return [i.image for i in runtime().images if i.engine == engine and (arch is None or arch in i.architectures)]


def flag_versions(engine: str, hardware, image=None) -> set[str]:
    """The flag-set versions an endpoint's engine may be checked against: its image's, else aimc's default image's on
    each of the hardware it may run on (resolve/images.py's order)."""
    versions = {image_version(engine, str(hw), image if isinstance(image, str) else None) for hw in hardware}
    return {v for v in versions if v} or {PINNED[engine]}  # no image there: it renders nowhere anyway


@st.composite
def endpoint(draw, name: str, target=None, rdma: bool = False):
    """An endpoint; with a target (recipe, configuration) one that the target can serve, else anything valid. `rdma`:
    the inventory's pools declare RDMA (`inventory`)."""
    recipe, config = target or draw(st.sampled_from(CONFIGS))
    engine = config.engine if target else draw(st.sampled_from(["vllm", "sglang"]))
    spec = {"model": recipe.model_id}
    choices = {
        "hardware": st.sampled_from([recipe.hardware, recipe.hardware.lower()] if target else HARDWARE),
        "precision": st.just(recipe.precision) if target else st.sampled_from(["fp16", "bf16", "fp8", "int4"]),
        "gpuCount": st.just(config.gpu_count) if target else st.sampled_from(GPU_COUNTS),
        "recipe": st.just(recipe.id) if target else st.sampled_from(RECIPE_IDS),
        "replicas": st.integers(0, 8),
        "autoScaling": st.builds(lambda low, extra, on: {"enabled": on, "minReplicas": low, "maxReplicas": low + extra},
                                 st.integers(1, 4), st.integers(0, 4), st.booleans()),
        "image": st.sampled_from(engine_images(engine, recipe.hardware if target else None)),
        "customArgs": None,  # drawn below: from the flag set of the engine version the endpoint will run
        "adapters": adapters(name),
        "aimFrameworkOverrides": st.fixed_dictionaries({}, optional={
            "gpuMemoryUtilization": st.floats(0.5, 0.95), "trustRemoteCode": st.booleans(),
            "maxNumSeqs": st.integers(1, 512), "enablePrefixCaching": st.booleans(), "enforceEager": st.booleans()}),
        # Credentials come from a Secret (an inline one is refused: the `inline_token` mutation covers that).
        "env": st.lists(st.one_of(
            st.fixed_dictionaries({"name": st.from_regex(r"\A[A-Z][A-Z0-9_]{0,15}\Z").filter(
                lambda name: name not in SECRET_NAMES and not re.search("TOKEN|KEY|SECRET|PASSWORD", name)),
                "value": st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)}),
            st.fixed_dictionaries({"name": st.sampled_from(SECRET_NAMES), "valueFrom": st.just(
                {"secretKeyRef": {"name": "hf-token", "key": "token"}})})),
            max_size=2, unique_by=lambda e: e["name"]),
        "objective": objective,
    }
    for key, strategy in choices.items():
        if draw(st.booleans()):
            if key == "customArgs":  # the flags of the engine version it will run: on its hardware, or on any
                hardware = [spec["hardware"]] if "hardware" in spec else HARDWARE
                strategy = custom_args(engine, flag_versions(engine, hardware, spec.get("image")))
            spec[key] = draw(strategy)
            if key == "image" and target:  # an image is built for some architectures: the recipe's hardware it is
                spec.setdefault("hardware", recipe.hardware)
    if "replicas" in spec and "autoScaling" in spec:  # with autoscaling, spec.replicas must be minReplicas
        spec["replicas"] = spec["autoScaling"]["minReplicas"]
    if "objective" in spec and "gpuCount" not in spec:  # the objective then chooses the replica count
        spec.pop("replicas", None)
    if draw(st.booleans()) or "customArgs" in spec or "image" in spec:  # one engine's flags or image: name it
        spec["servingEngine"] = engine
    elif draw(st.booleans()):
        spec["servingEngines"] = [engine if draw(st.booleans()) else {"engine": engine}]
    metadata = {"name": name}
    if draw(st.booleans()):
        metadata["namespace"] = draw(dns_label)
    if draw(st.booleans()):
        metadata["labels"] = {"team": draw(st.from_regex(r"\A[a-z0-9]{1,10}\Z"))}
    # Drawn after every other field (the other fields' derandomised samples stay as they were): an SGLang or vLLM
    # endpoint on hardware where its engine's images move the KV cache (vLLM: MoRI-IO on gfx942 and gfx950). Without
    # RDMA its two roles fit on one node of the `need` pools (8 GPUs: a warning, not an error); with RDMA they may
    # fill a node each (the KV cache crosses nodes), or, pinned to the pool of 2-GPU nodes, be multi-node groups.
    # (each role sized by one of the recipe's configurations of the engine: a role of 8 GPUs fills a node).
    sizes = [config.gpu_count]
    if rdma:
        sizes += sorted({c.gpu_count for c in recipe.configs if c.enabled and c.engine == engine and c.gpu_count <= 8
                         and c.gpu_count != config.gpu_count})
    fits = 2 * config.gpu_count <= 8 or (rdma and config.gpu_count <= 8)
    if target and fits and disaggregates(engine, recipe.hardware) and draw(st.booleans()):
        spec = draw(disaggregated(spec, config.gpu_count, engine, recipe.hardware, sizes))
        if rdma and draw(st.booleans()):
            spec["nodePool"] = rdma_pool(recipe.hardware)
    return {"apiVersion": API, "kind": "AIMEndpoint", "metadata": metadata, "spec": spec}


def role(gpu_count: int, engine: str, versions):
    """One role of spec.disaggregation: its replicas or autoscaling, sometimes its own flags (not the ones aimc
    writes for a role)."""
    return st.fixed_dictionaries({"gpuCount": st.just(gpu_count)}, optional={
        "replicas": st.integers(1, 3), "customArgs": custom_args(engine, versions).map(without_role_flags),
        "autoScaling": st.builds(lambda low, extra: {"enabled": True, "minReplicas": low, "maxReplicas": low + extra},
                                 st.integers(1, 2), st.integers(0, 2))}).map(
        # with autoscaling, the role's replicas must be its minimum
        lambda r: {**r, "replicas": r["autoScaling"]["minReplicas"]} if "autoScaling" in r and "replicas" in r else r)


def without_role_flags(flags: dict) -> dict:
    return {k: v for k, v in flags.items() if not str(k).startswith(("--disaggregation", "--kv-transfer"))}


def disaggregates(engine: str, hardware: str) -> bool:
    """aimc renders the engine disaggregated on this hardware with its default image: SGLang wherever it has an image
    (every catalogued SGLang image ships a transfer backend), vLLM where its default image's MoRI-IO connector is
    shown to run (runtime.yaml `transfer.architectures`: gfx942, gfx950)."""
    facts = runtime().default_image(engine, gpu(hardware).arch)
    return facts is not None and bool(facts.transfer_backends) and (
        not facts.transfer_architectures or gpu(hardware).arch in facts.transfer_architectures)


# The router's requests and limits (spec.disaggregation.router.resources): valid quantities, each request at most
# its limit (a request above it is refused: tests/test_disaggregation_router.py).
router_resources = st.sampled_from([
    {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": 1, "memory": "2Gi"}},
    {"requests": {"cpu": 2, "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}},
    {"requests": {"cpu": "0.5"}}, {"limits": {"memory": "512Mi"}},
    {"requests": {"memory": "4Gi"}, "limits": {"memory": "4Gi"}}])


@st.composite
def disaggregated(draw, spec: dict, gpu_count: int, engine: str, hardware: str, sizes=()):
    """The endpoint served disaggregated (spec.disaggregation): one engine, no endpoint-wide replicas, autoscaling or
    adapters (validate/disaggregation.py), a transfer backend every catalogued image of the engine ships or none
    (vLLM: mori, the only one aimc renders for it), sometimes the router's resources. A vLLM image older than the
    MoRI-IO connector (0.17.0) is left out, with the flags drawn for its release. Or the objective's choice
    (spec.objective.serving: disaggregated): the layout aimc finds for a loose objective on the target's GPU count
    and hardware (both roles of that size, as the written one). A written role's GPU count is one of `sizes` (the
    recipe's configurations), else `gpu_count`."""
    spec = {k: v for k, v in spec.items() if k not in ("replicas", "autoScaling", "adapters", "servingEngines")}
    image = runtime().image(spec["image"]) if "image" in spec else None
    if image is not None and not image.transfer_backends:
        spec = {k: v for k, v in spec.items() if k not in ("image", "customArgs")}
    if "customArgs" in spec:
        spec["customArgs"] = without_role_flags(spec["customArgs"])
    if draw(st.booleans()):
        chosen = {**draw(objective), "serving": "disaggregated"}
        return {**spec, "servingEngine": engine, "gpuCount": gpu_count, "hardware": hardware, "objective": chosen}
    if isinstance(spec.get("objective"), dict) and "serving" in spec["objective"]:  # only `disaggregated` agrees
        spec["objective"] = {**spec["objective"], "serving": "disaggregated"}
    versions = flag_versions(engine, [spec["hardware"]] if "hardware" in spec else HARDWARE, spec.get("image"))
    size = st.sampled_from(sizes) if sizes else st.just(gpu_count)
    plan = {name: draw(size.flatmap(lambda n: role(n, engine, versions))) for name in ("prefill", "decode")}
    if draw(st.booleans()):
        plan["transfer"] = "mooncake" if engine == "sglang" else "mori"
    if draw(st.booleans()):
        plan["bootstrapPort"] = draw(st.integers(1024, 65535))
    if draw(st.booleans()):
        plan["router"] = {"resources": draw(router_resources)}
    return {**spec, "servingEngine": engine, "disaggregation": plan}


@st.composite
def local_recipe(draw):
    gpus = draw(st.lists(st.sampled_from(GPU_COUNTS), min_size=1, max_size=3, unique=True))
    model = draw(st.sampled_from(MODELS + ["acme/tiny-1B"]))
    serve = {f"{n}_gpu": {"enabled": draw(st.booleans()) or n == gpus[0],
                          "args": {"--max-num-seqs": str(draw(st.integers(1, 512)))}} for n in gpus}
    return {"recipe_id": f"local-{draw(dns_label)}", "model_id": model, "huggingface_id": model,
            "hardware": draw(st.sampled_from(HARDWARE)), "precision": draw(st.sampled_from(["bf16", "fp16", "fp8"])),
            "vllm_serve": serve}


@st.composite
def repository(draw, servable: bool = True):
    """An inventory and 1–3 endpoints with distinct names that the catalog and the inventory can serve (servable
    False: endpoints of anything valid, which mostly nothing serves); sometimes a local recipe."""
    names = draw(st.lists(dns_label, min_size=1, max_size=3, unique=True))
    targets = [draw(st.sampled_from(CONFIGS)) if servable else None for _ in names]
    hardware = [t[0].hardware for t in targets if t]
    rdma = bool(hardware) and draw(st.booleans())
    documents = [draw(inventory(hardware, rdma))] + [draw(endpoint(n, t, rdma)) for n, t in zip(names, targets)]
    if draw(st.booleans()):
        documents.append(draw(local_recipe()))
    return draw(delivery(documents))


@st.composite
def delivery(draw, documents):
    """Issue 29's options, each drawn on its own: DRA pools (device class, partition), a target Kubernetes version, a
    shared or per-pod model cache (a shared one renders download Jobs), OCI model sources (the inventory's default per
    model and endpoints' own)."""
    inventory_doc, *rest = documents
    spec = dict(inventory_doc["spec"])
    spec["nodePools"] = [{**pool, **draw(allocation(pool["hardware"], pool["gpusPerNode"], pool["name"].startswith(
        ("need-", "rdma-"))))} for pool in spec["nodePools"]]
    if draw(st.booleans()):  # a target that serves every option the generators use (DRA: 1.34, image volumes)
        spec["kubernetes"] = draw(st.sampled_from([{"version": "v1.35.2"}, {"version": "1.36.0+k3s1"}, {
            "version": "1.34", "featureGates": {"ImageVolume": True}}]))
    if draw(st.booleans()):  # a shared cache (ReadWriteMany: download Jobs, render/download.py) or a per-pod one
        spec["modelCache"] = draw(st.fixed_dictionaries({"storageClassName": st.just("nfs-csi")}, optional={
            "accessMode": st.sampled_from(["ReadWriteMany", "ReadWriteOnce"])}))
    if draw(st.booleans()):
        spec["defaults"] = {**spec.get("defaults", {}), "modelSources": draw(st.dictionaries(
            st.sampled_from(MODELS), model_source(), min_size=1, max_size=2))}
    endpoints = [{**d, "spec": {**d["spec"], "modelSource": draw(model_source())}}
                 if d.get("kind") == "AIMEndpoint" and draw(st.booleans()) else d for d in rest]
    return [{**inventory_doc, "spec": spec}, *endpoints]


# -- mutations ----------------------------------------------------------------------------------------------

def _paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


_DROP = object()


def _drop(value, path):
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != head}
        return [v for i, v in enumerate(value) if i != head]
    if isinstance(value, dict):
        return {k: (_drop(v, rest) if k == head else v) for k, v in value.items()}
    return [(_drop(v, rest) if i == head else v) for i, v in enumerate(value)]


# Values of another YAML type that Python calls equal, or that read alike: a changed type must never pass unnoticed.
# Keyed by (type, value): in a plain dict `True` and `1` would be one key (the bug of issue 21, in a test).
RETYPED = {(bool, True): [1, "true"], (bool, False): [0, "false"], (int, 1): [True, 1.0, "1"],
           (int, 0): [False, 0.0, "0"], (str, "1"): [1, True]}


def _retypings(value) -> list:
    return RETYPED.get((type(value), value), []) if isinstance(value, (bool, int, str)) else []


def _leaves(document):
    return [path for path in _paths(document) if path and not isinstance(_at(document, path), (dict, list))]


def _at(document, path):
    for part in path:
        document = document[part]
    return document


def _endpoints(documents) -> list[int]:
    return [i for i, d in enumerate(documents) if isinstance(d, dict) and d.get("kind") == "AIMEndpoint"]


def _pool_hardware(documents) -> list:
    """The hardware of every node pool of the repository's inventories (where an endpoint without its own may run)."""
    pools = [pool for d in documents if isinstance(d, dict) and d.get("kind") == "ClusterInventory"
             and isinstance(d.get("spec"), dict) and isinstance(d["spec"].get("nodePools"), list)
             for pool in d["spec"]["nodePools"]]
    return [pool["hardware"] for pool in pools if isinstance(pool, dict) and "hardware" in pool] or HARDWARE


@st.composite
def benign_change(draw, documents):
    """A change that keeps a repository servable, mostly: another valid value of one endpoint field, the keys of a
    mapping in another order, or a scalar of another YAML type (`1` -> `1.0`, `true` -> `1`)."""
    index = draw(st.sampled_from(_endpoints(documents) or range(len(documents))))
    document = documents[index]
    action = draw(st.sampled_from(["redraw", "reorder", "retype"]))
    # A redraw needs an endpoint's shape: an earlier (damaging) change of `mutated` may have dropped or retyped it.
    shaped = isinstance(document.get("spec"), dict) and isinstance(document.get("metadata"), dict) and \
        isinstance(document["metadata"].get("name"), str)
    if action == "redraw" and document.get("kind") == "AIMEndpoint" and shaped:
        spec = document["spec"]
        engine = spec.get("servingEngine") if spec.get("servingEngine") in ("vllm", "sglang") else "vllm"
        field = draw(st.sampled_from(["replicas", "customArgs", "labels", "weight", "adapters", "objective",
                                      "modelSource"]))
        plan = spec.get("disaggregation")
        if _serving_disaggregated(spec) and field in ("replicas", "adapters", "objective"):
            # neither replicas nor adapters beside serving: disaggregated; an objective that keeps it
            spec = {**spec, "objective": {**draw(objective), "serving": "disaggregated"}}
        elif isinstance(plan, dict) and field == "labels" and draw(st.booleans()):  # the router's resources instead
            spec = {**spec, "disaggregation": {**plan, "router": {"resources": draw(router_resources)}}}
        elif isinstance(plan, dict) and field in ("replicas", "adapters") and isinstance(plan.get("decode"), dict):
            # a disaggregated endpoint has neither: its decode role's replicas instead
            decode = {k: v for k, v in plan["decode"].items() if k != "autoScaling"}
            spec = {**spec, "disaggregation": {**plan, "decode": {**decode, "replicas": draw(st.integers(1, 3))}}}
        elif field == "modelSource":  # another OCI model image (issue 29)
            spec = {**spec, "modelSource": draw(model_source())}
        elif field == "objective":
            spec = {**spec, "objective": draw(objective)}
            if isinstance(plan, dict):  # spec.disaggregation writes the layout: no other serving agrees
                spec["objective"].pop("serving", None)
            if "gpuCount" not in spec:
                spec.pop("replicas", None)
        elif field == "replicas" and "autoScaling" not in spec and "objective" not in spec:
            spec = {**spec, "replicas": draw(st.integers(0, 8))}
        elif field == "customArgs":
            hardware = [spec["hardware"]] if isinstance(spec.get("hardware"), str) else _pool_hardware(documents)
            versions = flag_versions(engine, hardware, spec.get("image"))
            spec = {**spec, "customArgs": draw(custom_args(engine, versions)), "servingEngine": engine}
            spec.pop("servingEngines", None)
        elif field == "adapters":
            spec = {**spec, "adapters": draw(adapters(document["metadata"]["name"]))}
        elif field == "weight":
            spec = {**spec, "traffic": {"weight": draw(st.integers(0, 100))}}
        else:
            document = {**document, "metadata": {**document["metadata"], "labels": {"team": draw(
                st.from_regex(r"\A[a-z0-9]{1,10}\Z"))}}}
        document = {**document, "spec": spec}
    elif action == "reorder":
        mappings = [p for p in _paths(document) if isinstance(_at(document, p), dict) and len(_at(document, p)) > 1]
        if mappings:
            path = draw(st.sampled_from(mappings))
            items = list(_at(document, path).items())
            document = _replace(document, path, dict(draw(st.permutations(items))))
    else:
        retypable = [p for p in _leaves(document) if _retypings(_at(document, p))]
        if retypable:
            path = draw(st.sampled_from(retypable))
            document = _replace(document, path, draw(st.sampled_from(_retypings(_at(document, path)))))
    return [document if i == index else d for i, d in enumerate(documents)]


@st.composite
def damaging_change(draw, documents):
    """Drop or replace a field, add one, unicode, a wrong type, or a credential written inline."""
    documents = list(documents)
    index = draw(st.sampled_from(range(len(documents))))
    document = documents[index]
    path = draw(st.sampled_from(list(_paths(document))[1:]))
    action = draw(st.sampled_from(["drop", "replace", "add", "unicode", "wrong-type", "inline-token"]))
    if action == "drop" and path:
        document = _drop(document, path)
    elif action == "replace":
        document = _replace(document, path, draw(json_value))
    elif action == "add":
        target = path[:-1] if path else path
        parent = _at(document, target)
        if isinstance(parent, dict):
            document = _replace(document, target, {**parent, draw(st.text(max_size=12)): draw(json_value)})
    elif action == "unicode":
        document = _replace(document, path, draw(st.text(min_size=1, max_size=70)))
    elif action == "wrong-type":
        document = _replace(document, path, draw(st.sampled_from([None, True, 0, -1, 2**40, 1.5, "", [], {}])))
    elif document.get("kind") == "AIMEndpoint" and isinstance(document.get("spec"), dict):
        name = draw(st.sampled_from(SECRET_NAMES + ("EXTRA_SETTING",)))
        env = [{"name": name, "value": FAKE_TOKEN}]  # must be refused, never rendered
        document = {**document, "spec": {**document["spec"], "env": env}}
    documents[index] = document
    return documents


@st.composite
def mutated(draw, documents):
    """1–3 changes, each benign (about two in three) or damaging."""
    documents = list(documents)
    for _ in range(draw(st.integers(1, 3))):
        change = draw(st.sampled_from([benign_change, damaging_change, benign_change]))
        documents = draw(change(documents))
    return documents


def to_yaml(documents) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)


@st.composite
def mangled_text(draw, text: str):
    """Damage to the YAML text: delete, duplicate or insert a character (tabs, colons, brackets, ...), duplicate a
    line; or changes YAML ignores, which must change nothing: a comment at the end of a line, a blank line, trailing
    spaces, CRLF line ends."""
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        line = draw(st.sampled_from(range(len(lines))))
        harmful = draw(st.booleans())  # about one change in two is one YAML ignores
        action = draw(st.sampled_from(["delete", "insert", "duplicate-line"] if harmful else
                                      ["comment", "blank-line", "trailing", "crlf"]))
        if action in ("delete", "insert"):
            position = sum(len(x) + 1 for x in lines[:line]) + draw(st.integers(0, len(lines[line])))
            inserted = "" if action == "delete" else draw(st.sampled_from(
                ["\t", ":", "[", "{", "-", "&a", "*a", "'", '"', "\n", " ", "\ufeff", "#", "!!", "%"]))
            text = text[:position] + inserted + text[position + (action == "delete"):]
        elif action == "duplicate-line":
            text = "\n".join(lines[: line + 1] + lines[line:])
        elif action == "comment" and lines[line].strip() and "#" not in lines[line]:
            text = "\n".join(lines[:line] + [lines[line] + "  # " + draw(st.text("abc x", max_size=8))] + lines[line + 1:])
        elif action == "blank-line":
            text = "\n".join(lines[: line + 1] + [""] + lines[line + 1:])
        elif action == "trailing":
            text = "\n".join(lines[:line] + [lines[line] + "   "] + lines[line + 1:])
        elif action == "crlf":
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text


# -- the property -------------------------------------------------------------------------------------------

def _ints(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from _ints(child)
    elif isinstance(value, list):
        for child in value:
            yield from _ints(child)


def check_compiles_or_user_error(text: str) -> None:
    """The property: objects that Kubernetes accepts, or a UserError whose every line names a file and a line."""
    from aimc.reports.explain import explain

    try:  # `explain` reads the same inputs and must not crash on them either
        explained, _ = explain(Options(paths=("-",), stdin_text=text))
        assert isinstance(explained, str)
    except UserError:
        pass
    try:
        result = compile(Options(paths=("-",), stdin_text=text))
    except UserError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.file and diagnostic.message
        return
    assert result.objects
    for item in result.objects:
        obj = emit.plain(item.obj)  # a plain tree for the validators
        if obj.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/managed-by") != "aimc":
            continue  # a pass-through object: the user's, and maybe a custom resource no schema knows
        key = (obj.get("apiVersion"), obj.get("kind"))
        if obj.get("kind") in crd_fixtures.CRD_FILES:
            if crd_fixtures.available(obj["kind"]):
                crd_fixtures.validate(obj)
        elif key in CRD_SCHEMAS:
            import jsonschema

            jsonschema.validate(obj, CRD_SCHEMAS[key])
        else:
            kube_schemas.validate(obj, NEWEST_KUBERNETES)
        # Kubernetes integers are int32: the schemas say so only in `format`, which validation does not check.
        assert all(-INT32_MAX - 1 <= n <= INT32_MAX for n in _ints(obj)), obj
        for pod in pod_specs(obj):
            assert hardened_pod_problems(pod) == [], obj["metadata"]["name"]
    for output_format in ("yaml", "json"):
        text = emit.render_stream(list(result.objects), output_format)
        assert text and not re.search(r"hf_[A-Za-z0-9]{30,}", text), "an inline token was rendered"


@SETTINGS
@given(repository())
def test_valid_repositories_render_or_fail_cleanly(documents):
    check_compiles_or_user_error(to_yaml(documents))


@SETTINGS
@given(repository().flatmap(mutated))
def test_mutated_documents_render_or_fail_cleanly(documents):
    check_compiles_or_user_error(to_yaml(documents))


@SETTINGS
@given(repository().map(to_yaml).flatmap(mangled_text))
def test_damaged_yaml_text_renders_or_fails_cleanly(text):
    check_compiles_or_user_error(text)


@pytest.mark.parametrize("text", [
    "", "---\n", "- a\n", "a\n", "null\n", "[]\n", "{}\n", "!!str x\n",
    f"apiVersion: {API}\nkind: AIMEndpoint\n", f"apiVersion: {API}\nkind: ClusterInventory\nspec: []\n",
])
def test_degenerate_streams_fail_cleanly(text):
    with pytest.raises(UserError):
        compile(Options(paths=("-",), stdin_text=text))


# -- what aimc writes reads back as exactly what it rendered ------------------------------------------------

# Pieces of hostile file names: line breaks of YAML 1.1 and 1.2, a document marker, flow mappings, comment and
# escape characters, bytes that are not UTF-8, control characters.
NAME_PIECES = [b"\n", b"\r", b"\r\n", b"---", b"...", b"{apiVersion: v1, kind: Pod}", b"#", b"\\", b"\t", b" ",
               b"\xff", b"\xc3\xa9", b"\xe2\x80\xa8", b"\xc2\x85", b"\xef\xbb\xbf", b"\x1b[31m", b"\x7f", b"x", b":"]
file_names = st.lists(st.one_of(st.sampled_from(NAME_PIECES), st.binary(min_size=1, max_size=6)), min_size=1,
                      max_size=6).map(b"".join).map(lambda raw: raw.replace(b"/", b"_").replace(b"\x00", b"_")[:60])


def _pass_through_and_endpoint(name: str) -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: inference}}\ndata: {{a: b}}\n"
            f"---\napiVersion: {API}\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\n"
            "spec: {model: Qwen/Qwen3-32B, hardware: MI300X, gpuCount: 1}\n")


@SETTINGS
@given(file_names)
def test_any_file_name_gives_exactly_the_rendered_objects(raw_name):
    """A file name is copied into `# Source:` comments (stream and -o files): whatever it holds, the output parses
    to exactly the objects aimc rendered, one document each."""
    import tempfile
    from pathlib import Path

    from conftest import REPO

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
        name = b"a" + raw_name + b".yaml"
        with open(os.path.join(os.fsencode(tmp), name), "wb") as handle:
            handle.write(_pass_through_and_endpoint("qwen").encode())
        result = compile(Options(paths=(tmp,)))
        rendered = [emit.plain(item.obj) for item in emit.ordered(list(result.objects))]
        stream = emit.to_yaml_stream(list(result.objects))
        stream.encode("utf-8")  # no lone surrogates: the stream is valid UTF-8
        assert [d for d in yaml.safe_load_all(stream) if d is not None] == rendered
        assert stream.count("\n---\n") + stream.startswith("---\n") == len(rendered)
        for rel, body in emit.tree_files(list(result.objects), "yaml").items():
            assert [d for d in yaml.safe_load_all(body)] == [next(o for o in rendered if emit.file_name(o, "yaml") == rel)]
            assert body.count("\n") == body.count("\n", body.index("\n") + 1) + 1  # the marker is one line


# Strings YAML 1.1, YAML 1.2 and go-yaml might read as numbers, booleans or null.
TRICKY_WORDS = ["y", "Y", "n", "N", "yes", "no", "on", "off", "true", "False", "null", "~", "5e-5", "1e3", "0o17", "0x1F",
                "08", "017", "0b101", "-0b1", "1_000", "0_x1f", "+1e3", ".5", "1.", "-.inf", ".NaN", "1:00", "2001-12-14",
                "1e", "e3", "0x", "1.5.0", "rocm7.0", "<<", "=", "0.", "+.5e+5", "1__0", "_1", "1_"]
tricky_strings = st.one_of(st.sampled_from(TRICKY_WORDS), st.text(alphabet="0123456789+-._:eExXoObBnNyY", min_size=1,
                                                                   max_size=8))


@pytest.mark.e2e
@settings(SETTINGS, max_examples=min(EXAMPLES, 200))
@given(st.lists(tricky_strings, min_size=1, max_size=60, unique=True))
def test_strings_read_back_the_same_by_go_yaml(strings):
    """Every string aimc writes is read back as the same string by the real Go YAML reader of kubectl
    (sigs.k8s.io/yaml, the API server's), as a value and as a key."""
    import json
    import shutil
    import subprocess

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    data = {f"k{i}": s for i, s in enumerate(strings)}
    annotations = {s: s for s in strings}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": annotations}, "data": data}
    from aimc.adapters import krm

    for text in (emit.dump_yaml(obj), krm.dump(obj, as_json=False)):  # the stream and -o files; `aimc krm`
        run = subprocess.run([kubectl, "label", "--local", "-f", "-", "-o", "json", "checked=yes"], input=text.encode(),
                             capture_output=True, check=False, timeout=60)
        assert run.returncode == 0, run.stderr.decode()
        back = json.loads(run.stdout)
        assert back["data"] == data
        assert back["metadata"]["annotations"] == annotations
        assert yaml.safe_load(text) == obj  # and YAML 1.1 (PyYAML) too


pass_through_objects = st.lists(st.fixed_dictionaries({
    "apiVersion": st.sampled_from(["v1", "serving.knative.dev/v1", "apps/v1", "example.com/v1", "example.com/v2"]),
    "kind": st.sampled_from(["Service", "Deployment", "ConfigMap", "HorizontalPodAutoscaler"]),
    "metadata": st.fixed_dictionaries({"name": st.sampled_from(["good", "good-vllm", "Good", "other"])},
                                      optional={"namespace": st.just("inference")}),
}), max_size=8, unique_by=lambda o: (o["apiVersion"], o["kind"], o["metadata"]["name"],
                                     o["metadata"].get("namespace")))


@SETTINGS
@given(pass_through_objects)
def test_output_folder_has_one_file_per_object(objects):
    """`-o DIR` writes one file per object (an endpoint `good` beside pass-through objects that share its kinds and
    names under other API groups), or refuses: it never silently drops one."""
    from conftest import REPO

    endpoint = _pass_through_and_endpoint("good").split("---\n", 1)[1]
    text = "\n---\n".join([(REPO / "examples" / "cluster.yaml").read_text(), endpoint, *map(yaml.safe_dump, objects)])
    try:
        result = compile(Options(paths=("-",), stdin_text=text))
        files = emit.tree_files(list(result.objects), "yaml")
    except UserError as error:
        assert all(d.file and d.line for d in error.diagnostics), error
        return
    assert len(files) == len(result.objects)
    assert len({name.casefold() for name in files}) == len(files)
