"""ClusterInventory documents -> `Inventory`, and the choice of the build's one inventory."""

from __future__ import annotations

from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.inputs import (
    Capabilities,
    Inventory,
    KubernetesTarget,
    ModelCache,
    ModelSource,
    Monitoring,
    NodePool,
    PoolNetwork,
)
from aimc.validate import partitions, routing, schema
from aimc.validate.convert import (
    canonical,
    image_defaults,
    model_source,
    optional_text,
    origin_of,
    resources_per_gpu,
    secret_key_ref,
    str_pairs,
)

DEFAULT_GPU_RESOURCE = partitions.DEFAULT_GPU_RESOURCE


def parse_inventory(doc: Document, collector: Collector) -> Inventory:
    data, origin = doc.data, origin_of(doc)
    spec = data["spec"]
    pools: list[NodePool] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(spec["nodePools"]):
        if raw["name"] in names:
            collector.error(doc.file, origin.line_of("spec", "nodePools", index, "name"),
                            f"spec.nodePools[{index}].name",
                            f"duplicate node pool '{raw['name']}' (also spec.nodePools[{names[raw['name']]}])")
        names[raw["name"]] = index
        partitions.check_pool_partition(raw, index, origin, collector)
        pools.append(NodePool(
            name=raw["name"],
            hardware=raw["hardware"].upper(),
            gpus_per_node=raw["gpusPerNode"],
            node_count=raw["nodeCount"],
            gpu_resource=raw.get("gpuResource", DEFAULT_GPU_RESOURCE),
            node_selector=str_pairs(raw.get("nodeSelector")),
            tolerations=tuple(canonical(entry) for entry in raw.get("tolerations") or ()),
            memory_gib=raw.get("memoryGiB"),
            index=index,
            origin=origin,
            partition=partitions.parse_partition(raw.get("partition")),
            network=_network(raw.get("network"), index, origin, collector),
            allocation=raw.get("allocation", "devicePlugin"),
            device_class=(raw.get("dra") or {}).get("deviceClassName"),
        ))
        _check_allocation(raw, index, origin, collector)
    defaults = spec.get("defaults") or {}
    return Inventory(
        name=data["metadata"]["name"],
        pools=tuple(pools),
        default_namespace=defaults.get("namespace"),
        images=image_defaults(defaults.get("images")),
        origin=origin,
        hf_token_secret=secret_key_ref(defaults.get("hfTokenSecret")),
        resources=resources_per_gpu(defaults.get("resources")),
        model_cache=_model_cache(spec.get("modelCache")),
        monitoring=_monitoring(spec.get("monitoring")),
        gateway=routing.parse_gateway(spec, origin, collector),
        capabilities=Capabilities(bool((spec.get("capabilities") or {}).get("leaderWorkerSet", True))),
        kubernetes=_kubernetes(spec.get("kubernetes")),
        model_sources=_model_sources(defaults.get("modelSources"), origin, collector),
    )


def _model_sources(raw: dict | None, origin, collector: Collector) -> tuple[tuple[str, ModelSource], ...]:
    out = []
    for model, entry in sorted((raw or {}).items()):
        source = model_source(entry, ("spec", "defaults", "modelSources", model), origin, collector, True)
        if source is not None:
            out.append((model, source))
    return tuple(out)


def _kubernetes(raw: dict | None) -> KubernetesTarget:
    raw = raw or {}
    gates = tuple(sorted((str(k), bool(v)) for k, v in (raw.get("featureGates") or {}).items()))
    return KubernetesTarget(optional_text(raw.get("version")), gates)


def _check_allocation(raw: dict, index: int, origin, collector: Collector) -> None:
    """`dra` settings belong to a DRA pool; a DRA pool's pods request no extended resource, so gpuResource would be
    ignored: both are errors rather than silently dropped settings."""
    path, field = ("spec", "nodePools", index), f"spec.nodePools[{index}]"
    dra = raw.get("allocation") == "dra"
    if "dra" in raw and not dra:
        collector.error(origin.file, origin.line_of(*path, "dra"), f"{field}.dra",
                        "dra settings apply only to a pool with allocation: dra; add allocation: dra or remove dra")
    if dra and "gpuResource" in raw:
        collector.error(origin.file, origin.line_of(*path, "gpuResource"), f"{field}.gpuResource",
                        "a pool with allocation: dra gets its GPUs through ResourceClaims, not an extended resource: "
                        "remove gpuResource (name the DeviceClass in dra.deviceClassName)")


