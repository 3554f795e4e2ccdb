"""Engine flag checks through the real command line: warnings on stderr and in `explain`, `--strict`, the version."""

from __future__ import annotations

from conftest import REPO, write_tree

CLUSTER = REPO / "tests" / "cases" / "error-strict-alias" / "inputs" / "cluster.yaml"
ALIASES = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata:
  name: a
spec:
  model: Qwen/Qwen3-32B
  hardware: MI300X
  customArgs:
    --max-batch-size: '128'
    --max-context-len: '16384'
"""
ALIAS_WARNINGS = [
    "a.yaml:9: warning: spec.customArgs.--max-batch-size: --max-batch-size is not a vllm flag; using --max-num-seqs, "
    "its documented alias (write --max-num-seqs to silence this warning)",
    "a.yaml:10: warning: spec.customArgs.--max-context-len: --max-context-len is not a vllm flag; using "
    "--max-model-len, its documented alias (write --max-model-len to silence this warning)",
]


def _repo(tmp_path):
    return write_tree(tmp_path, {"a.yaml": ALIASES, "cluster.yaml": CLUSTER.read_text()})


def test_aliases_warn_on_stderr_and_build(aimc, tmp_path):
    result = aimc("build", ".", cwd=_repo(tmp_path))
    assert result.code == 0, result
    assert result.err.splitlines() == ALIAS_WARNINGS
    assert "- --max-num-seqs\n        - '128'\n" in result.out
    assert "- --max-model-len\n        - '16384'\n" in result.out


def test_strict_turns_the_alias_warnings_into_errors(aimc, tmp_path):
    result = aimc("build", "--strict", ".", cwd=_repo(tmp_path))
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines() == [
        w.replace("warning: ", "").replace(" to silence this warning", " instead: --strict makes this warning an error")
        for w in ALIAS_WARNINGS] + ["aimc: 2 errors"]
    assert aimc("validate", "--strict", ".", cwd=tmp_path).code == 1


def test_explain_shows_the_flag_set_version_and_the_warnings(aimc, tmp_path):
    result = aimc("explain", ".", cwd=_repo(tmp_path))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert "  engine flags checked against: vllm 0.27.1" in lines
    assert ALIAS_WARNINGS[0] in lines and ALIAS_WARNINGS[1] in lines


def test_explain_shows_the_sglang_version(aimc):
    result = aimc("explain", str(REPO / "examples"))
    assert "  engine flags checked against: sglang 0.5.16" in result.out.splitlines()


def test_recipes_validate_strict_turns_translations_into_errors(aimc):
    recipe = REPO / "tests" / "cases" / "sglang-vllm-names" / "inputs" / "recipes" / "acme-tiny-mi300x-bf16.yaml"
    relaxed = aimc("recipes", "validate", str(recipe))
    # Six translations, SGLang 0.5.16's deprecation of --disable-cuda-graph (what --enforce-eager becomes; its
    # successor is --cuda-graph-backend-{decode,prefill} disabled), and the model without facts (as build warns).
    assert relaxed.code == 0 and relaxed.err.count(": warning: ") == 8
    assert "--disable-cuda-graph is deprecated in sglang 0.5.16" in relaxed.err
    assert relaxed.err.count(": warning: model_id: no facts for model 'Acme/Tiny-1B'") == 1
    strict = aimc("recipes", "validate", "--strict", str(recipe))
    assert strict.code == 1 and strict.err.splitlines()[-1] == "aimc: 8 errors"

