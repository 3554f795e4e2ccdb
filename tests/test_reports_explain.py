"""`aimc explain`: the trace of one endpoint, and only that endpoint's diagnostics."""

from __future__ import annotations

import shutil

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
    assert not ok and "endpoints: llama-3-8b, llama-405b, mistral-small-24b, qwen3-32b, qwen3-32b-multi" in text
