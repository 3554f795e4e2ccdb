"""pre-commit: the hook definitions, the rendered-folder check, and the hooks run by the real `pre-commit try-repo`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ENV, REPO, commit_all, git, write_tree

from aimc.adapters import precommit

CLUSTER = (REPO / "examples/cluster.yaml").read_text()
ENDPOINT = (REPO / "examples/endpoints/qwen3-32b.yaml").read_text()
LLAMA = (REPO / "examples/endpoints/llama-3-8b.yaml").read_text()
# Twice the GPUs per replica, and fewer replicas so that the example cluster still has room for them.
MORE_GPUS = ENDPOINT.replace("gpuCount: 4", "gpuCount: 8").replace("maxReplicas: 3", "maxReplicas: 2")


def _hooks() -> dict:
    return {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def test_hook_manifest_is_valid_for_pre_commit_itself():
    clientlib = pytest.importorskip("pre_commit.clientlib")
    manifest = clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))  # raises on an invalid manifest
    assert [hook["id"] for hook in manifest] == ["aimc-validate", "aimc-rendered-up-to-date"]


def test_hook_definitions_check_the_whole_repository_on_yaml_changes():
    hooks = _hooks()
    assert set(hooks) >= {"aimc-validate", "aimc-rendered-up-to-date"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(hook["files"], "deploy/endpoints/a.yaml") and re.search(hook["files"], "b.yml")
        assert not re.search(hook["files"], "README.md")
    assert hooks["aimc-validate"]["entry"].split() == ["aimc", "validate", "--strict"]
    assert hooks["aimc-rendered-up-to-date"]["entry"].split()[:3] == ["aimc", "precommit", "rendered"]


# -- the rendered-folder check, in-process ------------------------------------------------------------------

@pytest.fixture
def specs(tmp_path):
    return write_tree(tmp_path / "repo", {"cluster.yaml": CLUSTER, "endpoints/qwen.yaml": ENDPOINT,
                                          "endpoints/llama.yaml": LLAMA})


def test_fresh_render_is_up_to_date(aimc, specs):
    assert aimc("build", ".", "-o", "rendered", cwd=specs).code == 0
    result = aimc("precommit", "rendered", "--rendered", "rendered", cwd=specs)
    assert result.code == 0 and result.err == ""


def test_stale_missing_and_extra_files_are_named(aimc, specs):
    assert aimc("build", ".", "-o", "rendered", cwd=specs).code == 0
    (specs / "endpoints/qwen.yaml").write_text(MORE_GPUS)
    (specs / "endpoints/llama.yaml").unlink()
    (specs / "endpoints/llama2.yaml").write_text(LLAMA.replace("name: llama-3-8b", "name: llama-b"))
    (specs / "rendered/notes.yaml").write_text("# hand-written, not ours\n")
    result = aimc("precommit", "rendered", "--rendered", "rendered", cwd=specs)
    assert result.code == 1
    lines = result.err.splitlines()
    assert "rendered/inference/deployment-qwen3-32b-vllm.yaml: stale: differs from what the specs render to" in lines
    assert "rendered/inference/deployment-llama-b-vllm.yaml: missing: rendered from the specs but not committed" in lines
    assert ("rendered/inference/deployment-llama-3-8b-vllm.yaml: extra: generated earlier, no longer rendered from "
            "the specs") in lines
    assert not any("notes.yaml" in line for line in lines)
    assert lines[-1].startswith("aimc: rendered is out of date with the specs: run `aimc build . -o rendered`")


def test_fix_rewrites_the_folder_and_still_fails_once(aimc, specs):
    (specs / "rendered").mkdir()
    first = aimc("precommit", "rendered", "--rendered", "rendered", "--fix", cwd=specs)
    assert first.code == 1 and "rewrote rendered" in first.err
    assert (specs / "rendered/inference/service-qwen3-32b.yaml").is_file()
    assert aimc("precommit", "rendered", "--rendered", "rendered", cwd=specs).code == 0


def test_check_is_pure_comparison_with_what_build_writes(specs, monkeypatch):
    from aimc import pipeline

    monkeypatch.chdir(specs)
    objects = list(pipeline.compile(pipeline.Options(paths=(".",))).objects)
    check = precommit.check_rendered(objects, "nowhere")
    assert check.missing and not check.stale and not check.extra and not check.up_to_date
    assert not Path("nowhere").exists()


def test_invalid_specs_fail_the_rendered_hook_with_file_and_line(aimc, specs):
    (specs / "endpoints/qwen.yaml").write_text(ENDPOINT.replace("gpuCount: 4", "gpuCount: 0"))
    result = aimc("precommit", "rendered", "--rendered", "rendered", cwd=specs)
    assert result.code == 1 and "endpoints/qwen.yaml:12: spec.gpuCount:" in result.err


# -- the real pre-commit ------------------------------------------------------------------------------------

def _pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if not found:
        pytest.skip("pre-commit is not installed")
    return [found]


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> Path:
    """A committed copy of this repository as it is now (tracked and new files, not ignored ones): try-repo installs
    the hook repository from a commit, so uncommitted work would otherwise not be tested."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    copy = tmp_path_factory.mktemp("hook-repo")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / rel)
    git(copy, "init", "-q")
    commit_all(copy, "aimc as under test")
    return copy


