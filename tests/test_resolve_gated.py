"""Gated models need a Hugging Face token (aimc/resolve/gated.py, `gated` in aimc/catalog/models.yaml)."""

from __future__ import annotations

from conftest import write_tree

from aimc.catalog.model_facts import builtin_models

CLUSTER = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
           "  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 2}]\n")


def _endpoint(model: str, extra: str = "") -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: e}}\n"
            f"spec:\n  model: {model}\n  hardware: MI300X\n{extra}")


def test_the_built_in_facts_record_which_models_are_gated():
    # huggingface.co/meta-llama/<model>: "You need to agree to share your contact information to access this model"
    # (the Llama community licence gate); Qwen, DeepSeek and gpt-oss repositories are open (Apache-2.0 / MIT).
    gated = {m.id for m in builtin_models() if m.gated}
    assert gated == {m.id for m in builtin_models() if m.id.startswith("meta-llama/")}
    llama = next(m for m in builtin_models() if m.id == "meta-llama/Llama-3.1-8B-Instruct")
    assert llama.is_gated_repository("meta-llama/Meta-Llama-3.1-8B-Instruct")  # the old name of the same repository
    assert not llama.is_gated_repository("amd/Llama-3.1-8B-Instruct-FP8-KV")  # a re-publication, not Meta's gate


def test_a_gated_model_without_a_token_warns_and_fails_under_strict(aimc, tmp_path):
    write_tree(tmp_path, {"c.yaml": CLUSTER, "e.yaml": _endpoint("meta-llama/Llama-3.1-8B-Instruct")})
    result = aimc("build", str(tmp_path))
    assert result.code == 0 and "kind: Deployment" in result.out
    warning = (f"{tmp_path}/e.yaml:5: warning: spec.model: meta-llama/Llama-3.1-8B-Instruct is gated on Hugging Face "
               "(its licence must be accepted) and no token is configured")
    assert warning in result.err
    strict = aimc("build", "--strict", str(tmp_path))
    assert strict.code == 1 and strict.out == ""
    assert f"{tmp_path}/e.yaml:5: spec.model: meta-llama/Llama-3.1-8B-Instruct is gated" in strict.err


def test_any_token_silences_it_and_open_models_never_warn(aimc, tmp_path):
    write_tree(tmp_path, {"c.yaml": CLUSTER, "e.yaml": _endpoint("meta-llama/Llama-3.1-8B-Instruct",
                                                                  "  hfTokenSecret: {name: hf, key: token}\n")})
    assert aimc("build", "--strict", str(tmp_path)).code == 0
    write_tree(tmp_path, {"c.yaml": CLUSTER.replace("spec:\n", "spec:\n  defaults: {hfTokenSecret: {name: hf}}\n"),
                          "e.yaml": _endpoint("meta-llama/Llama-3.1-8B-Instruct")})
    assert aimc("build", "--strict", str(tmp_path)).code == 0
    write_tree(tmp_path, {"c.yaml": CLUSTER, "e.yaml": _endpoint(
        "meta-llama/Llama-3.1-8B-Instruct", "  env:\n  - name: HF_TOKEN\n    valueFrom: {secretKeyRef: {name: hf, "
                                            "key: token}}\n")})
    assert aimc("build", "--strict", str(tmp_path)).code == 0
    write_tree(tmp_path, {"c.yaml": CLUSTER, "e.yaml": _endpoint("Qwen/Qwen3-32B")})
    result = aimc("build", "--strict", str(tmp_path))
    assert result.code == 0 and "gated" not in result.err


def test_a_repository_can_declare_its_own_model_gated(aimc, tmp_path):
    model = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMModel\nmetadata: {name: m}\nspec:\n"
             "  id: acme/private-8b\n  gated: true\n  parametersB: 8\n  layers: 32\n  attentionHeads: 32\n"
             "  kvHeads: 8\n  headDim: 128\n  maxContextLength: 8192\n  nativeWeightBits: 16\n")
    write_tree(tmp_path, {"c.yaml": CLUSTER, "m.yaml": model, "e.yaml": _endpoint("acme/private-8b")})
    result = aimc("build", str(tmp_path))
    assert "acme/private-8b is gated on Hugging Face" in result.err
