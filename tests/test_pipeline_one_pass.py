"""One pass, every error (aimc/pipeline.py): the checks of every stage run on each input whose own earlier checks did
not make it unusable; what every endpoint depends on (the inventory, recipes) holds resolution back when broken; and
nothing is rendered while an error is left."""

from __future__ import annotations

import pytest

from aimc.errors import UserError
from aimc.pipeline import Options, compile

INVENTORY = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: test}
spec:
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}
"""

# Four problems of three stages: autoscaling bounds (validate), an inline token (secrets), a misspelt flag and a flag
# aimc owns (resolve).
FOUR_PROBLEMS = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: four}
spec:
  model: meta-llama/Llama-3.1-8B-Instruct
  hardware: MI300X
  autoScaling: {enabled: true, minReplicas: 3, maxReplicas: 2}
  env:
    - {name: HF_TOKEN, value: hf_abcdefghijklmnopqrstuvwxyz0123456789}
  customArgs:
    --max-num-seq: 64
    --tensor-parallel-size: 2
"""


def _errors(*documents: str) -> list[tuple[int, str, str]]:
    with pytest.raises(UserError) as raised:
        compile(Options(paths=("-",), stdin_text="---\n".join(documents)))
    return [(d.line, d.field, d.message) for d in raised.value.diagnostics if d.severity == "error"]


def test_four_problems_of_one_endpoint_in_one_run_each_with_its_line():
    inventory_lines = INVENTORY.count("\n") + 1  # the endpoint's lines follow the inventory's and the `---`
    found = _errors(INVENTORY, FOUR_PROBLEMS)
    assert [(line - inventory_lines, field) for line, field, _ in found] == [
        (7, "spec.autoScaling"),
        (9, "spec.env[0].value"),
        (11, "spec.customArgs.--max-num-seq"),
        (12, "spec.customArgs.--tensor-parallel-size"),
    ]
    messages = [message for _, _, message in found]
    assert "minReplicas (3) is greater than maxReplicas (2)" in messages[0]
    assert "HF_TOKEN holds a credential written inline" in messages[1]
    assert "write the full name --max-num-seqs" in messages[2]
    assert "set spec.gpuCount instead" in messages[3]


def test_an_endpoint_that_cannot_be_built_does_not_hold_back_the_others():
    broken = "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: b}\nspec:\n" \
             "  model: Qwen/Qwen3-32B\n  replicas: many\n"
    fields = [field for _, field, _ in _errors(INVENTORY, broken, FOUR_PROBLEMS)]
    assert "spec.replicas" in fields and "spec.customArgs.--max-num-seq" in fields


def test_a_broken_inventory_holds_resolution_back_and_is_not_reported_missing():
    """With the node pools unknown, selection would answer from part of the inputs: only the inventory's own error
    and the endpoint's own checks are reported, never a misleading "no ClusterInventory" or "no candidate"."""
    broken = INVENTORY.replace("nodeCount: 1", "nodeCount: one")
    found = _errors(broken, FOUR_PROBLEMS)
    fields = [field for _, field, _ in found]
    assert fields == ["spec.nodePools[0].nodeCount", "spec.autoScaling", "spec.env[0].value"]
    assert not any("ClusterInventory found" in message for _, _, message in found)


def test_a_broken_recipe_holds_resolution_back():
    recipe = ("recipe_id: acme-tiny-mi300x-fp8\nmodel_id: Acme/Tiny-1B\nhuggingface_id: Acme/Tiny-1B\n"
              "hardware: MI300X\nprecision: fp8\nvllm_serve:\n  1_gpu: {enabled: maybe, args: {}}\n")
    fields = [field for _, field, _ in _errors(INVENTORY, recipe, FOUR_PROBLEMS)]
    assert fields == ["vllm_serve.1_gpu.enabled", "spec.autoScaling", "spec.env[0].value"]


def test_nothing_is_rendered_while_an_error_is_left():
    """The errors of the last stage still stop the build: a value error alone (a label) fails it."""
    labelled = FOUR_PROBLEMS.replace("metadata: {name: four}", "metadata: {name: four, labels: {'bad key!': x}}")
    fixed = "\n".join(line for line in labelled.split("\n")
                      if "HF_TOKEN" not in line and "env:" not in line and "--" not in line and "customArgs" not in line)
    fixed = fixed.replace("minReplicas: 3", "minReplicas: 1")
    assert [field for _, field, _ in _errors(INVENTORY, fixed)] == ["metadata.labels.bad key!"]
