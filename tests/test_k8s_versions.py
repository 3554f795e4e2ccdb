"""Target Kubernetes versions: parsing Argo CD's KUBE_VERSION and which API versions a version serves."""

from __future__ import annotations

import pytest

from aimc.k8s import versions as kube_versions
from aimc.k8s.versions import KubeVersion


@pytest.mark.parametrize("text, expected", [
    ("1.32.2", KubeVersion(1, 32, 2)), ("v1.29", KubeVersion(1, 29, 0)), ("1.30.4+k3s1", KubeVersion(1, 30, 4)),
    ("v1.30.4-eks-a737599", KubeVersion(1, 30, 4)), ("banana", None), ("1", None), ("", None),
])
def test_parse(text, expected):
    assert kube_versions.parse(text) == expected


def test_autoscaling_v2_needs_1_23():
    assert "needs Kubernetes 1.23" in kube_versions.unserved("autoscaling/v2", "HorizontalPodAutoscaler",
                                                                KubeVersion(1, 22))
    assert kube_versions.unserved("autoscaling/v2", "HorizontalPodAutoscaler", KubeVersion(1, 23)) is None


def test_removed_api_versions():
    assert "removed in Kubernetes 1.25" in kube_versions.unserved("policy/v1beta1", "PodDisruptionBudget",
                                                                     KubeVersion(1, 32))
    assert kube_versions.unserved("apps/v1", "Deployment", KubeVersion(1, 10)) is None


def test_served_by_api_versions_list():
    served = kube_versions.parse_api_versions("v1, apps/v1,autoscaling/v2/HorizontalPodAutoscaler")
    assert kube_versions.served_by("apps/v1", "Deployment", served)
    assert kube_versions.served_by("autoscaling/v2", "HorizontalPodAutoscaler", served)
    assert not kube_versions.served_by("policy/v1", "PodDisruptionBudget", served)
    assert kube_versions.served_by("policy/v1", "PodDisruptionBudget", frozenset())
