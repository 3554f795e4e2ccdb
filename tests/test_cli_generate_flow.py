"""The two commands from a config.json to a rendered endpoint (README, "A model without a recipe"):
`aimc models import PATH [--name ID]` and `aimc recipes generate MODEL ...`, then `aimc build --strict`."""

from __future__ import annotations

import json

import pytest
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


def test_model_config_counts_the_sliding_window_layers_like_the_built_in_facts(aimc):
    """gpt-oss-120b's config.json: 18 of 36 layers slide over 128 tokens (layer_types). Read from the file, the KV
    cache of one sequence is what the built-in facts give (4.79 GiB at 131072 tokens), not 36 full layers (9.00 GiB,
    half the sequences)."""
    from conftest import SHARED_FIXTURES

    config = SHARED_FIXTURES / "hf-configs" / "openai" / "gpt-oss-120b" / "config.json"
    if not config.is_file():
        pytest.skip("fixture absent")
    args = ("recipes", "generate", "openai/gpt-oss-120b", "--hardware", "MI300X", "--engine", "vllm")
    from_file = aimc(*args, "--model-config", str(config))
    built_in = aimc(*args)
    assert from_file.code == 0 and built_in.code == 0, from_file.err + built_in.err
    kv = "sequences of 4.79 GiB"  # was 9.00 GiB (36 layers at full length) from the file
    assert "holds 22 sequences of 4.79 GiB -> 22 concurrent" in from_file.out
    assert kv in from_file.out.split('"1_gpu"')[0] and kv in built_in.out.split('"1_gpu"')[0]
    assert "--max-num-seqs: '22'" in from_file.out


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
    - {name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 3, network: {rdmaResource: rdma/hca, hostNetwork: true, interfaces: [eth1]}}
  modelCache: {storageClassName: nfs}
