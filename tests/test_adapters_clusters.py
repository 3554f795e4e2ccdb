"""A repository of several clusters (tests/data/multi-cluster: clusters/dev, clusters/prod, shared endpoints/):
validate checks every cluster, build takes one, Argo CD one Application per cluster folder, CI one diff per cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, commit_all, git

MULTI = REPO / "tests" / "data" / "multi-cluster"


@pytest.fixture
def repo(tmp_path) -> Path:
    return Path(shutil.copytree(MULTI, tmp_path / "specs"))


def _objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_validate_checks_every_cluster(aimc, repo):
    run = aimc("validate", "--strict", cwd=repo)
    assert run.code == 0, run.err
    assert run.err == ("aimc: 2 clusters (clusters/dev: 2 endpoints, 4 objects; clusters/prod: 3 endpoints, "
                       "6 objects): valid\n")


def test_a_problem_of_one_cluster_names_it(aimc, repo):
    """FP8 exists on MI300X only: a shared FP8 endpoint fails the dev cluster, and the error says so."""
    (repo / "clusters/prod/endpoints/qwen3-32b-fp8.yaml").rename(repo / "endpoints/qwen3-32b-fp8.yaml")
    run = aimc("validate", "--strict", cwd=repo)
    assert run.code == 1
    first = run.err.splitlines()[0]
    assert first.startswith("endpoints/qwen3-32b-fp8.yaml:")
    assert first.endswith("(cluster clusters/dev)") and "clusters/prod" not in first


def test_a_problem_of_every_cluster_is_reported_once(aimc, repo):
    shared = repo / "endpoints/llama-3-8b.yaml"
    shared.write_text(shared.read_text().replace("precision: fp16", "precision: fp17"))
    run = aimc("validate", "--strict", cwd=repo)
    assert run.code == 1
    assert run.err.splitlines() == ["endpoints/llama-3-8b.yaml:7: spec.precision: 'fp17' is not valid "
                                    "(did you mean 'fp16'?); expected one of: fp16, bf16, fp8, int8, int4, fp4", "aimc: 1 error"]


def test_build_takes_one_cluster_and_says_how(aimc, repo):
    run = aimc("build", cwd=repo)
    assert run.code == 1 and "`aimc build clusters/dev endpoints`" in run.err
    dev = aimc("build", "clusters/dev", "endpoints", cwd=repo)
    assert dev.code == 0, dev.err
    assert {o["metadata"]["namespace"] for o in _objects(dev.out)} == {"inference-dev"}


def test_validate_with_explicit_cluster_folders(aimc, repo):
    run = aimc("validate", "clusters", "endpoints", cwd=repo)
    assert run.code == 0 and "2 clusters" in run.err


def test_one_cluster_repository_is_unchanged(aimc, repo):
    shutil.rmtree(repo / "clusters/dev")
    run = aimc("validate", cwd=repo)
    assert run.code == 0 and run.err == "aimc: 3 endpoints, 6 objects: valid\n"


@pytest.mark.e2e
def test_argo_cd_one_application_per_cluster_folder(repo):
    """Each cluster's Application: path clusters/<name>, AIMC_PATHS `. ../../endpoints` (README, "Several
    clusters"); the same objects as `aimc build clusters/<name> endpoints`."""
    git(repo, "init", "-q")
    for cluster in ("dev", "prod"):
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "ARGOCD_APP_SOURCE_PATH":
               f"clusters/{cluster}", "ARGOCD_ENV_AIMC_PATHS": ". ../../endpoints", "ARGOCD_ENV_AIMC_STRICT": "true"}
        plugin = subprocess.run([sys.executable, "-m", "aimc", "argocd", "generate"], cwd=repo / "clusters" / cluster,
                                env=env, capture_output=True, text=True)
        assert plugin.returncode == 0, plugin.stderr
        direct = subprocess.run([sys.executable, "-m", "aimc", "build", f"clusters/{cluster}", "endpoints"], cwd=repo,
                                capture_output=True, text=True)
        assert _objects(plugin.stdout) == _objects(direct.stdout)


@pytest.mark.e2e
def test_the_example_application_follows_the_several_clusters_layout(repo):
    """plugin/application.yaml, followed as written on the README's layout (tests/data/multi-cluster): its path and
    settings find prod's inventory, its own endpoints and the shared ones — the objects of
    `aimc build clusters/prod endpoints`."""
    application = yaml.safe_load((REPO / "plugin" / "application.yaml").read_text())
    source = application["spec"]["source"]
    git(repo, "init", "-q")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "ARGOCD_APP_SOURCE_PATH": source["path"],
           "ARGOCD_APP_NAMESPACE": application["spec"]["destination"]["namespace"],
           **{f"ARGOCD_ENV_{e['name']}": e["value"] for e in source["plugin"]["env"]}}
    plugin = subprocess.run([sys.executable, "-m", "aimc", "argocd", "generate"], cwd=repo / source["path"], env=env,
                            capture_output=True, text=True)
    assert plugin.returncode == 0, plugin.stderr
    direct = subprocess.run([sys.executable, "-m", "aimc", "build", source["path"], "endpoints"], cwd=repo,
                            capture_output=True, text=True)
    assert direct.returncode == 0, direct.stderr
    assert _objects(plugin.stdout) == _objects(direct.stdout)
    assert {o["metadata"]["labels"]["aim.engine.amd.com/endpoint"] for o in _objects(plugin.stdout)
            if o["kind"] == "Deployment"} == {"qwen3-32b", "llama-3-8b", "qwen3-32b-fp8"}


