"""load.parsed: objects handed over already parsed (Kustomize, KRM) keep their origin — file and line from the
annotations the tool adds — without being turned back into YAML text."""

from __future__ import annotations

from conftest import write_tree

from aimc.adapters import stream
from aimc.errors import Collector, Diagnostic
from aimc.load import parsed
from aimc.load.yaml_positions import line_of

SOURCE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
---
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata:
  name: qwen
spec:
  model: Qwen/Qwen3-32B
  gpuCount: 4
  env:
  - {name: A, value: "1"}
  - {name: B, value: "2"}
"""


def handed(text: str) -> list:
    """Resources as a tool hands them over: parsed from its own stream, lines counting in that stream."""
    return [data for _, data in parsed.read_yaml(text, "<stdin>")]


def with_origin(body: str, origin: str) -> str:
    return body.replace("metadata:\n", "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n"
                                       f"      {origin}\n", 1)


PATCHED = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata:
  name: dev-qwen
  namespace: dev
spec:
  env:
  - {name: A, value: "1"}
  - {name: INSERTED, value: "0"}
  - {name: B, value: "2"}
  gpuCount: 0
  model: Qwen/Qwen3-32B
"""


def test_the_origin_file_gives_the_file_and_the_lines_of_each_field(tmp_path):
    write_tree(tmp_path, {"endpoints/qwen.yaml": SOURCE})
    # after other documents in the tool's stream: lines there mean nothing to the user
    resource = handed("kind: A\n---\nkind: B\n---\n" + with_origin(PATCHED, "path: endpoints/qwen.yaml"))[2]
    resource["metadata"]["annotations"]["internal.config.kubernetes.io/previousNames"] = "qwen"
    [obj] = parsed.locate([resource], str(tmp_path))
    assert obj.file == str(tmp_path / "endpoints" / "qwen.yaml") and obj.line == 6 and obj.index == 1
    assert line_of(obj.data, ("spec", "gpuCount")) == 12  # patched value: the line that sets it in the source
    assert line_of(obj.data, ("spec", "model")) == 11
    assert line_of(obj.data, ("metadata", "namespace")) == 8  # added by the overlay: its enclosing part
    assert line_of(obj.data, ("spec", "env", 2, "name")) == 15  # matched by value after an inserted item
    assert line_of(obj.data, ("spec", "env", 1, "name")) == 14  # the inserted item: where the list starts


def test_without_a_source_file_the_object_is_named_and_counts_its_own_lines():
    resource = handed("---\nkind: ConfigMap\n---\n" + PATCHED)[1]
    [obj] = parsed.locate([resource])
    assert (obj.file, obj.line) == ("AIMEndpoint/dev-qwen", 1)
    assert line_of(obj.data, ("spec", "gpuCount")) == 11


def test_made_up_krm_paths_do_not_name_a_file_and_origin_wins_over_them(tmp_path):
    write_tree(tmp_path, {"endpoints/qwen.yaml": SOURCE})
    body = with_origin(SOURCE.split("---\n")[1], "path: endpoints/qwen.yaml")
    resource = handed(body)[0]
    resource["metadata"]["annotations"].update({"internal.config.kubernetes.io/path": "aimendpoint_qwen.yaml",
                                                "internal.config.kubernetes.io/index": "0"})
    [obj] = parsed.locate([resource], str(tmp_path))
    assert obj.file.endswith("endpoints/qwen.yaml") and obj.line == 6
    assert (obj.tracked_path, obj.tracked_index) == ("aimendpoint_qwen.yaml", 0)  # what KRM results report
    made_up_only = handed(SOURCE.split("---\n")[1])[0]
    made_up_only["metadata"]["annotations"] = {"internal.config.kubernetes.io/path": "aimendpoint_qwen.yaml"}
    assert parsed.locate([made_up_only], str(tmp_path))[0].file == "AIMEndpoint/qwen"


def test_a_remote_base_is_named_by_its_url_without_a_line():
    resource = handed(with_origin(PATCHED, "{path: deploy/qwen.yaml, repo: 'https://github.com/o/r', ref: v1}"))[0]
    [obj] = parsed.locate([resource])
    assert (obj.file, obj.line) == ("https://github.com/o/r//deploy/qwen.yaml?ref=v1", 0)


def test_dropping_annotations_keeps_the_lines():
    resource = handed(with_origin(PATCHED, "path: x.yaml"))[0]
    [obj] = parsed.locate([resource])
    stripped = parsed.without_annotations(obj.data, ("config.kubernetes.io/",))
    assert "annotations" not in stripped["metadata"]
    assert line_of(stripped, ("metadata", "name")) == line_of(obj.data, ("metadata", "name")) == 7


def test_load_classifies_like_a_file_and_reports_at_the_origin():
    resource = handed("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpont\nmetadata: {name: a}\n")[0]
    collector = Collector()
    assert parsed.load(parsed.locate([resource]), collector) == []
    assert collector.errors[0].format().startswith("AIMEndpont/a:1: kind: unknown kind 'AIMEndpont'")


def test_a_diagnostic_finds_its_object_by_file_then_line():
    objects = (parsed.ParsedObject({}, "a.yaml", 1, 0, 0), parsed.ParsedObject({}, "a.yaml", 20, 1, 1),
               parsed.ParsedObject({}, "Kind/b", 1, 0, 2))
    assert stream.input_of(Diagnostic("a.yaml", 25, "", ""), objects).item == 1
    assert stream.input_of(Diagnostic("a.yaml", 3, "", ""), objects).item == 0
    assert stream.input_of(Diagnostic("a.yaml", 0, "", ""), objects) is None  # two candidates, no line
    assert stream.input_of(Diagnostic("Kind/b", 0, "", ""), objects).item == 2
    assert stream.input_of(Diagnostic("other.yaml", 3, "", ""), objects) is None


def test_handed_over_objects_come_out_with_sorted_keys_whatever_order_they_arrive_in():
    """As when they were re-read from a YAML text dumped with sorted keys: the output bytes do not depend on the
    order in which a tool hands keys over."""
    from conftest import REPO

    from aimc.emit.output import dump_yaml

    resources = handed((REPO / "examples" / "cluster.yaml").read_text()
                       + "---\nkind: ConfigMap\nmetadata: {name: extra, namespace: inference}\napiVersion: v1\n"
                         "data: {z: '1', a: '2'}\n")
    compiled = stream.compile_resources(resources, stream.default_config())
    [config_map] = [o for o in compiled.objects if o["kind"] == "ConfigMap"]
    assert dump_yaml(config_map) == ("apiVersion: v1\ndata:\n  a: '2'\n  z: '1'\nkind: ConfigMap\nmetadata:\n"
                                     "  name: extra\n  namespace: inference\n")