"""
LLAMA_405B = "meta-llama/Llama-3.1-405B-Instruct"


def test_generate_a_multi_node_recipe_validate_and_build_a_leaderworkerset(tmp_path, aimc):
    """Llama 3.1 405B in bf16 fits on no 8-GCD MI250 node: generation proposes a group of 2 nodes (TP 8 x PP 2),
    which validates strictly and renders as a LeaderWorkerSet of 2 pods."""
    recipe_id = "llama-3-1-405b-instruct-mi250-bf16"
    endpoint = (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: llama}}\n"
                f"spec: {{model: {LLAMA_405B}, recipe: {recipe_id}, hfTokenSecret: {{name: hf-token}}}}\n")
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
    leader = group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]["containers"][0]
    server_args = " ".join(leader["args"])  # the leader's script runs the server with them ("$@")
    assert "--tensor-parallel-size 8" in server_args and "--pipeline-parallel-size 2" in server_args
    assert f"--max-model-len {max_len}" in server_args  # the generated recipe's, not the built-in one's 32768


# -- hostile input: nothing from a path, a config or a model id adds a document ------------------------------------

def test_a_folder_name_cannot_inject_a_document_into_the_imported_aimmodel(tmp_path, aimc):
    """The issue's attack: a checkpoint folder named `ckpt\\n---\\n<a ConfigMap>\\n---\\n#`, its AIMModel saved under
    models/ and built: the ConfigMap must not reach the cluster."""
    folder = tmp_path / "ckpt\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: injected}\n---\n#"
    folder.mkdir()
    (folder / "config.json").write_text(MISTRAL.read_text())
    imported = aimc("models", "import", str(folder), "--name", MODEL)
    assert imported.code == 0, imported
    assert [d["kind"] for d in yaml.safe_load_all(imported.out) if d is not None] == ["AIMModel"]
    # A string of config.json (quantization_config.quant_method) cannot either.
    config = {**json.loads(MISTRAL.read_text()), "quantization_config": {"quant_method": "x\n---\nkind: Secret",
                                                                          "bits": 4}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    quantized = aimc("models", "import", str(tmp_path), "--name", MODEL)
    [document] = [d for d in yaml.safe_load_all(quantized.out) if d is not None]
    assert document["spec"]["quantization"] == "x\n---\nkind: Secret"
    repo = write_tree(tmp_path / "repo", {"cluster.yaml": CLUSTER, "endpoints/mistral.yaml": ENDPOINT,
                                          "models/mistral.yaml": imported.out})
    built = aimc("build", ".", cwd=repo)
    assert built.code == 0, built
    assert "injected" not in built.out and "ConfigMap" not in built.out


def test_an_aimmodel_file_name_cannot_inject_a_document_into_a_generated_recipe(tmp_path, aimc):
    imported = aimc("models", "import", str(MISTRAL), "--name", MODEL)
    name = "m\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: injected}\n---\n#.yaml"
    write_tree(tmp_path, {f"models/{name}": imported.out})
    for output_format in ("recipe", "profile"):
        run = aimc("recipes", "generate", MODEL, "models", "-H", "MI300X", "-p", "bf16", "-f", output_format,
                   cwd=tmp_path)
        assert run.code == 0, run
        documents = [d for d in yaml.safe_load_all(run.out) if d is not None]
        assert documents and all(d["model_id"] == MODEL for d in documents)
        assert "\\n---\\napiVersion: v1" in run.out  # the name, escaped in one comment line


def test_a_model_id_with_an_accent_gives_a_recipe_id_that_validates(tmp_path, aimc):
    imported = aimc("models", "import", str(MISTRAL), "--name", "acme/Modèle-7B")
    write_tree(tmp_path, {"models/m.yaml": imported.out})
    run = aimc("recipes", "generate", "acme/Modèle-7B", "models", "-H", "MI300X", "-p", "bf16", cwd=tmp_path)
    assert run.code == 0, run
    recipe = yaml.safe_load(run.out)
    assert recipe["recipe_id"] == "modele-7b-mi300x-bf16"
    write_tree(tmp_path, {f"recipes/{recipe['recipe_id']}.yaml": run.out})
    checked = aimc("recipes", "validate", "--strict", "recipes", "models/m.yaml", cwd=tmp_path)
    assert checked.code == 0, checked
    unnamed = aimc("recipes", "generate", "acme/中文", "models", "-H", "MI300X", cwd=tmp_path)
    assert unnamed.code == 1 and "MODEL: cannot name recipes after 'acme/中文'" in unnamed.err


def test_a_newline_in_name_is_an_error_not_an_unparseable_document(aimc):
    run = aimc("models", "import", str(MISTRAL), "--name", "acme/x\ny")
    assert run.code == 1 and run.out == ""
    assert "--name: 'acme/x\\ny' (--name) is not a model id" in run.err


def test_generate_refuses_an_absurd_config_with_the_key_named(tmp_path, aimc):
    config = yaml.safe_load(MISTRAL.read_text())
    for change, key in (({"max_position_embeddings": -1}, "max_position_embeddings"),
                        ({"num_hidden_layers": -32}, "num_hidden_layers"), ({"num_attention_heads": 0},
                                                                             "num_attention_heads"),
                        ({"hidden_size": float("nan")}, "hidden_size"), ({"hidden_size": float("inf")}, "hidden_size")):
        (tmp_path / "config.json").write_text(json.dumps({**config, **change}))  # NaN, Infinity: as Python writes
        run = aimc("recipes", "generate", "acme/m", "--model-config", str(tmp_path), "-H", "MI300X")
        assert run.code == 1 and run.out == "", run
        assert f"config.json:1: {key}:" in run.err, run.err


GENERATED_ID = "mistral-7b-instruct-v0-3-mi300x-bf16"  # the id aimc generates for the imported model on MI300X


def _imported(tmp_path, aimc, endpoint: str):
    network = CLUSTER.replace("nodeCount: 1}", "nodeCount: 2, network: {rdmaDevices: [ionic_0]}}")
    repo = write_tree(tmp_path, {"cluster.yaml": network, "endpoints/mistral.yaml": endpoint})
    (repo / "models").mkdir()
    (repo / "models" / "mistral.yaml").write_text(aimc("models", "import", str(MISTRAL), "--name", MODEL).out)
    return repo


def _disaggregated(prefill: str = "", decode: str = "") -> str:
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: mistral}}\nspec:\n"
            f"  model: {MODEL}\n  servingEngine: vllm\n  disaggregation:\n"
            f"    prefill: {{gpuCount: 1{prefill}}}\n    decode: {{gpuCount: 1{decode}}}\n")


@pytest.mark.parametrize("where", ["spec", "roles"])
def test_a_named_recipe_is_a_written_one_wherever_it_is_named(tmp_path, aimc, where):
    """spec.recipe and a disaggregated role's recipe name the same thing: a written recipe. The generated
    configuration's id named in a role was served by the generated configuration (resolve/generated.py did not count
    a role's recipe as named), while in spec.recipe it is an unknown recipe: both are now the same error, at the
    field that names it."""
    pin = f", recipe: {GENERATED_ID}"
    endpoint = _disaggregated(pin, pin) if where == "roles" else _disaggregated().replace(
        "  servingEngine: vllm\n", f"  servingEngine: vllm\n  recipe: {GENERATED_ID}\n")
    built = aimc("build", ".", cwd=_imported(tmp_path, aimc, endpoint))
    assert built.code == 1 and built.out == "", built
    lines = (["endpoints/mistral.yaml:8: spec.disaggregation.prefill.recipe",
              "endpoints/mistral.yaml:9: spec.disaggregation.decode.recipe"] if where == "roles"
             else ["endpoints/mistral.yaml:7: spec.recipe"])
    for line in lines:  # what would be right: the command that writes it down, or no recipe field
        assert (f"{line}: unknown recipe '{GENERATED_ID}': it is the id `aimc recipes generate` gives {MODEL}'s "
                f"configurations, which are no recipe until written down: `aimc recipes generate {MODEL} --hardware "
                f"MI300X --precision bf16 > recipes/{GENERATED_ID}.yaml`") in built.err
    assert "serving the generated" not in built.err and "did you mean" not in built.err


def test_a_disaggregated_endpoint_on_generated_configurations_names_each_role_and_its_engine_once(tmp_path, aimc):
    built = aimc("build", ".", cwd=_imported(tmp_path, aimc, _disaggregated()))
    assert built.code == 0, built
    assert (f"serving the generated, unoptimized configuration {GENERATED_ID} (prefill vllm 1_gpu on pool mi300x, "
            "decode vllm 1_gpu on pool mi300x)") in built.err
    assert "--precision bf16 --engine vllm models/mistral.yaml" in built.err.replace(str(tmp_path) + "/", "")