def _workflow_step(name_start: str) -> dict:
    workflow = yaml.safe_load((REPO / "examples/.github/workflows/aimc-diff.yaml").read_text())
    return next(s for s in workflow["jobs"]["diff"]["steps"] if s.get("name", "").startswith(name_start))


@pytest.mark.e2e
def test_ci_workflow_diffs_each_cluster(repo):
    """The example workflow's diff step, run by bash as GitHub runs it, on a change of a shared endpoint."""
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "specs")
    shared = repo / "endpoints/qwen3-32b.yaml"
    shared.write_text(shared.read_text().replace("gpuCount: 2", "gpuCount: 4"))
    commit_all(repo, "more GPUs")
    step = _workflow_step("Render both sides")
    bin_dir = repo.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "aimc").write_text(f"#!/bin/sh\nexec {sys.executable} -m aimc \"$@\"\n")
    (bin_dir / "aimc").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO), "BASE": "HEAD~1",
           "CLUSTERS": "clusters/dev clusters/prod", "SHARED": "endpoints", "HOME": str(repo.parent)}
    run = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    comment = (repo / "aimc-diff.md").read_text()
    assert comment.startswith("<!-- aimc-diff -->\n")
    assert "## clusters/dev" in comment and "## clusters/prod" in comment
    assert "inference-dev/qwen3-32b-vllm" in comment and "inference/qwen3-32b-vllm" in comment


def test_ci_workflow_installs_aimc_from_git_not_an_index():
    """aimc is not on PyPI: `pip install aimc==0.1.0` fails. The workflow installs a pinned Git commit."""
    workflow = yaml.safe_load((REPO / "examples/.github/workflows/aimc-diff.yaml").read_text())
    assert _workflow_step("Install aimc")["run"] == 'python -m pip install "$AIMC_SOURCE"'
    assert workflow["env"]["AIMC_SOURCE"].startswith("git+https://") and "@" in workflow["env"]["AIMC_SOURCE"]


@pytest.mark.e2e
def test_pip_installs_aimc_from_a_git_commit(tmp_path):
    """The form of AIMC_SOURCE (git+URL@commit) works with pip: here with a local clone of this repository."""
    clone = tmp_path / "aimc"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    sha = git(clone, "rev-parse", "HEAD")
    run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "-q", "-d",
                          str(tmp_path / "dl"), f"git+file://{clone}@{sha}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "dl").glob("aimc*"))


def test_application_set_gives_each_cluster_folder_its_application():
    """plugin/applicationset.yaml: a git directory generator over clusters/*, the aimc plugin, the settings the
    Argo CD test above uses."""
    from aimc.adapters import argocd

    appset = yaml.safe_load((REPO / "plugin/applicationset.yaml").read_text())
    assert appset["spec"]["generators"][0]["git"]["directories"] == [{"path": "clusters/*"}]
    source = appset["spec"]["template"]["spec"]["source"]
    assert source["path"] == "{{.path.path}}" and source["plugin"]["name"] == "aimc-v1.0"
    env = {f"ARGOCD_ENV_{e['name']}": e["value"] for e in source["plugin"]["env"]}
    assert env["ARGOCD_ENV_AIMC_PATHS"] == ". ../../endpoints"
    assert argocd.settings_from_env(env).paths == (".", "../../endpoints")


def test_finding_the_clusters_parses_only_files_that_name_an_inventory(repo, monkeypatch):
    """Issue 24: validate compiles every cluster anyway; looking for the clusters first parses only the files whose
    text names the kind (or holds a backslash, which may be an escape that spells it)."""
    from aimc import pipeline
    from aimc.adapters import clusters
    from aimc.load import documents

    (repo / "endpoints" / "escaped.yaml").write_text('kind: "Cluster\\x49nventory"\n')
    parsed = []
    real = documents.load_file
    monkeypatch.setattr(documents, "load_file", lambda f, *a, **k: parsed.append(f.path) or real(f, *a, **k))
    found = clusters.split(pipeline.Options(paths=(str(repo),)))
    assert [c.folder.rsplit("/", 2)[-2:] for c in found] == [["clusters", "dev"], ["clusters", "prod"]]
    names = sorted(p.rsplit("/", 1)[-1] for p in parsed)
    assert names == ["cluster.yaml", "cluster.yaml", "escaped.yaml"], names
