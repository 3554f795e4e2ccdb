"""The command that starts the server follows the release of the image: vLLM 0.34 deprecates
`python -m vllm.entrypoints.openai.api_server` for `vllm serve` (aimc/resolve/engine_args.py `launch_command`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from aimc.resolve import engine_args

CASES = Path(__file__).parent / "cases"
MODULE = ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def _with_image(tmp_path: Path, case: str, endpoint: str, image: str) -> Path:
    shutil.copytree(CASES / case / "inputs", tmp_path / case)
    path = tmp_path / case / "endpoints" / endpoint
    path.write_text(path.read_text() + f"  image: {image}\n")
    return tmp_path / case


def _objects(out: str, kind: str) -> list[dict]:
    return [o for o in yaml.safe_load_all(out) if o and o["kind"] == kind]


def test_launch_command_per_release():
    assert engine_args.launch_command("vllm", "0.27.1") == tuple(MODULE)
    assert engine_args.launch_command("vllm", "0.34.0") == ("vllm", "serve")
    assert engine_args.launch_command("sglang", "0.5.23") == ("python3", "-m", "sglang.launch_server")


def test_a_vllm_0_34_deployment_runs_vllm_serve_and_0_27_the_module(aimc, tmp_path):
    default = aimc("build", str(CASES / "multinode-vllm" / "inputs"))
    assert default.code == 0, default
    new = aimc("build", str(_with_image(tmp_path, "multinode-vllm", "llama-405b.yaml",
                                        "{image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}")))
    assert new.code == 0, new
    for result, server in ((default, " ".join(MODULE)), (new, "vllm serve")):
        [group] = _objects(result.out, "LeaderWorkerSet")
        leader = group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]["containers"][0]
        assert leader["command"][2].endswith(f'exec {server} "$$@"')
        assert leader["args"][:2] == ["--model", "meta-llama/Llama-3.1-405B-Instruct"]


def test_a_single_pod_deployment_follows_the_release_too(aimc, tmp_path):
    from conftest import write_tree

    header = "apiVersion: aim.engine.amd.com/v1alpha1\n"
    write_tree(tmp_path, {
        "cluster.yaml": header + "kind: ClusterInventory\nmetadata: {name: c}\nspec:\n  nodePools:\n"
                                 "    - {name: mi300x, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}\n",
        "e.yaml": header + "kind: AIMEndpoint\nmetadata: {name: e}\nspec:\n  model: Qwen/Qwen3-32B\n"
                           "  hardware: MI300X\n  image: {image: 'vllm/vllm-openai-rocm:v0.34.0', engineVersion: '0.34.0'}\n",
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 0, result
    [deployment] = _objects(result.out, "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["vllm", "serve"]
    assert container["args"][:2] == ["--model", "Qwen/Qwen3-32B"]
