"""AMD GPU partitions of a node pool (`spec.nodePools[].partition`): parsing and the checks that keep the memory per
`amd.com/gpu` right.

A partitioned MI300X in CPX mode shows 8 logical GPUs of 1/8 of its memory each. With the device plugin's `single`
naming they are still `amd.com/gpu` (only a node label, e.g. `cpx_nps4`, tells); with `mixed` naming the resource
itself is e.g. `amd.com/cpx_nps4`. Either way aimc cannot see the mode, so the pool declares it, and a partition
resource without a declared mode (or memoryGiB) is an error rather than a silent "192 GiB per GPU".

The node label has two names upstream, and a pool may select either:
- `amd.com/gpu.compute-memory-partition`: what AMD's device-plugin node labeller writes (ROCm/k8s-device-plugin
  cmd/k8s-node-labeller/main.go: `createLabelPrefix("compute-memory-partition", false)` gives `amd.com/gpu.<name>`;
  main_test.go expects `amd.com/gpu.compute-memory-partition`), value `<compute>_<memory>` lower-case
  (internal/pkg/amdgpu/amdgpu.go UniquePartitionConfigCount), written only when every GPU of the node has one mode.
- `amd.com/compute-memory-partition`: the name in the device plugin's docs (docs/user-guide/configuration.md, "Exposing
  GPU Partition related through Node Labeller") and in AMD's GPU operator (ROCm/gpu-operator internal/utils.go
  `partitionTypeLabel`).
"""

from __future__ import annotations

import re

from aimc.catalog import model_facts as facts
from aimc.errors import Collector
from aimc.model.inputs import Partition
from aimc.model.origin import Origin

DEFAULT_GPU_RESOURCE = "amd.com/gpu"
LABELLER_LABEL = "amd.com/gpu.compute-memory-partition"
OPERATOR_LABEL = "amd.com/compute-memory-partition"
PARTITION_LABELS = (LABELLER_LABEL, OPERATOR_LABEL)
# AMD pairs NPS4 with CPX only: "NPS4 is supported only for CPX compute type" (ROCm/gpu-operator
# docs/dcm/device-config-manager-configmap.md, "Memory types supported are NPS1 and NPS4").
NPS4_COMPUTE = "CPX"
# The device plugin's mixed naming: amd.com/<compute>_<memory>, e.g. amd.com/cpx_nps4.
_MIXED_NAME = re.compile(r"^amd\.com/(spx|dpx|qpx|cpx)_(nps1|nps2|nps4)$")


def parse_partition(raw: dict | None) -> Partition | None:
    if raw is None:
        return None
    return Partition(raw["compute"], raw.get("memory", "NPS1"))


def check_pool_partition(raw: dict, index: int, origin: Origin, collector: Collector) -> None:
    """Errors (file:line) for a pool whose memory per GPU would be wrong: a partition resource without a declared
    mode or memoryGiB, a mode the resource name contradicts, a mode the GPU does not have, and a GPU count that is
    not a whole number of devices."""
    where = f"spec.nodePools[{index}]"
    resource = raw.get("gpuResource", DEFAULT_GPU_RESOURCE)
    partition = parse_partition(raw.get("partition"))
    mixed = _MIXED_NAME.match(resource)
    if resource != DEFAULT_GPU_RESOURCE and partition is None and raw.get("memoryGiB") is None:
        hint = (f"partition: {{compute: {mixed.group(1).upper()}, memory: {mixed.group(2).upper()}}}" if mixed
                else "partition: {compute: SPX|DPX|QPX|CPX, memory: NPS1|NPS4}")
        collector.error(origin.file, origin.line_of("spec", "nodePools", index, "gpuResource"),
                        f"{where}.gpuResource",
                        f"'{resource}' is not amd.com/gpu, so aimc cannot tell how much memory one unit has: declare "
                        f"the pool's {hint} (memory per GPU = device memory / compute partitions), or memoryGiB")
        return
    if partition is None:
        return
    line = origin.line_of("spec", "nodePools", index, "partition")
    if mixed and (mixed.group(1).upper(), mixed.group(2).upper()) != (partition.compute, partition.memory):
        collector.error(origin.file, line, f"{where}.partition",
                        f"{partition.compute}/{partition.memory} contradicts gpuResource '{resource}': the device "
                        f"plugin names the resource after the mode, so the mode is "
                        f"{mixed.group(1).upper()}/{mixed.group(2).upper()}")
    gpu = facts.gpu(raw["hardware"])
    if gpu is not None and not gpu.partitions:
        collector.error(origin.file, line, f"{where}.partition",
                        f"{gpu.name} cannot be partitioned; GPUs that can: "
                        f"{', '.join(g.name for g in facts.hardware().values() if g.partitions)}; remove partition")
        return
    check_pool_labels(raw, index, origin, partition, bool(mixed), collector)
    logical = facts.COMPUTE_PARTITIONS[partition.compute]
    if raw["gpusPerNode"] % logical:
        collector.error(origin.file, origin.line_of("spec", "nodePools", index, "gpusPerNode"),
                        f"{where}.gpusPerNode",
                        f"{raw['gpusPerNode']} is not a multiple of {logical}: gpusPerNode counts logical GPUs, and "
                        f"{partition.compute} makes {logical} of each device (e.g. 8 devices: {8 * logical})")



def check_pool_labels(raw: dict, index: int, origin: Origin, partition: Partition, mixed: bool,
                      collector: Collector) -> None:
    """A partitioned pool's nodes are told apart by their partition label: without one in the nodeSelector (and with
    `amd.com/gpu`, which every node has), pods may land on unpartitioned nodes; a label naming another mode selects
    the wrong nodes. And NPS4 with a compute mode other than CPX is not a mode AMD supports."""
    where = f"spec.nodePools[{index}]"
    selector = raw.get("nodeSelector") or {}
    expected = f"{partition.compute}_{partition.memory}".lower()
    named = [label for label in PARTITION_LABELS if label in selector]
    for label in named:
        if str(selector[label]).lower() != expected:
            collector.error(origin.file, origin.line_of("spec", "nodePools", index, "nodeSelector", label),
                            f"{where}.nodeSelector.{label}",
                            f"'{selector[label]}' contradicts the pool's partition {partition.compute}/"
                            f"{partition.memory}: the node labeller writes '{expected}' on such nodes")
    # A DRA pool's claims select devices of the partition profile themselves (render/claims.py): no label needed.
    if not named and not mixed and raw.get("allocation") != "dra":
        collector.warn(origin.file, origin.line_of("spec", "nodePools", index, "partition"), f"{where}.nodeSelector",
                       f"the pool is {partition.compute}/{partition.memory}, but its nodeSelector names no partition "
                       f"label: its pods may land on nodes of another mode, where one amd.com/gpu has other memory; "
                       f"add "
                       f"{LABELLER_LABEL}: {expected} (written by AMD's device-plugin node labeller) or "
                       f"{OPERATOR_LABEL}: {expected} (the name in AMD's GPU operator docs), as your nodes carry")
    if partition.memory == "NPS4" and partition.compute != NPS4_COMPUTE:
        collector.warn(origin.file, origin.line_of("spec", "nodePools", index, "partition"), f"{where}.partition",
                       f"{partition.compute} with NPS4 is not a mode AMD supports: NPS4 pairs with CPX only (AMD "
                       f"GPU operator, Device Config Manager docs); use {{compute: CPX, memory: NPS4}} or "
                       f"{{compute: {partition.compute}, memory: NPS1}}")
