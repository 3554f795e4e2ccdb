"""Which Kubernetes versions serve which API versions: checks for a known target version (Argo CD's KUBE_VERSION).

Pure: objects and versions in, diagnostics out.
"""

from __future__ import annotations

import re

from aimc.records import Record

# At most 9 digits per part: a version is small, and Python refuses to convert numbers of over 4,300 digits.
_VERSION = re.compile(r"^v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?:[-+][0-9A-Za-z.+-]*)?$")

# (apiVersion, kind) -> first Kubernetes minor version that serves it.
INTRODUCED = {
    ("autoscaling/v2", "HorizontalPodAutoscaler"): (1, 23),
    ("policy/v1", "PodDisruptionBudget"): (1, 21),
    ("batch/v1", "CronJob"): (1, 21),
    ("discovery.k8s.io/v1", "EndpointSlice"): (1, 21),
    ("networking.k8s.io/v1", "Ingress"): (1, 19),
    ("networking.k8s.io/v1", "IngressClass"): (1, 19),
    # Dynamic Resource Allocation went GA in 1.34 (Kubernetes docs, "Dynamic Resource Allocation": "FEATURE STATE:
    # Kubernetes v1.34 [stable]"): resource.k8s.io/v1 is served from then on.
    ("resource.k8s.io/v1", "ResourceClaimTemplate"): (1, 34),
}
# (apiVersion, kind) -> first Kubernetes minor version that no longer serves it.
REMOVED = {
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): (1, 25),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): (1, 26),
    ("policy/v1beta1", "PodDisruptionBudget"): (1, 25),
    ("batch/v1beta1", "CronJob"): (1, 25),
    ("extensions/v1beta1", "Ingress"): (1, 22),
    ("networking.k8s.io/v1beta1", "Ingress"): (1, 22),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): (1, 25),
}


class KubeVersion(Record, order=True):
    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse(text: str) -> KubeVersion | None:
    """`1.32`, `v1.32.2`, `1.32.2+k3s1`, `1.30.4-eks-a737599` -> KubeVersion; anything else -> None."""
    match = _VERSION.match(text.strip())
    if not match:
        return None
    return KubeVersion(int(match[1]), int(match[2]), int(match[3] or 0))


def unserved(api_version: str, kind: str, target: KubeVersion) -> str | None:
    """Why `target` cannot serve this API version, or None when it can (or nothing is known)."""
    minor = (target.major, target.minor)
    introduced = INTRODUCED.get((api_version, kind))
    if introduced and minor < introduced:
        return (f"{kind} {api_version} needs Kubernetes {introduced[0]}.{introduced[1]} or later; the target is "
                f"{target.major}.{target.minor}")
    removed = REMOVED.get((api_version, kind))
    if removed and minor >= removed:
        return (f"{kind} {api_version} was removed in Kubernetes {removed[0]}.{removed[1]}; the target is "
                f"{target.major}.{target.minor}")
    return None


def parse_api_versions(text: str) -> frozenset[str]:
    """Argo CD's KUBE_API_VERSIONS: comma-joined `group/version` (and `group/version/Kind`) entries."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def served_by(api_version: str, kind: str, api_versions: frozenset[str]) -> bool:
    return not api_versions or api_version in api_versions or f"{api_version}/{kind}" in api_versions
