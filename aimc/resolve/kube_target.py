"""The Kubernetes version and feature gates of the target cluster, and the options of the inputs that need more.

The version is Argo CD's KUBE_VERSION when the adapter knows it (the cluster itself says so), else the inventory's
`spec.kubernetes.version`. An option the version cannot serve is an error naming the version it needs and where the
target's version came from; with no version known, a warning says what the option needs.

What each option needs (Kubernetes docs):
- DRA allocation (`resource.k8s.io/v1`): 1.34, where Dynamic Resource Allocation is GA ("Dynamic Resource
  Allocation", FEATURE STATE: Kubernetes v1.34 [stable]), unless the cluster turned its DynamicResourceAllocation
  gate off.
- Image volumes: the ImageVolume feature gate, alpha in 1.31 and 1.32, beta but off by default in 1.33 and 1.34, beta
  and on by default from 1.35 ("Use an Image Volume With a Pod", FEATURE STATE: Kubernetes v1.35 [beta] (enabled by
  default); kubernetes/enhancements keps/sig-node/4639-oci-volume-source). aimc mounts a folder of the image with
  `subPath`, which image volumes support from 1.33 on (same page, "Use subPath (or subPathExpr)"): so 1.33 or 1.34
  with the gate on, or 1.35 and later with the gate not turned off.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.k8s.versions import KubeVersion, parse
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint
from aimc.records import Record
from aimc.resolve.model_source import source_for

DRA_VERSION = (1, 34)
DRA_GATE = "DynamicResourceAllocation"
IMAGE_VOLUME_GATE = "ImageVolume"
IMAGE_VOLUME_BETA = (1, 33)  # the first version aimc's image volumes (with subPath) can run on, with the gate on
IMAGE_VOLUME_DEFAULT_ON = (1, 35)


class Target(Record):
    """The target's version and where it was read (for messages); None when nothing says."""

    version: KubeVersion | None
    source: str  # "KUBE_VERSION (set by Argo CD)" or "spec.kubernetes.version (cluster.yaml:5)"
    image_volume_gate: bool | None  # spec.kubernetes.featureGates.ImageVolume as declared; None: the default


def target(inventory: Inventory | None, kube_version: KubeVersion | None) -> Target:
    gate = inventory.kubernetes.gate(IMAGE_VOLUME_GATE) if inventory is not None else None
    if kube_version is not None:
        return Target(kube_version, "KUBE_VERSION (set by Argo CD)", gate)
    declared = inventory.kubernetes.version if inventory is not None else None
    if inventory is None or declared is None:
        return Target(None, "", gate)
    origin = inventory.origin
    line = origin.line_of("spec", "kubernetes", "version")
    return Target(parse(declared), f"spec.kubernetes.version ({origin.file}:{line})", gate)


def _minor(version: KubeVersion) -> tuple[int, int]:
    return version.major, version.minor


def _text(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def dra_problems(endpoints: tuple[ResolvedEndpoint, ...], inventory: Inventory | None,
                 kube_version: KubeVersion | None) -> list[Diagnostic]:
    """Each DRA pool that an endpoint runs on, checked once against the target."""
    if inventory is None:
        return []
    used = sorted({e.pool.index for r in endpoints for e in r.engines if e.pool.uses_dra})
    if not used:
        return []
    found = target(inventory, kube_version)
    origin = inventory.origin
    out = []
    for index in used:
        path = ("spec", "nodePools", index, "allocation")
        where = (origin.file, origin.line_of(*path), f"spec.nodePools[{index}].allocation")
        if inventory.kubernetes.gate(DRA_GATE) is False:
            gate_line = origin.line_of("spec", "kubernetes", "featureGates", DRA_GATE)
            out.append(Diagnostic(*where, "allocation: dra needs Dynamic Resource Allocation, which the cluster "
                                          f"turned off (spec.kubernetes.featureGates.{DRA_GATE}: false, "
                                          f"{origin.file}:{gate_line}): use allocation: devicePlugin on this cluster"))
        elif found.version is None:
            out.append(Diagnostic(*where, "allocation: dra renders resource.k8s.io/v1 ResourceClaimTemplates, "
                                          f"served from Kubernetes {_text(DRA_VERSION)}: declare the cluster's "
                                          "spec.kubernetes.version so aimc can check it", "warning"))
        elif _minor(found.version) < DRA_VERSION:
            out.append(Diagnostic(*where, f"allocation: dra needs Kubernetes {_text(DRA_VERSION)} or later "
                                          f"(resource.k8s.io/v1, where DRA is GA); the target is "
                                          f"{_text(_minor(found.version))} from {found.source}: use allocation: "
                                          "devicePlugin on this cluster"))
    return out


def image_volume_problems(endpoints: tuple[ResolvedEndpoint, ...], inventory: Inventory | None,
                          kube_version: KubeVersion | None) -> list[Diagnostic]:
    """Each OCI model source in use (once per place it is written), checked against the target's version and its
    ImageVolume gate."""
    places: dict[tuple[str, int, str], None] = {}
    for resolved in endpoints:
        source = source_for(resolved.endpoint, inventory)
        if source is None:
            continue
        origin = inventory.origin if source.from_inventory and inventory is not None else resolved.endpoint.origin
        places[(origin.file, origin.line_of(*source.where), ".".join(map(str, source.where)))] = None
    if not places:
        return []
    found = target(inventory, kube_version)
    reason = _image_volume_reason(found)
    if reason is None:
        return []
    severity = "warning" if found.version is None else "error"
    return [Diagnostic(*where, reason, severity) for where in places]


def _image_volume_reason(found: Target) -> str | None:
    """Why the target cannot mount an OCI model image, or None when it can."""
    needs = (f"an OCI model source is mounted as an image volume, which needs Kubernetes "
             f"{_text(IMAGE_VOLUME_DEFAULT_ON)} or later, or {_text(IMAGE_VOLUME_BETA)} or "
             f"{_text((IMAGE_VOLUME_BETA[0], IMAGE_VOLUME_BETA[1] + 1))} with the {IMAGE_VOLUME_GATE} feature gate on")
    if found.version is None:
        return f"{needs}: declare the cluster's spec.kubernetes.version (and featureGates) so aimc can check it"
    minor = _minor(found.version)
    where = f"the target is {_text(minor)} from {found.source}"
    if minor < IMAGE_VOLUME_BETA:
        return f"{needs}; {where}: download the model instead (remove the model source) or upgrade the cluster"
    if minor < IMAGE_VOLUME_DEFAULT_ON and found.image_volume_gate is not True:
        return (f"{needs}; {where}, where the gate is off by default: turn it on in the cluster and declare "
                f"spec.kubernetes.featureGates.{IMAGE_VOLUME_GATE}: true, or remove the model source")
    if found.image_volume_gate is False:
        return (f"{needs}; spec.kubernetes.featureGates.{IMAGE_VOLUME_GATE} is false on the target ({where}): "
                "remove the model source or turn the gate on")
    return None
