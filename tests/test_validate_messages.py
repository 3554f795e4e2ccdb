"""Messages that lead a newcomer to the fix (issue 13, "Consistency"): each names the file and line and says what
would be right."""

from __future__ import annotations

import pytest
from conftest import REPO, write_tree

INVENTORY = (REPO / "examples/cluster.yaml").read_text()
HEAD = "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\n"


def _build(aimc, tmp_path, files: dict, *args):
    write_tree(tmp_path, {"cluster.yaml": INVENTORY, **files})
    return aimc(*(args or ("build",)), ".", cwd=tmp_path)


def test_custom_args_key_without_dashes_suggests_the_dashed_flag(aimc, tmp_path):
    text = HEAD + "metadata: {name: a}\nspec:\n  model: Qwen/Qwen3-32B\n  customArgs:\n    max-model-len: 8192\n"
    result = _build(aimc, tmp_path, {"a.yaml": text})
    assert result.code == 1
    assert ("a.yaml:7: spec.customArgs.max-model-len: 'max-model-len' is not a flag: engine flags are written with "
            "their dashes, e.g. '--max-model-len'") in result.err


@pytest.mark.parametrize("text,line,field", [
    (HEAD + "metadata:\n  name: a\n  gpuCount: 4\nspec:\n  model: Qwen/Qwen3-32B\n", 5, "metadata.gpuCount"),
    (HEAD + "metadata: {name: a}\ngpuCount: 4\nspec:\n  model: Qwen/Qwen3-32B\n", 4, "gpuCount"),
])
def test_a_field_at_the_wrong_level_says_where_it_belongs(aimc, tmp_path, text, line, field):
    result = _build(aimc, tmp_path, {"a.yaml": text})
    assert result.code == 1
    assert f"a.yaml:{line}: {field}: unknown field;" in result.err
    assert "'gpuCount' belongs under spec" in result.err


def test_a_helm_template_among_the_inputs_suggests_exclude(aimc, tmp_path):
    template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {{- include \"l\" . | nindent 4 }}\n"
    endpoint = HEAD + "metadata: {name: a}\nspec:\n  model: Qwen/Qwen3-32B\n  gpuCount: 4\n"
    result = _build(aimc, tmp_path, {"a.yaml": endpoint, "chart/templates/cm.yaml": template})
    assert result.code == 1
    assert "chart/templates/cm.yaml:5: invalid YAML:" in result.err
    assert "looks like a Helm template" in result.err and "--exclude 'chart/templates'" in result.err
    assert aimc("build", ".", "--exclude", "chart/templates", cwd=tmp_path).code == 0


def test_unknown_fields_of_passed_through_objects_have_line_numbers(aimc, tmp_path):
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\nbinaryDataa:\n  c: ZA==\n"
    result = _build(aimc, tmp_path, {"cm.yaml": config_map}, "validate")
    assert result.code == 1
    assert "cm.yaml:7: binaryDataa: unknown field for V1ConfigMap (ConfigMap 'x')" in result.err


def test_every_message_is_one_printable_line_whatever_its_file_field_or_quoted_value_holds():
    """A model id, a field or a file name holding a line break or an escape sequence must not split `file:line` (a
    fake `model.yaml:1:` line in a CI log) nor reach the terminal; text that needs no escape stays as it is."""
    from aimc.errors import Diagnostic

    warning = Diagnostic("a\nb.yaml", 3, "spec.x\ny", "no facts for model 'x\nmodel.yaml:1: fake\x1b[31m'", "warning")
    assert warning.format() == ("a\\nb.yaml:3: warning: spec.x\\ny: no facts for model "
                                "'x\\nmodel.yaml:1: fake\\x1b[31m'")
    assert Diagnostic("c.yaml", 1, "f", "a \\d path").format() == "c.yaml:1: f: a \\d path"
