"""`aimc explain`: the trace of one endpoint, and only that endpoint's diagnostics."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, write_tree


def _examples_with_seed_aliases(tmp_path):
    """examples/ with qwen3-32b-tuned in the seed's spelling (--max-batch-size: a warning of that endpoint)."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copy(REPO / "tests/cases/seed-flag-aliases/inputs/endpoints/qwen3-32b-tuned.yaml",
                tmp_path / "examples/endpoints/qwen3-32b-tuned.yaml")
    return tmp_path


def test_explain_one_endpoint_shows_its_trace_and_not_other_endpoints_warnings(aimc, tmp_path):
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b", cwd=_examples_with_seed_aliases(tmp_path))
    assert result.code == 0
    assert "endpoint qwen3-32b (examples/endpoints/qwen3-32b.yaml" in result.out
    assert "qwen3-32b-mi300x-bf16 vllm 4_gpu on pool mi300x: SELECTED" in result.out
    assert "rejected (gpu_count): 1 GPU, endpoint asks for 4" in result.out
    assert "qwen3-32b-tuned" not in result.out  # its alias warnings belong to another endpoint


def test_explain_shows_the_warnings_of_the_endpoint_asked_for(aimc, tmp_path):
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b-tuned", cwd=_examples_with_seed_aliases(tmp_path))
    assert "--max-batch-size is not a vllm flag; using --max-num-seqs" in result.out


def test_explain_unknown_endpoint_names_the_known_ones(aimc):
    result = aimc("explain", "examples", "--endpoint", "nope")
    assert result.code == 1
    assert "no endpoint named nope; endpoints: llama-3-8b, llama-405b, mistral-small-24b, qwen3-32b" in result.out


def test_explain_does_not_advise_running_explain(aimc, tmp_path):
    """Inside `aimc explain` the selection error is the same, minus the advice to run `aimc explain`; build keeps it."""
    write_tree(tmp_path, {"q.yaml": """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: q}
spec:
  model: Qwen/Qwen3-32B
  hardware: MI300X
  gpuCount: 3
"""})
    shutil.copy(REPO / "examples" / "cluster.yaml", tmp_path / "cluster.yaml")
    explained = aimc("explain", ".", cwd=tmp_path)
    assert explained.code == 1
    assert "q.yaml:7: spec.gpuCount: no recipe serves Qwen/Qwen3-32B on MI300X with 3 GPUs" in explained.out
    assert "aimc explain" not in explained.out
    built = aimc("build", ".", cwd=tmp_path)
    assert built.code == 1 and "(run `aimc explain` for every candidate)" in built.err


def test_explain_of_one_endpoint_parses_only_the_files_that_can_hold_it(tmp_path, monkeypatch):
    """Issue 24: the other endpoints' files are not parsed, and the answer is the one the whole repository gives."""
    from aimc import pipeline
    from aimc.load import documents
    from aimc.reports import explain as explain_mod

    root = _examples_with_seed_aliases(tmp_path) / "examples"
    options = pipeline.Options(paths=(str(root),))
    whole, whole_ok, _ = explain_mod._explain(options, {"qwen3-32b"})
    parsed = []
    real = documents.load_file
    monkeypatch.setattr(documents, "load_file", lambda f, *a, **k: parsed.append(f.path) or real(f, *a, **k))
    assert explain_mod.explain(options, ["qwen3-32b"]) == (whole, whole_ok) and whole_ok
    names = sorted(p.rsplit("/", 1)[-1] for p in parsed)
    assert "qwen3-32b.yaml" in names and "qwen3-32b-tuned.yaml" in names  # the name is in its text: parsed
    assert "cluster.yaml" in names and "llama-3-8b.yaml" not in names and "mistral-small-24b.yaml" not in names


def test_explain_of_an_unknown_endpoint_reads_the_whole_repository_to_name_them_all(tmp_path):
    from aimc import pipeline
    from aimc.reports import explain as explain_mod

    text, ok = explain_mod.explain(pipeline.Options(paths=(str(REPO / "examples"),)), ["nope"])
    assert not ok and ("endpoints: llama-3-8b, llama-405b, mistral-small-24b, qwen3-32b, qwen3-32b-adapters, "
                       "qwen3-32b-multi") in text


