"""Values the schemas let through but Kubernetes would misread (aimc/validate/kube_values.py): integers written as
floats, wherever they sit (the schema walk only enters collections that hold a float), and `$(VAR)` references, in
document order."""

from __future__ import annotations

from aimc.load.yaml_positions import load_all
from aimc.validate import kube_values
from aimc.validate.schema import load_schema

ENDPOINT = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: e, labels: {team: a}}
spec:
  model: m/M
  replicas: 2.0
  autoScaling: {enabled: true, minReplicas: 1, maxReplicas: 3.0}
  aimFrameworkOverrides: {gpuMemoryUtilization: 0.85}
  customArgs: {--served-model-name: "$(NAME)", --api-key: "$(API_KEY)"}
  env:
    - {name: A, value: plain}
    - {name: B, value: "$(FIRST) and $(SECOND) and $(FIRST)"}
"""

INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: c}
spec:
  nodePools:
    - {name: a, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}
    - {name: b, hardware: MI300X, gpusPerNode: 8.0, nodeCount: 2.0, memoryGiB: 191.5}
"""


def problems(kind: str, text: str) -> list[tuple[int, str, str]]:
    [(line, data)] = list(load_all(text))
    types, values = kube_values.problems(kind, data, "f.yaml", line, load_schema(kind))
    return [(d.line, d.field, d.severity) for d in types + values]


def test_integral_floats_are_found_deep_down_and_floats_where_numbers_are_allowed_are_not():
    assert problems("inventory", INVENTORY) == [(7, "spec.nodePools[1].gpusPerNode", "error"),
                                                (7, "spec.nodePools[1].nodeCount", "error")]


def test_endpoint_floats_and_variable_references_in_document_order():
    assert problems("endpoint", ENDPOINT) == [
        (7, "spec.autoScaling.maxReplicas", "error"),
        (6, "spec.replicas", "error"),
        (9, "spec.customArgs.--served-model-name", "warning"),
        (12, "spec.env[1].value", "warning"),
        (12, "spec.env[1].value", "warning"),
    ]


def test_a_document_without_floats_or_references_has_no_problems():
    assert problems("inventory", INVENTORY.replace("8.0", "8").replace("2.0", "2")) == []