@pytest.fixture(scope="session")
def try_repo_runs(hook_repo, tmp_path_factory) -> dict:
    """The real `pre-commit try-repo`, in two target repositories at once. try-repo builds the hook's virtualenv
    (pip install of aimc and its dependencies, kubernetes being the slow one) in a fresh store every time — it ignores
    PRE_COMMIT_HOME — so the scenarios run concurrently, once per session, and the tests below read the results:
    - "stale": valid specs and a committed render made before the last spec change; every hook runs;
    - "invalid": a spec with an invalid field; only aimc-validate runs;
    - "clusters": tests/data/multi-cluster (clusters/dev, clusters/prod, shared endpoints/); aimc-validate."""
    stale = _target(tmp_path_factory.mktemp("stale"))
    (stale / "endpoints/qwen.yaml").write_text(MORE_GPUS)
    commit_all(stale, "more GPUs, render forgotten")
    invalid = _target(tmp_path_factory.mktemp("invalid"))
    (invalid / "endpoints/qwen.yaml").write_text(ENDPOINT.replace("precision: bf16", "precision: bf17"))
    commit_all(invalid, "typo")
    clusters = tmp_path_factory.mktemp("clusters") / "specs"  # several clusters: every one is validated
    shutil.copytree(REPO / "tests/data/multi-cluster", clusters)
    git(clusters, "init", "-q")
    commit_all(clusters, "two clusters, shared endpoints")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
           "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hooks must run the aimc that pre-commit installed, not this checkout
    started = time.monotonic()
    processes = {
        "stale": subprocess.Popen([*_pre_commit(), "try-repo", str(hook_repo), "--all-files", "--color", "never"],
                                  cwd=stale, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env),
        "invalid": subprocess.Popen([*_pre_commit(), "try-repo", str(hook_repo), "aimc-validate", "--all-files",
                                     "--color", "never"],
                                    cwd=invalid, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env),
        "clusters": subprocess.Popen([*_pre_commit(), "try-repo", str(hook_repo), "aimc-validate", "--all-files",
                                      "--color", "never", "--verbose"],
                                     cwd=clusters, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env),
    }
    results = {}
    for name, process in processes.items():
        output, _ = process.communicate(timeout=900)
        results[name] = (process.returncode, output)
    print(f"\npre-commit try-repo, both scenarios: {time.monotonic() - started:.0f}s")  # visible with -s
    return results


# The try-repo tests share one worker under pytest-xdist (`--dist loadgroup`): each worker has its own session, and
# try_repo_runs on a second one would install the hooks' virtualenvs again (~50 s of CPU).
TRY_REPO_WORKER = pytest.mark.xdist_group("pre-commit-try-repo")


