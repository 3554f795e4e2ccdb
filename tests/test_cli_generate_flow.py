"""The two commands from a config.json to a rendered endpoint (README, "A model without a recipe"):
`aimc models import PATH [--name ID]` and `aimc recipes generate MODEL ...`, then `aimc build --strict`."""

from __future__ import annotations

import yaml
from conftest import REPO, write_tree

MISTRAL = REPO / "tests" / "data" / "hf-configs" / "mistralai" / "Mistral-7B-Instruct-v0.3" / "config.json"
MODEL = "mistralai/Mistral-7B-Instruct-v0.3"
CLUSTER = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: c}
spec:
  nodePools:
    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}
"""
ENDPOINT = f"""apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {{name: mistral}}
spec: {{model: {MODEL}}}
"""


def test_import_generate_build(tmp_path, aimc):
    repo = write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints/mistral.yaml": ENDPOINT})
    imported = aimc("models", "import", str(MISTRAL), "--name", MODEL, cwd=repo)
    assert imported.code == 0, imported
    (repo / "models").mkdir()
    (repo / "models" / "mistral.yaml").write_text(imported.out)

    # Without a recipe the build already renders, from generated candidates, and says how to write one down.
    built = aimc("build", ".", cwd=repo)
    assert built.code == 0, built
    assert "aimc recipes generate mistralai/Mistral-7B-Instruct-v0.3 --hardware MI300X --precision bf16" in built.err
    assert aimc("build", "--strict", ".", cwd=repo).code == 1

    recipe = aimc("recipes", "generate", MODEL, "--hardware", "MI300X", "--precision", "bf16", "models", cwd=repo)
    assert recipe.code == 0, recipe
    (repo / "recipes").mkdir()
    path = repo / "recipes" / "mistral-7b-instruct-v0-3-mi300x-bf16.yaml"
    path.write_text(recipe.out)
    # On its own the recipe names a model aimc has no facts for (a warning, an error under --strict); with the
    # AIMModel document beside it, every check runs.
    assert aimc("recipes", "validate", "--strict", str(path), cwd=repo).code == 1
    assert aimc("recipes", "validate", "--strict", str(path), "models/mistral.yaml", cwd=repo).code == 0

    strict = aimc("build", "--strict", ".", cwd=repo)
    assert strict.code == 0, strict
    deployment = next(d for d in yaml.safe_load_all(strict.out) if d and d["kind"] == "Deployment")
    assert deployment["metadata"]["annotations"]["aim.engine.amd.com/recipe"] == path.stem
    assert "--max-num-seqs" in deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def test_generate_reads_a_config_json_directly(aimc):
    run = aimc("recipes", "generate", MODEL, "--hardware", "MI355X", "--model-config", str(MISTRAL),
               "--precision", "bf16", "--format", "profile")
    assert run.code == 0, run
    docs = list(yaml.safe_load_all(run.out))
    assert [d["metadata"]["gpu_count"] for d in docs] == [1, 2, 4, 8]
    assert all(d["metadata"]["type"] == "unoptimized" and d["engine_args"]["tensor-parallel-size"] ==
               d["metadata"]["gpu_count"] for d in docs)


def test_generate_for_a_model_without_facts_names_the_import_command(aimc):
    run = aimc("recipes", "generate", "acme/unknown", "--hardware", "MI300X")
    assert run.code == 1
    assert "aimc models import PATH --name acme/unknown" in run.err


GENERAL_PROFILE = """metadata:
  engine: vllm
  gpu: MI300X
  gpu_count: 1
  manual_selection_only: false
  metric: latency
  precision: fp16
  type: general
engine_args:
  dtype: float16
  gpu-memory-utilization: 0.95
  tensor-parallel-size: 1
"""


def test_generated_candidates_rank_after_general_profiles(tmp_path, aimc):
    imported = aimc("models", "import", str(MISTRAL))
    repo = write_tree(tmp_path, {"cluster.yaml": CLUSTER, "endpoints/mistral.yaml": ENDPOINT,
                                 "models/mistral.yaml": imported.out,
                                 "profiles/general/vllm-mi300x-fp16-tp1-latency.yaml": GENERAL_PROFILE})
    run = aimc("explain", ".", cwd=repo)
    assert run.code == 0, run
    selected = next(line for line in run.out.splitlines() if "SELECTED" in line)
    assert "general/vllm-mi300x-fp16-tp1-latency" in selected
    assert "(generated, unoptimized) vllm 1_gpu on pool mi300x: kept, ranked lower" in run.out


GROUP_CLUSTER = """apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata: {name: c}
spec:
  nodePools:
    - {name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 3, network: {rdmaResource: rdma/hca, interfaces: [eth1]}}
  modelCache: {storageClassName: nfs}
"""
LLAMA_405B = "meta-llama/Llama-3.1-405B-Instruct"


def test_generate_a_multi_node_recipe_validate_and_build_a_leaderworkerset(tmp_path, aimc):
    """Llama 3.1 405B in bf16 fits on no 8-GCD MI250 node: generation proposes a group of 2 nodes (TP 8 x PP 2),
    which validates strictly and renders as a LeaderWorkerSet of 2 pods."""
    recipe_id = "llama-3-1-405b-instruct-mi250-bf16"
    endpoint = (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: llama}}\n"
                f"spec: {{model: {LLAMA_405B}, recipe: {recipe_id}}}\n")
    repo = write_tree(tmp_path, {"cluster.yaml": GROUP_CLUSTER, "endpoints/llama.yaml": endpoint})
    generated = aimc("recipes", "generate", LLAMA_405B, "--precision", "bf16", "--engine", "vllm", ".", cwd=repo)
    assert generated.code == 0, generated
    assert "16_gpu fits as 2 nodes x 8 (TP 8 x PP 2)" in generated.out
    (repo / "recipes").mkdir()
    path = repo / "recipes" / f"{recipe_id}.yaml"
    path.write_text(generated.out)
    recipe = yaml.safe_load(generated.out)
    assert list(recipe["vllm_serve"]) == ["16_gpu"]
    max_len = recipe["vllm_serve"]["16_gpu"]["args"]["--max-model-len"]
    assert aimc("recipes", "validate", "--strict", str(path), cwd=repo).code == 0

    built = aimc("build", "--strict", ".", cwd=repo)
    assert built.code == 0, built
    (group,) = [d for d in yaml.safe_load_all(built.out) if d and d["kind"] == "LeaderWorkerSet"]
    assert group["spec"]["leaderWorkerTemplate"]["size"] == 2
    assert group["metadata"]["annotations"]["aim.engine.amd.com/configuration"] == "vllm/16_gpu"
    script = group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]["containers"][0]["command"][-1]
    assert "--tensor-parallel-size 8" in script and "--pipeline-parallel-size 2" in script
    assert f"--max-model-len {max_len}" in script  # the generated recipe's, not the built-in one's 32768
