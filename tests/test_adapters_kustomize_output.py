"""Which Kustomize builds run aimc's KRM function, with the real `kubectl kustomize` of this machine, and
`aimc kustomize check-output`, which refuses a build output that still holds aimc specs (the function was skipped)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from aimc.adapters import kustomize_output

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
FUNCTION_CONFIG = """apiVersion: aimc.amd.com/v1
kind: AimcCompiler
metadata:
  name: aimc
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./aimc-krm
"""


def _krm_kustomization(tmp_path: Path) -> Path:
    """overlays/prod with aimc as a KRM exec function (README, "Kustomize", way 3)."""
    folder = tmp_path / "prod-krm"
    shutil.copytree(REPO / "overlays", tmp_path / "overlays")
    folder.mkdir()
    (folder / "aimc-krm").write_text(f"#!/bin/sh\nexec {sys.executable} -m aimc krm\n")
    (folder / "aimc-krm").chmod(0o755)
    (folder / "aimc.yaml").write_text(FUNCTION_CONFIG)
    (folder / "kustomization.yaml").write_text("resources: [../overlays/prod]\ntransformers: [aimc.yaml]\n")
    return folder


def _check(text: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aimc", "kustomize", "check-output"], input=text,
                          capture_output=True, text=True, env=ENV, cwd=REPO)


@needs_kubectl
@pytest.mark.e2e
def test_kubectl_kustomize_skips_the_krm_function_silently_and_check_output_says_so(tmp_path):
    """kubectl has no --enable-exec (kubernetes/kubectl#1498): with --enable-alpha-plugins it builds the KRM
    function's kustomization with exit 0 and prints the specs unchanged (kustomize v5.5.0 kyaml/runfn/runfn.go skips
    an exec function without EnableExec)."""
    built = subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(_krm_kustomization(tmp_path))],
                           capture_output=True, text=True, env=ENV, timeout=120)
    assert built.returncode == 0, built.stderr  # the upstream fact: no error, no warning
    kinds = {d["kind"] for d in yaml.safe_load_all(built.stdout) if d}
    assert "AIMEndpoint" in kinds and "ClusterInventory" in kinds and "Deployment" not in kinds
    checked = _check(built.stdout)
    assert checked.returncode == 1 and checked.stdout == ""
    first = checked.stderr.splitlines()[0]
    assert first.startswith("<stdin>: 3 aimc specs left uncompiled (AIMEndpoint/")
    assert "`kubectl kustomize` never runs a KRM exec function (it has no --enable-exec)" in first
    assert "`kustomize build --enable-alpha-plugins --enable-exec`" in first


@needs_kubectl
@pytest.mark.e2e
def test_the_exec_plugin_runs_in_kubectl_and_its_output_passes_the_check(tmp_path):
    home = tmp_path / "plugins"
    subprocess.run([sys.executable, "-m", "aimc", "kustomize", "install-plugin", "--dir", str(home)], check=True,
                   capture_output=True, env=ENV)
    built = subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(REPO / "overlays" / "prod-plugin")],
                           capture_output=True, text=True, env={**ENV, "KUSTOMIZE_PLUGIN_HOME": str(home)}, timeout=120)
    assert built.returncode == 0, built.stderr
    checked = _check(built.stdout)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.startswith("aimc: ") and "no aimc spec left uncompiled" in checked.stderr


@pytest.mark.e2e
def test_check_output_names_the_specs_and_refuses_an_empty_output(tmp_path):
    endpoint = yaml.safe_load((REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text())
    plain = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    assert kustomize_output.uncompiled([plain, endpoint]) == ["AIMEndpoint/qwen3-32b"]
    assert kustomize_output.check([plain], "out.yaml") == []
    (problem,) = kustomize_output.check([], "out.yaml")
    assert problem.message == "the Kustomize output holds no object"
    (tmp_path / "out.yaml").write_text(yaml.safe_dump(endpoint))
    run = subprocess.run([sys.executable, "-m", "aimc", "kustomize", "check-output", str(tmp_path / "out.yaml")],
                         capture_output=True, text=True, env=ENV)
    assert run.returncode == 1 and f"{tmp_path / 'out.yaml'}: 1 aimc spec left uncompiled (AIMEndpoint/qwen3-32b)" \
        in run.stderr