def _golden_endpoints():
    """(case folder, endpoint name) for every AIMEndpoint of every golden case's inputs."""
    import yaml

    out = []
    for case in sorted((REPO / "tests" / "cases").iterdir()):
        names = set()
        for path in sorted((case / "inputs").rglob("*.y*ml")) if (case / "inputs").is_dir() else ():
            try:
                documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            except yaml.YAMLError:
                continue  # a case about a broken file
            names |= {d["metadata"]["name"] for d in documents if isinstance(d, dict) and d.get("kind") == "AIMEndpoint"
                      and isinstance(d.get("metadata"), dict) and isinstance(d["metadata"].get("name"), str)}
        out += [(case, name) for name in sorted(names)]
    return out


_OVERCOMMIT = "is overcommitted: up to "


def test_explain_of_one_endpoint_says_what_the_whole_repository_says_over_the_goldens(monkeypatch):
    """Issue 24: for every endpoint of every golden case, `explain --endpoint` (the files that can hold it) prints what
    explaining it from the whole repository printed, byte for byte, with one deliberate exception: whether a node
    pool is overcommitted depends on every endpoint of the repository, so that repository-wide check is `aimc plan`'s
    and `aimc validate`'s (its line, and the exit status it alone set, are the only difference allowed)."""
    from aimc import pipeline
    from aimc.reports import explain as explain_mod

    cases = _golden_endpoints()
    assert len(cases) > 60
    differing = 0
    for case, name in cases:
        monkeypatch.chdir(case)
        options = pipeline.Options(paths=("inputs",))
        whole_text, whole_ok, _ = explain_mod._explain(options, {name})
        text, ok = explain_mod.explain(options, [name])
        if (text, ok) == (whole_text, whole_ok):
            continue
        differing += 1
        kept = [line for line in whole_text.splitlines(True) if _OVERCOMMIT not in line]
        assert text == "".join(kept), (case.name, name)
        assert ok and not whole_ok and len(kept) < len(whole_text.splitlines()), (case.name, name)
    assert differing <= 10  # the overcommitted cases (error-overcommit, plan-*, ...)


def test_explain_of_one_endpoint_reports_errors_in_its_own_files(aimc, tmp_path):
    """An error in the endpoint's own file, and one in a file that is not another endpoint's, are shown with their
    file:line, and explain exits 1; another endpoint's broken file is not read."""
    repo = _examples_with_seed_aliases(tmp_path) / "examples"
    own = repo / "endpoints" / "qwen3-32b.yaml"
    own.write_text(own.read_text().replace("spec:\n", "spec:\n  bogusField: 1\n", 1))
    (repo / "endpoints" / "llama-3-8b.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: llama-3-8b}\nspec: [broken\n")
    result = aimc("explain", "examples", "--endpoint", "qwen3-32b", cwd=tmp_path)
    assert result.code == 1
    assert "examples/endpoints/qwen3-32b.yaml:" in result.out and "bogusField" in result.out
    other = aimc("explain", "examples", "--endpoint", "mistral-small-24b", cwd=tmp_path)
    assert other.code == 0 and "llama-3-8b.yaml" not in other.out, other.out
    (repo / "shared.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: [1\n")
    shared = aimc("explain", "examples", "--endpoint", "mistral-small-24b", cwd=tmp_path)
    assert shared.code == 1 and "examples/shared.yaml:" in shared.out, shared.out


@pytest.mark.e2e
def test_explain_of_an_endpoint_without_adapters_imports_no_renderer():
    """Issue 24: explain renders nothing; the render package is a quarter of its imports (pipeline imports it only to
    compile, the adapters' lines only for an endpoint with adapters)."""
    import subprocess
    import sys

    code = ("import sys; from aimc.cli import main; rc = main(['explain', 'examples', '--endpoint', 'qwen3-32b']);"
            "bad = sorted(m for m in sys.modules if m.startswith(('aimc.render', 'aimc.emit.files')));"
            "print(bad, file=sys.stderr); sys.exit(1 if bad or rc else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
