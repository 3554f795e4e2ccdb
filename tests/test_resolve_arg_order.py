"""The canonical argument order (README, "Argument precedence"): a command line never depends on the key order of
customArgs or aimFrameworkOverrides, which Kustomize sorts. Unit tests on the merge, a property test over every key
order, and the real `kubectl kustomize … | aimc build -` against `aimc build examples/`."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.resolve.arg_merge import merge_args
from aimc.resolve.engine_args import build_command

RECIPE = {"--dtype": "bfloat16", "--max-model-len": "32768", "--enable-prefix-caching": None,
          "--gpu-memory-utilization": "0.9"}
CUSTOM = (("--max-num-seqs", 128), ("--enable-prefix-caching", False), ("--max-model-len", "16384"),
          ("--enable-chunked-prefill", True), ("--block-size", 16), ("--dtype", None), ("--seed", 7))
OVERRIDES = (("trustRemoteCode", True), ("maxNumBatchedTokens", 8192), ("gpuMemoryUtilization", "0.85"),
             ("kvCacheDtype", "fp8"))


def where(source, key):
    return ("t.yaml", 1, key)


def command(engine="vllm", recipe=RECIPE, overrides=OVERRIDES, custom=CUSTOM, engine_custom=()):
    return build_command(engine, recipe, 2, "org/weights", "org/Model", overrides, custom, where, engine_custom)


def flags(args) -> list[str]:
    return [a for a in args if a.startswith("-")]


def test_recipe_flags_keep_their_place_and_added_flags_follow_sorted_by_name():
    result = command()
    assert [d.message for d in result.diagnostics] == []
    assert flags(result.args) == [
        "--model", "--served-model-name", "--port", "--tensor-parallel-size",
        # the recipe's order; --dtype was removed, --enable-prefix-caching became its --no- twin in place
        "--max-model-len", "--no-enable-prefix-caching", "--gpu-memory-utilization",
        # added by overrides and customArgs, by name
        "--block-size", "--enable-chunked-prefill", "--kv-cache-dtype", "--max-num-batched-tokens", "--max-num-seqs",
        "--seed", "--trust-remote-code",
    ]
    args = list(result.args)
    assert args[args.index("--max-model-len") + 1] == "16384"  # precedence is unchanged: customArgs win
    assert args[args.index("--gpu-memory-utilization") + 1] == "0.85"


def test_sglang_default_flag_comes_first_among_the_recipes():
    result = command("sglang", recipe={"--context-length": "8192"}, overrides=(("maxNumSeqs", 64),), custom=())
    assert flags(result.args)[5:] == ["--enable-metrics", "--context-length", "--max-running-requests"]


def test_every_key_order_of_custom_args_and_overrides_gives_the_same_command_and_notes():
    expected = command()
    for custom in itertools.permutations(CUSTOM):
        assert command(custom=custom) == expected
    for overrides in itertools.permutations(OVERRIDES):
        assert command(overrides=overrides) == expected


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.permutations(CUSTOM), st.permutations(OVERRIDES), st.sampled_from(["vllm", "sglang"]))
def test_the_merge_never_depends_on_key_order(custom, overrides, engine):
    recipe = {"--max-model-len": "32768"} if engine == "vllm" else {"--context-length": "32768"}
    base = merge_args(engine, recipe, 2, OVERRIDES, CUSTOM)
    shuffled = merge_args(engine, recipe, 2, tuple(overrides), tuple(custom))
    assert shuffled == base


def test_two_custom_args_keys_naming_one_flag_are_an_error_whatever_their_order():
    for custom in ((("max_model_len", "1024"), ("--max-model-len", "2048")),
                   (("--max-model-len", "2048"), ("max_model_len", "1024")),
                   (("--max-context-len", "2048"), ("--max-model-len", "1024")),
                   (("--enable-prefix-caching", True), ("--no-enable-prefix-caching", True))):
        errors = [d for d in command(custom=custom).diagnostics if d.severity == "error"]
        assert len(errors) == 1 and "twice" in errors[0].message, custom
        assert "keep one" in errors[0].message


def test_a_servings_engine_entry_wins_over_the_endpoints_custom_args():
    # vLLM's name at the endpoint (translated for SGLang), SGLang's own in the engine entry: no conflict, entry wins.
    result = command("sglang", recipe={}, overrides=(), custom=(("--max-model-len", "8192"),),
                     engine_custom=(("--context-length", "4096"),))
    assert [d.severity for d in result.diagnostics] == ["warning"]  # the translation only
    args = list(result.args)
    assert args[args.index("--context-length") + 1] == "4096" and args.count("--context-length") == 1


# -- the real Kustomize ------------------------------------------------------------------------------------------

def _objects(text: str) -> list[dict]:
    found = [d for d in yaml.safe_load_all(text) if d]
    return sorted(found, key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def _build(*args: str, stdin: str | None = None) -> str:
    run = subprocess.run([sys.executable, "-m", "aimc", "build", *args], input=stdin, capture_output=True, check=False,
                         text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_of_the_examples_piped_to_aimc_gives_the_objects_of_aimc_build(tmp_path):
    """Kustomize sorts the keys of every mapping (customArgs, aimFrameworkOverrides included); the example
    qwen3-32b-tuned writes them unsorted on purpose."""
    tree = tmp_path / "examples"
    shutil.copytree(REPO / "examples", tree, ignore=shutil.ignore_patterns(".*"))
    # Kubernetes-shaped files only: examples/prometheus-adapter/ holds Helm values, which aimc skips and Kustomize
    # refuses as a resource.
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.yaml")
                   if "prometheus-adapter" not in p.relative_to(tree).parts)
    (tree / "kustomization.yaml").write_text(yaml.safe_dump({"resources": files}))
    kustomized = subprocess.run(["kubectl", "kustomize", str(tree)], capture_output=True, text=True, timeout=120,
                                check=False)
    assert kustomized.returncode == 0, kustomized.stderr
    piped = _objects(_build("-", stdin=kustomized.stdout))
    built = _objects(_build("examples"))
    assert [(o["kind"], o["metadata"]["name"]) for o in piped] == [(o["kind"], o["metadata"]["name"]) for o in built]
    for a, b in zip(piped, built):
        assert a == b, (a["kind"], a["metadata"]["name"])  # lists (the args among them) compare in order
    # Byte for byte too (apart from the `# Source:` comments, which name stdin on one side): the key order of every
    # mapping the user wrote (node selectors, tolerations, env entries, labels) is canonical, not as written.
    def without_sources(text):
        return [line for line in text.splitlines() if not line.startswith("# Source:")]

    assert without_sources(_build("-", stdin=kustomized.stdout)) == without_sources(_build("examples"))
