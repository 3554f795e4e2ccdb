"""The Kustomize exec plugin (through the real `kubectl kustomize --enable-alpha-plugins`) and the overlays: the plugin
path, the pipe path (`kubectl kustomize overlays/prod | aimc build -`) and `aimc build` of the same patched specs
give identical objects."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, write_tree

from aimc.adapters import kustomize

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}  # the launcher runs `python -m aimc`: test this checkout


def objects(text: str) -> list[dict]:
    found = [d for d in yaml.safe_load_all(text) if d]
    return sorted(found, key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))


@pytest.fixture(scope="module")
def plugin_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("kustomize-plugins")
    run = subprocess.run([sys.executable, "-m", "aimc", "kustomize", "install-plugin", "--dir", str(home)],
                         capture_output=True, text=True, env=ENV)
    assert run.returncode == 0, run.stderr
    return home


def kubectl_kustomize(folder: Path, plugin_home: Path | None = None) -> subprocess.CompletedProcess:
    command = ["kubectl", "kustomize", str(folder)]
    env = dict(ENV)
    if plugin_home is not None:
        command.append("--enable-alpha-plugins")
        env["KUSTOMIZE_PLUGIN_HOME"] = str(plugin_home)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def aimc_build(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aimc", "build", *args], input=stdin, capture_output=True, text=True,
                          env=ENV, cwd=REPO)


# -- the installer ----------------------------------------------------------------------------------------

def test_install_plugin_writes_an_executable_launcher_where_kustomize_looks(tmp_path):
    target = kustomize.install(tmp_path, python="/opt/py/bin/python3")
    assert target == tmp_path / "aimc.amd.com" / "v1" / "aimccompiler" / "AimcCompiler"
    assert os.access(target, os.X_OK)
    assert target.read_text().splitlines()[-1] == 'exec /opt/py/bin/python3 -m aimc kustomize plugin "$@"'


def test_default_plugin_home_follows_kustomize():
    assert kustomize.default_plugin_home({"KUSTOMIZE_PLUGIN_HOME": "/p"}) == Path("/p")
    assert kustomize.default_plugin_home({"XDG_CONFIG_HOME": "/x"}) == Path("/x/kustomize/plugin")


def test_install_plugin_command_defaults_to_kustomize_plugin_home(tmp_path, aimc, monkeypatch):
    monkeypatch.setenv("KUSTOMIZE_PLUGIN_HOME", str(tmp_path))
    result = aimc("kustomize", "install-plugin")
    assert result.code == 0 and (tmp_path / kustomize.RELATIVE_PATH).is_file()


# -- the overlays: three paths, one result ----------------------------------------------------------------

@needs_kubectl
@pytest.mark.e2e
@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_plugin_path_pipe_path_and_build_give_identical_objects(environment, plugin_home, tmp_path):
    patched = kubectl_kustomize(REPO / "overlays" / environment)
    assert patched.returncode == 0, patched.stderr
    piped = aimc_build("-", "--strict", stdin=patched.stdout)
    assert piped.returncode == 0, piped.stderr
    (tmp_path / "specs.yaml").write_text(patched.stdout)
    built = aimc_build(str(tmp_path / "specs.yaml"), "--strict")
    assert built.returncode == 0, built.stderr
    plugin = kubectl_kustomize(REPO / "overlays" / f"{environment}-plugin", plugin_home)
    assert plugin.returncode == 0, plugin.stderr
    assert objects(plugin.stdout) == objects(piped.stdout) == objects(built.stdout)
    assert {o["kind"] for o in objects(plugin.stdout)} >= {"Deployment", "Service"}
    assert "kustomize.config.k8s.io" not in plugin.stdout and "config.kubernetes.io" not in plugin.stdout


@needs_kubectl
@pytest.mark.e2e
def test_overlays_patch_what_each_environment_needs(plugin_home):
    dev = objects(kubectl_kustomize(REPO / "overlays" / "dev-plugin", plugin_home).stdout)
    prod_specs = objects(kubectl_kustomize(REPO / "overlays" / "prod").stdout)
    dev_deployments = [o for o in dev if o["kind"] == "Deployment"]
    assert len(dev_deployments) == 2
    for deployment in dev_deployments:
        assert deployment["spec"]["replicas"] == 1
        assert deployment["metadata"]["annotations"]["aim.engine.amd.com/node-pool"] == "mi250"
        assert deployment["metadata"]["namespace"] == "inference-dev"
    endpoints = [o for o in prod_specs if o["kind"] == "AIMEndpoint"]
    assert {e["spec"]["hardware"] for e in endpoints} == {"MI300X"}
    assert all(e["spec"]["autoScaling"] == {"enabled": True, "minReplicas": 2, "maxReplicas": 4} for e in endpoints)


def test_plain_overlays_need_no_plugin():
    """The pipe path must keep working with plain `kubectl kustomize` (no plugin flags)."""
    for environment in ("dev", "prod"):
        text = (REPO / "overlays" / environment / "kustomization.yaml").read_text()
        assert "transformers" not in text and "generators" not in text


# -- transformer and generator in temporary kustomizations ------------------------------------------------

CLUSTER = (REPO / "examples" / "cluster.yaml").read_text()
# Without the gateway: per-gateway objects (the body-based router) would be rendered by both passes of a two-pass
# transformer (README, Routing).
CLUSTER_NO_GATEWAY = re.sub(r"\n  gateway:\n(    .*\n)+", "\n", CLUSTER)
QWEN = (REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text()
CONFIG = "apiVersion: aimc.amd.com/v1\nkind: AimcCompiler\nmetadata:\n  name: aimc\n"


@needs_kubectl
@pytest.mark.e2e
def test_transformer_passes_other_objects_through_and_keeps_earlier_aimc_output(plugin_home, tmp_path):
    # base is compiled by the plugin; the overlay adds an endpoint and compiles again: the base's rendered objects
    # (labelled managed-by: aimc) must survive the second pass.
    write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [cluster.yaml, qwen.yaml, config.yaml]\ntransformers: [aimc.yaml]\n",
        "base/cluster.yaml": CLUSTER_NO_GATEWAY, "base/qwen.yaml": QWEN, "base/aimc.yaml": CONFIG,
        "base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: inference\n"
                            "  annotations: {note: kept}\ndata: {a: b}\n",
        "overlay/kustomization.yaml": "resources: [../base, cluster.yaml, llama.yaml]\ntransformers: [aimc.yaml]\n",
        "overlay/cluster.yaml": CLUSTER_NO_GATEWAY, "overlay/aimc.yaml": CONFIG,
        "overlay/llama.yaml": (REPO / "examples" / "endpoints" / "llama-3-8b.yaml").read_text(),
    })
    run = kubectl_kustomize(tmp_path / "overlay", plugin_home)
    assert run.returncode == 0, run.stderr
    found = {(o["kind"], o["metadata"]["name"]): o for o in objects(run.stdout)}
    assert {("Deployment", "qwen3-32b-vllm"), ("Deployment", "llama-3-8b-vllm"), ("ConfigMap", "extra")} <= set(found)
    assert found[("ConfigMap", "extra")]["metadata"]["annotations"] == {"note": "kept"}
    assert "AIMEndpoint" not in {kind for kind, _ in found} and "ClusterInventory" not in {kind for kind, _ in found}


@needs_kubectl
@pytest.mark.e2e
def test_generator_compiles_paths_relative_to_the_kustomization(plugin_home, tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "specs")
    write_tree(tmp_path, {
        "app/kustomization.yaml": "generators: [aimc.yaml]\ncommonAnnotations: {owner: platform}\n",
        "app/aimc.yaml": CONFIG + "paths: [../specs/endpoints]\ninventory: ../specs/cluster.yaml\n",
    })
    run = kubectl_kustomize(tmp_path / "app", plugin_home)
    assert run.returncode == 0, run.stderr
    generated = objects(run.stdout)
    direct = objects(aimc_build("examples").stdout)
    for obj in direct:
        obj["metadata"].setdefault("annotations", {})["owner"] = "platform"
    assert [(o["kind"], o["metadata"]["name"]) for o in generated] == [(o["kind"], o["metadata"]["name"])
                                                                        for o in direct]
    assert generated[0]["metadata"]["annotations"]["owner"] == "platform"


@needs_kubectl
@pytest.mark.e2e
def test_an_error_fails_the_build_with_the_object_and_line(plugin_home, tmp_path):
    write_tree(tmp_path, {
        "kustomization.yaml": "resources: [cluster.yaml, qwen.yaml]\ntransformers: [aimc.yaml]\n",
        "cluster.yaml": CLUSTER, "aimc.yaml": CONFIG,
        "qwen.yaml": QWEN.replace("gpuCount: 4", "gpuCount: 0"),
    })
    run = kubectl_kustomize(tmp_path, plugin_home)
    assert run.returncode != 0 and run.stdout == ""
    assert "AIMEndpoint/qwen3-32b:" in run.stderr and "spec.gpuCount" in run.stderr


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


@needs_kubectl
@pytest.mark.e2e
def test_with_origin_annotations_an_error_names_the_endpoint_file_and_line(plugin_home, tmp_path):
    """`buildMetadata: [originAnnotations]` makes Kustomize tell the plugin each resource's file: the error names
    that file and the line in it, not the object."""
    broken = QWEN.replace("gpuCount: 4", "gpuCount: 0")
    write_tree(tmp_path, {
        "kustomization.yaml": "resources: [cluster.yaml, endpoints/qwen.yaml]\ntransformers: [aimc.yaml]\n"
                              "buildMetadata: [originAnnotations]\n",
        "cluster.yaml": CLUSTER, "aimc.yaml": CONFIG,
        # a second document before the endpoint: the line is found in the right one
        "endpoints/qwen.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n---\n" + broken,
    })
    run = kubectl_kustomize(tmp_path, plugin_home)
    assert run.returncode != 0 and run.stdout == ""
    line = _line_of((tmp_path / "endpoints/qwen.yaml").read_text(), "gpuCount: 0")
    assert f"endpoints/qwen.yaml:{line}: spec.gpuCount: 0 is less than the minimum of 1" in run.stderr
    assert "AIMEndpoint/qwen3-32b" not in run.stderr


@needs_kubectl
@pytest.mark.e2e
def test_an_overlay_patch_is_reported_at_the_base_file_line_it_changes(plugin_home, tmp_path):
    """An endpoint from a base above the overlay, renamed by namePrefix and broken by the overlay's patch: the error
    names the base's file (by its full path: it is outside the kustomization folder) and the line of the field."""
    write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [cluster.yaml, endpoints/qwen.yaml]\n",
        "base/cluster.yaml": CLUSTER, "base/endpoints/qwen.yaml": QWEN,
        "overlay/kustomization.yaml": "resources: [../base]\ntransformers: [aimc.yaml]\nnamePrefix: dev-\n"
                                      "buildMetadata: [originAnnotations]\npatches:\n"
                                      "- target: {kind: AIMEndpoint}\n  patch: |\n"
                                      "    - {op: replace, path: /spec/gpuCount, value: 0}\n",
        "overlay/aimc.yaml": CONFIG,
    })
    run = kubectl_kustomize(tmp_path / "overlay", plugin_home)
    assert run.returncode != 0 and run.stdout == ""
    source = tmp_path / "base" / "endpoints" / "qwen.yaml"
    line = _line_of(QWEN, "gpuCount: 4")
    assert f"{source}:{line}: spec.gpuCount: 0 is less than the minimum of 1" in run.stderr


