"""`aimc krm`: the KRM function, fed a ResourceList on stdin the way `kustomize build --enable-exec` does (standalone
kustomize is not installed here), as a transformer and as a generator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, write_tree

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
CLUSTER = yaml.safe_load((REPO / "examples" / "cluster.yaml").read_text())
QWEN = yaml.safe_load((REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text())
FUNCTION_CONFIG = {"apiVersion": "aimc.amd.com/v1", "kind": "AimcCompiler", "metadata": {"name": "aimc", "annotations": {
    "config.kubernetes.io/function": "exec:\n  path: ./aimc-krm\n"}}}


def annotated(obj: dict, path: str, index: int = 0) -> dict:
    """How kustomize hands a resource to a function: tracking annotations added."""
    obj = json.loads(json.dumps(obj))
    obj["metadata"].setdefault("annotations", {}).update({
        "config.kubernetes.io/index": str(index), "internal.config.kubernetes.io/index": str(index),
        "config.kubernetes.io/path": path, "internal.config.kubernetes.io/path": path,
        "kustomize.config.k8s.io/id": f"kind: {obj['kind']}\nname: {obj['metadata']['name']}\n"})
    return obj


def krm(resource_list, cwd=REPO, as_json=False) -> tuple[int, dict, str]:
    text = json.dumps(resource_list) if as_json else yaml.safe_dump(resource_list)
    run = subprocess.run([sys.executable, "-m", "aimc", "krm"], input=text, capture_output=True, text=True, env=ENV,
                         cwd=cwd)
    output = json.loads(run.stdout) if as_json else yaml.safe_load(run.stdout)
    return run.returncode, output, run.stderr


def resource_list(items, config=FUNCTION_CONFIG) -> dict:
    return {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items, "functionConfig": config}


def direct_build() -> list[dict]:
    run = subprocess.run([sys.executable, "-m", "aimc", "build", "examples/cluster.yaml",
                          "examples/endpoints/qwen3-32b.yaml"], capture_output=True, text=True, env=ENV, cwd=REPO)
    return [d for d in yaml.safe_load_all(run.stdout) if d]


@pytest.mark.e2e
def test_transformer_compiles_endpoints_and_passes_other_items_through():
    config_map = annotated({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}, "cm.yaml", 0)
    items = [annotated(CLUSTER, "cluster.yaml"), annotated(QWEN, "qwen.yaml"), config_map]
    code, output, stderr = krm(resource_list(items))
    assert code == 0, stderr
    assert output["kind"] == "ResourceList" and "results" not in output
    assert config_map in output["items"]  # untouched, annotations and all (the orchestrator tracks it by them)
    rendered = [o for o in output["items"] if o is not None and o != config_map]
    assert rendered == direct_build()  # no tracking annotation leaks from the endpoint into what aimc renders


@pytest.mark.e2e
def test_generator_reads_paths_and_does_not_echo_its_own_config(tmp_path):
    config = {**FUNCTION_CONFIG, "paths": ["examples/endpoints/qwen3-32b.yaml"], "inventory": "examples/cluster.yaml"}
    code, output, stderr = krm(resource_list([annotated(config, "aimc.yaml")], config), as_json=True)
    assert code == 0, stderr
    assert output["items"] == direct_build()


@pytest.mark.e2e
def test_config_map_function_config_is_accepted():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aimc"},
              "data": {"paths": "examples/endpoints/qwen3-32b.yaml", "inventory": "examples/cluster.yaml",
                       "strict": "true"}}
    code, output, stderr = krm(resource_list([config], config))
    assert code == 0, stderr
    assert output["items"] == direct_build()


@pytest.mark.e2e
def test_errors_are_results_with_severity_resource_field_and_file_and_exit_1():
    broken = {**QWEN, "spec": {**QWEN["spec"], "gpuCount": 0}}
    items = [annotated(CLUSTER, "cluster.yaml"), annotated(broken, "endpoints/qwen.yaml", 1)]
    code, output, stderr = krm(resource_list(items))
    assert code == 1
    errors = [r for r in output["results"] if r["severity"] == "error"]
    assert errors and errors[0]["resourceRef"] == {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMEndpoint",
                                                   "name": "qwen3-32b"}
    assert errors[0]["field"] == {"path": "spec.gpuCount"}
    assert errors[0]["file"] == {"path": "endpoints/qwen.yaml", "index": 1}
    assert "AIMEndpoint/qwen3-32b" in stderr and "spec.gpuCount" in stderr


@pytest.mark.e2e
def test_warnings_are_results_and_do_not_fail():
    # The seed's flag aliases (--max-batch-size): a warning. examples/ uses the engines' own names.
    tuned = yaml.safe_load((REPO / "tests/cases/seed-flag-aliases/inputs/endpoints/qwen3-32b-tuned.yaml").read_text())
    code, output, stderr = krm(resource_list([annotated(CLUSTER, "c.yaml"), annotated(tuned, "t.yaml")]))
    assert code == 0, stderr
    warnings = [r for r in output["results"] if r["severity"] == "warning"]
    assert warnings and warnings[0]["resourceRef"]["name"] == "qwen3-32b-tuned"
    assert warnings[0]["field"]["path"].startswith("spec.customArgs")


@pytest.mark.e2e
def test_not_a_resource_list_is_an_error():
    run = subprocess.run([sys.executable, "-m", "aimc", "krm"], input="kind: Pod\n", capture_output=True, text=True,
                         env=ENV, cwd=REPO)
    assert run.returncode == 1 and "expected one ResourceList" in run.stderr
    assert yaml.safe_load(run.stdout)["results"][0]["severity"] == "error"


@pytest.mark.e2e
def test_an_error_names_the_file_kpt_tracks_with_the_line_in_it(tmp_path):
    """kpt's path and index annotations name the real file (relative to the package, the function's working
    directory): the error names it with the line of the field in that document, not a line of the ResourceList."""
    broken = (REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text().replace("gpuCount: 4", "gpuCount: 0")
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n---\n" + broken
    (tmp_path / "endpoints").mkdir()
    (tmp_path / "endpoints" / "qwen.yaml").write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "gpuCount: 0" in row)
    items = [annotated(CLUSTER, "cluster.yaml"), annotated(yaml.safe_load(broken), "endpoints/qwen.yaml", 1)]
    code, output, stderr = krm(resource_list(items), cwd=tmp_path)
    assert code == 1
    error = next(r for r in output["results"] if r["severity"] == "error")
    assert error["resourceRef"]["name"] == "qwen3-32b" and error["file"] == {"path": "endpoints/qwen.yaml", "index": 1}
    assert error["tags"] == {"line": str(line)}
    assert f"aimc krm: error: endpoints/qwen.yaml:{line}: spec.gpuCount: 0 is less than the minimum of 1" in stderr


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt not installed")
def test_through_kpt_the_error_names_the_package_file_and_line(tmp_path):
    broken = (REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text().replace("gpuCount: 4", "gpuCount: 0")
    package = write_tree(tmp_path / "package", {"cluster.yaml": (REPO / "examples" / "cluster.yaml").read_text(),
                                                "endpoints/qwen.yaml": broken})
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if "gpuCount: 0" in row)
    run = subprocess.run(["kpt", "fn", "eval", ".", "--exec", f"{sys.executable} -m aimc krm"], cwd=package, env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert f"endpoints/qwen.yaml:{line}: spec.gpuCount: 0 is less than the minimum of 1" in output, output


def _pyyaml(resource_list) -> str:
    from aimc.emit.scalars import SafeDumper

    return yaml.dump(resource_list, Dumper=SafeDumper, sort_keys=False, default_flow_style=False, width=1 << 30)


@pytest.mark.parametrize("value", ["plain", "true", "0o17", "é", "a\u2028b", "tab\there", "back\\slash", "two\nlines",
                                   "", " lead", "\U0001f600", "x" * 300, "\x85", "\xa0", "\u2029", "\x07", "\ufeff",
                                   "\\u00e9", "a\\xb"])
def test_the_yaml_output_is_pyyamls_byte_for_byte(value):
    """Issue 24: `dump` lays the ResourceList out with aimc's writer, which writes what PyYAML writes with
    allow_unicode; the function's output has always been PyYAML's without it, so non-ASCII text still goes to PyYAML."""
    from aimc.adapters import krm as krm_adapter

    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}},
              "data": {"value": value, "n": 1, "f": 1.5, "b": True, "none": None, "list": [value, {"k": value}]}}]
    resource_list = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    assert krm_adapter.dump(resource_list, as_json=False) == _pyyaml(resource_list)


def test_an_ascii_resource_list_is_written_without_pyyamls_dumper(monkeypatch):
    from aimc.adapters import krm as krm_adapter
    from aimc.emit.output import plain

    output, _, _ = krm_adapter.run(yaml.safe_dump(resource_list([annotated(CLUSTER, "cluster.yaml"), annotated(QWEN, "qwen.yaml")])))
    expected = _pyyaml(plain(output))  # the rendered items are read-only objects, which only aimc's writers read

    real_dump = yaml.dump

    def refuse_whole_lists(data, *args, **kwargs):  # aimc's writer still asks PyYAML how to write single scalars
        assert not isinstance(data, dict), "PyYAML's dumper wrote the ResourceList"
        return real_dump(data, *args, **kwargs)

    monkeypatch.setattr(yaml, "dump", refuse_whole_lists)
    assert krm_adapter.dump(output, as_json=False) == expected