# The interface every pod has on the cluster network (the CNI's default name); any other interface of the node is in
# the pod only through a secondary network (Multus) or host networking.
POD_INTERFACE = "eth0"


def _network(raw: dict | None, index: int, origin, collector: Collector) -> PoolNetwork | None:
    """Declared (even empty) means the pool's networking was thought about: no warning for groups. Interfaces the
    pod cannot see are an error: RCCL/Gloo would fail to find them (or bootstrap over the wrong network)."""
    if raw is None:
        return None
    network = PoolNetwork(raw.get("rdmaResource"), tuple(raw.get("interfaces") or ()),
                          tuple(raw.get("attachments") or ()), bool(raw.get("hostNetwork", False)),
                          tuple(raw.get("rdmaDevices") or ()))
    path, field = ("spec", "nodePools", index, "network"), f"spec.nodePools[{index}].network"
    if network.host_network and network.attachments:
        collector.error(origin.file, origin.line_of(*path, "hostNetwork"), f"{field}.hostNetwork",
                        "hostNetwork and attachments exclude each other: Multus attaches no secondary network to a "
                        "pod on the host's network; keep one of them")
    unseen = [name for name in network.interfaces if name != POD_INTERFACE]
    if unseen and not network.attachments and not network.host_network:
        collector.error(origin.file, origin.line_of(*path, "interfaces"), f"{field}.interfaces",
                        f"{', '.join(unseen)} cannot be seen from a pod: without host networking a pod has only its "
                        f"own {POD_INTERFACE}, so RCCL and Gloo would not find {unseen[0]}; attach the network that "
                        "carries it (network.attachments: [<NetworkAttachmentDefinition>], Multus) and name the "
                        "interface as the pod sees it, or set network.hostNetwork: true")
    return network


def _model_cache(raw: dict | None) -> ModelCache | None:
    """Present (even empty) turns the shared cache on."""
    if raw is None:
        return None
    return ModelCache(raw.get("storageClassName") or None, raw.get("accessMode"), optional_text(raw.get("size")))


def _monitoring(raw: dict | None) -> Monitoring:
    raw = raw or {}
    return Monitoring(bool(raw.get("prometheusOperator")), raw.get("prometheusServerAddress"),
                      bool(raw.get("prometheusAdapter")))


def choose_inventory(found: list[tuple[Document, Inventory]], given: list[Document] | None,
                     collector: Collector) -> Inventory | None:
    """The inventory of the build: the documents of --inventory FILE (`given`) when set, else the one found among
    the inputs; more than one is an error."""
    if given is not None:
        parsed = []
        for doc in given:
            if doc.kind != "inventory":
                continue
            problems = schema.validate("inventory", doc.data, doc.file, doc.line)
            if problems:
                collector.extend(problems)
                return None
            parsed.append((doc, parse_inventory(doc, collector)))
        if not given and collector.errors:
            return None  # the file itself could not be read: that error says it all
        if len(parsed) != 1:
            where = given[0].file if given else "--inventory"
            collector.error(where, 0, "", f"expected exactly one ClusterInventory in the --inventory file, found "
                                          f"{len(parsed)}")
            return None
        return parsed[0][1]
    if len(found) > 1:
        places = ", ".join(f"{doc.file}:{doc.line}" for doc, _ in found)
        first = found[1][0]
        collector.error(first.file, first.line, "", f"{len(found)} ClusterInventory documents found ({places}); "
                                                    "choose one with --inventory FILE, or give one cluster's "
                                                    "folder and the shared ones (e.g. `aimc build clusters/dev "
                                                    "endpoints`); with each inventory in a folder of its own, "
                                                    "`aimc validate` checks every cluster (README, \"Several "
                                                    "clusters\")")
        return None
    return found[0][1] if found else None