@pytest.mark.e2e
def test_plugin_rejects_an_unknown_config_field(tmp_path):
    (tmp_path / "config.yaml").write_text(CONFIG + "inventroy: x.yaml\n")
    run = subprocess.run([sys.executable, "-m", "aimc", "kustomize", "plugin", str(tmp_path / "config.yaml")],
                         input="", capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert "AimcCompiler/aimc:5: inventroy: unknown field" in run.stderr


@pytest.mark.e2e
def test_plugin_refuses_to_output_an_empty_stream(tmp_path):
    (tmp_path / "config.yaml").write_text(CONFIG)
    run = subprocess.run([sys.executable, "-m", "aimc", "kustomize", "plugin", str(tmp_path / "config.yaml")],
                         input="", capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == "" and "empty stream" in run.stderr


def test_the_plugin_config_is_not_an_input_of_aimc_build(aimc):
    """`aimc build overlays/prod-plugin ...` must not pass the AimcCompiler config through as a cluster object."""
    from aimc.load.documents import classify

    assert classify(yaml.safe_load((REPO / "overlays" / "prod-plugin" / "aimc.yaml").read_text())) is None
    result = aimc("build", "overlays/base", "overlays/prod", "overlays/prod-plugin")
    assert result.code == 0, result.err
    assert "AimcCompiler" not in result.out and "kind: Kustomization" not in result.out
