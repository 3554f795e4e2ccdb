"""A value's YAML type is part of the value: `true`, `1`, `1.0` and `"1"` are four different customArgs, and nothing
aimc remembers between endpoints or between builds may hand one's rendering to another (issue 21: a merge memo keyed
on raw values rendered one endpoint's `--hybrid-kvcache-ratio 1` as another's bare flag, and `aimc diff` of `true`
against `1` said "no changes")."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import REPO, write_tree

from aimc.emit import output as emit
from aimc.pipeline import Options, compile

CLUSTER = (REPO / "examples" / "cluster.yaml").read_text()
RATIOS = ["true", "1", "1.0", "'1'"]


def endpoint(name: str, ratio: str) -> str:
    """One of two SGLang endpoints serving one model, half the traffic each. SGLang 0.5.5.post3's image: its
    --hybrid-kvcache-ratio (a float that may also stand bare, nargs ?) is gone from 0.5.12 on."""
    return (f"apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {{name: {name}}}\n"
            "spec:\n  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  gpuCount: 1\n  servingEngine: sglang\n"
            "  image: lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x\n"
            f"  traffic: {{weight: 50}}\n  customArgs: {{--hybrid-kvcache-ratio: {ratio}}}\n")


def build(tmp_path, files: dict[str, str]) -> dict[tuple, str]:
    """Each object's YAML, built in this process (after whatever the process built before)."""
    root = write_tree(tmp_path, {"cluster.yaml": CLUSTER, **files})
    result = compile(Options(paths=(str(root),)))
    return {(item.obj["kind"], item.obj["metadata"]["name"]): emit.dump_yaml(emit.plain(item.obj))
            for item in result.objects}


@pytest.fixture(scope="module")
def built_alone(tmp_path_factory):
    """`aimc build` of one endpoint in a process of its own, which has built nothing else."""
    done: dict[tuple[str, str], dict[tuple, str]] = {}

    def alone(name: str, ratio: str) -> dict[tuple, str]:
        if (name, ratio) not in done:
            root = write_tree(tmp_path_factory.mktemp(name), {"cluster.yaml": CLUSTER, "e.yaml": endpoint(name, ratio)})
            run = subprocess.run([sys.executable, "-m", "aimc", "build", str(root)], capture_output=True, text=True,
                                 check=True, cwd=REPO)
            done[(name, ratio)] = {(o["kind"], o["metadata"]["name"]): emit.dump_yaml(o)
                                   for o in yaml.safe_load_all(run.stdout) if o}
        return done[(name, ratio)]

    return alone


def container_args(objects: dict[tuple, str], name: str) -> str:
    text = objects[("Deployment", f"{name}-sglang")]
    return text[text.index("args:"):text.index("ports:")]


@pytest.mark.e2e
@pytest.mark.parametrize("first, second", [(a, b) for a in RATIOS for b in RATIOS if a != b])
def test_each_endpoint_renders_the_same_alone_and_beside_one_with_an_equal_value_of_another_type(
        tmp_path, built_alone, first, second):
    together = build(tmp_path, {"a.yaml": endpoint("qwen-a", first), "b.yaml": endpoint("qwen-b", second)})
    for name, ratio in (("qwen-a", first), ("qwen-b", second)):
        alone = built_alone(name, ratio)
        assert container_args(together, name) == container_args(alone, name)
        assert together[("Deployment", f"{name}-sglang")] == alone[("Deployment", f"{name}-sglang")]


def test_bare_flag_and_value_render_as_written(tmp_path):
    together = build(tmp_path, {"a.yaml": endpoint("qwen-a", "true"), "b.yaml": endpoint("qwen-b", "1")})
    assert "- --hybrid-kvcache-ratio\n" in container_args(together, "qwen-a")
    assert "- --hybrid-kvcache-ratio\n        - '1'\n" in container_args(together, "qwen-b")


@pytest.mark.parametrize("base, head", [("true", "1"), ("1", "true")])
def test_diff_reports_a_change_of_yaml_type_in_both_directions(aimc, tmp_path, base, head):
    old = write_tree(tmp_path / "old", {"cluster.yaml": CLUSTER, "e.yaml": endpoint("qwen", base)})
    new = write_tree(tmp_path / "new", {"cluster.yaml": CLUSTER, "e.yaml": endpoint("qwen", head)})
    result = aimc("diff", str(old), str(new), "--exit-code", cwd=tmp_path)
    assert result.code == 1, result.out
    assert "Deployment inference/qwen-sglang (changed)" in result.out
    assert "--hybrid-kvcache-ratio" in result.out
