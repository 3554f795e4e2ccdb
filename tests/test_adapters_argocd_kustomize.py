"""Argo CD on a Kustomize overlay: `aimc argocd generate` in overlays/prod runs the real `kubectl kustomize` first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO
from test_adapters_argocd import git_repository, plugin_command, run_like_cmp_server

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize)")]


def overlays_repository(root, edit=None):
    files = {f"overlays/{p.relative_to(REPO / 'overlays').as_posix()}": p.read_text()
             for p in sorted((REPO / "overlays").rglob("*.yaml"))}
    if edit:
        edit(files)
    return git_repository(root, files)


def _objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_overlay_application_runs_kustomize_and_compiles_its_output(tmp_path):
    repository = overlays_repository(tmp_path / "origin")
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {"AIMC_STRICT": "true"})
    assert run.returncode == 0, run.stderr
    piped = subprocess.run(["kubectl", "kustomize", str(repository / "overlays/prod")], capture_output=True, text=True,
                           check=True).stdout
    direct = subprocess.run([sys.executable, "-m", "aimc", "build", "-"], input=piped, capture_output=True, text=True,
                            cwd=REPO)
    assert direct.returncode == 0, direct.stderr
    assert _objects(run.stdout) == _objects(direct.stdout)
    kinds = {o["kind"] for o in _objects(run.stdout)}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler"} <= kinds


def test_overlay_errors_name_the_base_file_and_line(tmp_path):
    """With originAnnotations, a problem in a patched endpoint names the base file and the field's line there."""
    def edit(files):
        files["overlays/base/endpoints.yaml"] = files["overlays/base/endpoints.yaml"].replace("gpuCount: 4",
                                                                                                "gpuCount: 3")
        files["overlays/prod/kustomization.yaml"] += "buildMetadata: [originAnnotations]\n"

    repository = overlays_repository(tmp_path / "origin", edit)
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {})
    assert run.returncode == 1 and run.stdout == ""
    line = next(n for n, text in enumerate((repository / "overlays/base/endpoints.yaml").read_text().splitlines(), 1)
                if "gpuCount: 3" in text)
    assert f"../base/endpoints.yaml:{line}: spec.gpuCount: no recipe serves Qwen/Qwen3-32B" in run.stderr


def test_aimc_paths_still_choose_the_inputs(tmp_path):
    """AIMC_PATHS set: the folders named are the inputs, Kustomize is not run (here: only the inventory)."""
    repository = overlays_repository(tmp_path / "origin")
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {"AIMC_PATHS": "inventory.yaml"})
    assert run.returncode == 1 and "no AIMEndpoint and no Kubernetes object found" in run.stderr


def test_without_kustomize_the_error_says_what_to_do(tmp_path):
    repository = overlays_repository(tmp_path / "origin")
    bin_dir = tmp_path / "bin"  # a PATH with Python only: no kubectl, no kustomize
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python3")
    command = plugin_command()
    command = [sys.executable, "-m", "aimc", *command[command.index("argocd") if "argocd" in command else 1:]]
    run = subprocess.run(command, cwd=repository / "overlays/prod", capture_output=True, text=True, timeout=60,
                         env={"PATH": str(bin_dir), "PYTHONPATH": str(REPO), "ARGOCD_APP_SOURCE_PATH": "overlays/prod"})
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("kustomization.yaml: the application's folder is a Kustomize overlay and aimc runs "
                                 "Kustomize first, but neither `kustomize` nor `kubectl` is on PATH: use the sidecar "
                                 "image of plugin/Dockerfile (it carries kustomize), or set AIMC_PATHS"), run.stderr


def test_plugin_overlay_says_how_to_point_the_application(tmp_path):
    repository = overlays_repository(tmp_path / "origin")
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod-plugin", {})
    assert run.returncode == 1 and run.stdout == ""
    assert "external plugin" in run.stderr and "point the aimc plugin's application at the overlay it wraps" in run.stderr
    # A KRM function runs only with --enable-exec too (kustomize v5.5.0 kyaml/runfn/runfn.go): the advice says so.
    assert "--enable-alpha-plugins --enable-exec (KRM function" in run.stderr


def test_sidecar_image_carries_kustomize():
    dockerfile = (REPO / "plugin" / "Dockerfile").read_text()
    assert "/usr/local/bin/kustomize" in dockerfile and "kustomize version" in dockerfile