def _target(root: Path) -> Path:
    """A repository of valid specs with a render folder committed by `aimc build . -o rendered`."""
    from aimc.cli import main

    repo = write_tree(root / "specs", {"cluster.yaml": CLUSTER, "endpoints/qwen.yaml": ENDPOINT,
                                       "endpoints/llama.yaml": LLAMA, "README.md": "specs\n"})
    git(repo, "init", "-q")
    cwd = os.getcwd()
    try:
        os.chdir(repo)
        assert main(["build", ".", "-o", "rendered"]) == 0
    finally:
        os.chdir(cwd)
    commit_all(repo, "specs and their render")
    return repo


@TRY_REPO_WORKER
@pytest.mark.e2e
def test_try_repo_validate_passes_on_valid_specs(try_repo_runs):
    code, output = try_repo_runs["stale"]
    assert re.search(r"aimc validate \(strict\)\.+Passed", output), output


@TRY_REPO_WORKER
@pytest.mark.e2e
def test_try_repo_validate_fails_with_file_and_line(try_repo_runs):
    code, output = try_repo_runs["invalid"]
    assert code == 1
    assert re.search(r"aimc validate \(strict\)\.+Failed", output), output
    assert "endpoints/qwen.yaml:11: spec.precision: 'bf17' is not valid (did you mean 'bf16'?)" in output


@TRY_REPO_WORKER
@pytest.mark.e2e
def test_try_repo_rendered_hook_fails_on_a_stale_render(try_repo_runs):
    code, output = try_repo_runs["stale"]
    assert code == 1
    assert re.search(r"aimc rendered manifests up to date\.+Failed", output), output
    assert "rendered/inference/deployment-qwen3-32b-vllm.yaml: stale: differs from what the specs render to" in output
    assert "run `aimc build . -o rendered`" in output


def test_rendered_check_takes_the_build_options(aimc, specs):
    """A render made with --allow-overcommit is checked with it: without it the specs are in error."""
    crowded = ENDPOINT.replace("maxReplicas: 3", "maxReplicas: 5")
    (specs / "endpoints/qwen.yaml").write_text(crowded)
    assert aimc("build", ".", "--allow-overcommit", "-o", "rendered", cwd=specs).code == 0
    unchecked = aimc("precommit", "rendered", "--rendered", "rendered", cwd=specs)
    assert unchecked.code == 1 and "overcommitted" in unchecked.err
    checked = aimc("precommit", "rendered", "--rendered", "rendered", "--allow-overcommit", cwd=specs)
    assert checked.code == 0, checked.err


@TRY_REPO_WORKER
@pytest.mark.e2e
def test_try_repo_validate_checks_every_cluster(try_repo_runs):
    code, output = try_repo_runs["clusters"]
    assert code == 0, output
    assert re.search(r"aimc validate \(strict\)\.+Passed", output), output
    assert "aimc: 2 clusters (clusters/dev: 2 endpoints, 4 objects; clusters/prod: 3 endpoints, 6 objects): valid" \
        in output


@pytest.mark.e2e
def test_setup_snippets_pin_a_revision_that_exists():
    """The docs' and the hook manifest's `rev:` must be a tag of this repository or a commit placeholder: pre-commit
    fails on a tag that was never made (there was a `rev: v0.1.0` and no such tag)."""
    tags = set(subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split())
    for source in (REPO / "docs" / "integrations" / "pre-commit.md", REPO / "docs" / "getting-started" / "first-precommit-hook.md",
                   REPO / ".pre-commit-hooks.yaml"):
        revs = re.findall(r"^[#\s]*rev:\s*(\S+)", source.read_text(), re.MULTILINE)
        assert revs, source
        for rev in revs:
            assert rev in tags or rev == "<commit", f"{source.name}: rev {rev} is neither a tag nor a commit"