# -- Kustomize loads only the repository's files ------------------------------------------------------------------

OUTSIDE_KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n"
OUTSIDE_OBJECT = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-outside}\ndata: {secret: stolen}\n"


def _outside(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(OUTSIDE_KUSTOMIZATION)
    (folder / "cm.yaml").write_text(OUTSIDE_OBJECT)
    return folder


def _with_resource(reference: str):
    def edit(files):
        files["overlays/prod/kustomization.yaml"] = files["overlays/prod/kustomization.yaml"].replace(
            "  - inventory.yaml\n", f"  - inventory.yaml\n  - {reference}\n")
    return edit


def _line_of(repository, text: str) -> int:
    lines = (repository / "overlays/prod/kustomization.yaml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_a_base_above_the_repository_is_refused_though_kustomize_would_load_it(tmp_path):
    repository = overlays_repository(tmp_path / "origin", _with_resource("../../../outside"))
    _outside(tmp_path / "cmp-server" / "outside")  # beside the unpacked repository, as ../../../outside reaches it
    unpacked = tmp_path / "kustomize-alone" / "repo-1234"
    shutil.copytree(repository, unpacked)
    _outside(tmp_path / "kustomize-alone" / "outside")
    alone = subprocess.run(["kubectl", "kustomize", str(unpacked / "overlays/prod")], capture_output=True, text=True)
    assert alone.returncode == 0 and "from-outside" in alone.stdout, "Kustomize alone loads it"
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {})
    assert run.returncode == 1 and run.stdout == "", run.stderr
    line = _line_of(repository, "../../../outside")
    assert (f"kustomization.yaml:{line}: resources[2]: '../../../outside' leads out of the repository: aimc reads "
            "nothing outside the repository") in run.stderr


def test_a_symlinked_folder_leading_out_of_the_repository_is_refused(tmp_path):
    outside = _outside(tmp_path / "elsewhere")
    repository = overlays_repository(tmp_path / "origin", _with_resource("../linked"))
    os.symlink(outside, repository / "overlays" / "linked")
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {})
    assert run.returncode == 1 and run.stdout == "", run.stderr
    line = _line_of(repository, "../linked")
    assert (f"kustomization.yaml:{line}: resources[2]: '../linked' resolves (through a symbolic link) outside the "
            "repository") in run.stderr


@pytest.mark.parametrize("reference", [
    "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0",
    "github.com/kubernetes-sigs/kustomize/examples/helloWorld?ref=v5.0.0",
    "git@github.com:kubernetes-sigs/kustomize.git//examples/helloWorld",
    "https://example.com/manifests/deployment.yaml"])
def test_remote_bases_are_refused_before_kustomize_runs(tmp_path, reference):
    repository = overlays_repository(tmp_path / "origin", _with_resource(reference))
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {})
    assert run.returncode == 1 and run.stdout == "", run.stderr
    line = _line_of(repository, reference)
    assert (f"kustomization.yaml:{line}: resources[2]: '{reference}' is a remote reference (Kustomize would fetch it "
            "over the network)") in run.stderr


def test_remote_helm_charts_and_files_of_a_base_outside_are_refused(tmp_path):
    def edit(files):
        files["overlays/base/kustomization.yaml"] += (
            "helmCharts:\n- name: x\n  repo: https://charts.example.com\n  version: 1.0.0\n"
            "configMapGenerator:\n- name: leak\n  files: [passwd=../../../../../../etc/passwd]\n")

    repository = overlays_repository(tmp_path / "origin", edit)
    run = run_like_cmp_server(repository, tmp_path, "overlays/prod", {})
    assert run.returncode == 1 and run.stdout == "", run.stderr
    text = (repository / "overlays/base/kustomization.yaml").read_text().splitlines()
    repo_line = next(n for n, line in enumerate(text, 1) if "repo: https" in line)
    files_line = next(n for n, line in enumerate(text, 1) if "files: [passwd" in line)
    assert f"../base/kustomization.yaml:{repo_line}: helmCharts[0].repo: 'https://charts.example.com' is a remote" \
        in run.stderr
    assert f"../base/kustomization.yaml:{files_line}: configMapGenerator[0].files[0]: '../../../../../../etc/passwd'" \
        in run.stderr
