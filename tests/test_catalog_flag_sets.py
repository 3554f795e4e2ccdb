"""The pinned flag sets and the checks of one flag and its value (aimc/flags.py)."""

from __future__ import annotations

import json

import pytest

from aimc.catalog import flag_set_files
from aimc.catalog import flag_sets as flags
from aimc.catalog.flag_sets import check_value, flag_set, unknown_flag_problem

# The releases these checks were written against (both still shipped; the default images' are newer).
RELEASE = {"vllm": "0.11.1", "sglang": "0.5.5.post3"}


def check(engine, flag, value):
    flagset = flag_set(engine, RELEASE[engine])
    spec, negated = flagset.lookup(flag)
    return check_value(flagset, spec, negated, flag, value)


def test_pinned_versions_ship_as_package_data():
    for engine, version in flags.PINNED.items():
        data = flag_set_files.document("engines", engine, version)
        assert data["engine"] == engine and data["version"] == version
        assert flag_set(engine).label == f"{engine} {version}"


def test_flag_sets_are_loaded_once_per_process():
    assert flag_set("vllm", "0.11.1") is flag_set("vllm", "0.11.1")


def test_lookup_knows_names_aliases_negations_and_dotted_keys():
    vllm = flag_set("vllm", "0.11.1")
    assert vllm.lookup("--max-num-seqs")[0].name == "--max-num-seqs"
    assert vllm.lookup("-q")[0].name == "--quantization"
    assert vllm.lookup("--no-enable-prefix-caching") == (vllm.lookup("--enable-prefix-caching")[0], True)
    assert vllm.lookup("--compilation-config.mode")[0].name == "--compilation-config"
    assert vllm.lookup("--dtype.x") is None  # only JSON flags take dotted keys
    assert vllm.lookup("--max-batch-size") is None
    assert flag_set("sglang", "0.5.5.post3").lookup("--tp-size")[0].name == "--tensor-parallel-size"


def test_canonical_turns_aliases_into_the_flags_own_name():
    assert flag_set("vllm", "0.11.1").canonical("-tp") == "--tensor-parallel-size"
    assert flag_set("vllm", "0.11.1").canonical("--no-enforce-eager") == "--no-enforce-eager"
    assert flag_set("sglang", "0.5.5.post3").canonical("--model") == "--model-path"


def test_unknown_flag_suggests_the_closest_name():
    assert unknown_flag_problem(flag_set("vllm", "0.11.1"), "--max-batch-tokens") == (
        "--max-batch-tokens is not a vllm 0.11.1 flag (did you mean '--max-num-batched-tokens'?)")


def test_an_abbreviation_is_refused_with_the_full_name():
    assert unknown_flag_problem(flag_set("vllm", "0.11.1"), "--max-num-seq") == (
        "--max-num-seq is not a vllm 0.11.1 flag: the engine would take it as an abbreviation of --max-num-seqs; "
        "write the full name --max-num-seqs")
    assert "abbreviates several (--max-num-batched-tokens, --max-num-partial-prefills, --max-num-seqs)" in \
        unknown_flag_problem(flag_set("vllm", "0.11.1"), "--max-num")
    assert "abbreviation of --tensor-parallel-size" in unknown_flag_problem(flag_set("sglang", "0.5.5.post3"), "--tensor-par")


def test_sglang_store_true_has_no_negation():
    assert unknown_flag_problem(flag_set("sglang", "0.5.5.post3"), "--no-trust-remote-code") == (
        "--no-trust-remote-code is not a sglang 0.5.5.post3 flag: --trust-remote-code has no --no- form there; "
        "set --trust-remote-code to false (or leave it out) instead")


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_dtype_outside_choices_names_the_valid_values(engine):
    result = check(engine, "--dtype", "float8_e4m3")
    assert result.severity == "error"
    assert result.problem.startswith(f"'float8_e4m3' is not a valid --dtype for {flag_set(engine, RELEASE[engine]).label}: use one of ")
    assert "bfloat16" in result.problem and "--kv-cache-dtype fp8" in result.problem
    assert check(engine, "--dtype", "bf16").problem.endswith("(did you mean 'bfloat16'?)")
    assert check(engine, "--dtype", "bfloat16").problem is None


def test_sglang_kv_cache_dtype_has_no_plain_fp8():
    assert "use one of auto, fp8_e5m2, fp8_e4m3" in check("sglang", "--kv-cache-dtype", "fp8").problem
    assert check("vllm", "--kv-cache-dtype", "fp8").problem is None


@pytest.mark.parametrize("flag, value, ok", [
    ("--max-num-seqs", "256", True), ("--max-num-seqs", "2.5", False), ("--max-num-seqs", "many", False),
    ("--max-model-len", "32k", True), ("--max-model-len", "1M", True), ("--max-model-len", "1.5K", False),
    ("--max-model-len", "32768", True), ("--gpu-memory-utilization", "0.9", True),
    ("--gpu-memory-utilization", "high", False), ("--seed", "None", True),
    ("--speculative-config", '{"method": "ngram"}', True), ("--speculative-config", "{bad", False),
    ("--hf-overrides", "not json", True),  # json-or-str
])
def test_value_types(flag, value, ok):
    assert (check("vllm", flag, value).problem is None) is ok


def test_sglang_context_length_is_a_plain_int():
    assert check("sglang", "--context-length", "32k").problem == "--context-length takes a whole number, not '32k'"


def test_a_flag_that_needs_a_value_and_one_that_takes_several():
    assert check("vllm", "--dtype", None).problem == (
        "--dtype needs a value (one of auto, bfloat16, float, float16, float32, half)")
    assert check("vllm", "--dtype", ("half", "float16")).problem == "--dtype takes one value, not a list of 2"
    assert check("vllm", "--api-key", ("a", "b")).problem is None


def test_boolean_given_true_is_bare_false_is_off_anything_else_is_an_error():
    assert check("vllm", "--trust-remote-code", "True") == flags.Checked(None)
    assert check("vllm", "--trust-remote-code", "false").remove
    result = check("vllm", "--trust-remote-code", "yes")
    assert result.problem == ("--trust-remote-code is a boolean flag and takes no value ('yes' given): write true for "
                              "the bare flag or false for --no-trust-remote-code")
    assert check("sglang", "--trust-remote-code", "1").problem.endswith("write true for the bare flag or false to "
                                                                         "leave it out")


def test_post_parse_value_lists():
    quantization = check("vllm", "--quantization", "bitblas")  # a vLLM method, but not on ROCm
    assert quantization.severity == "error" and "on ROCm: use one of awq, gptq, fp8" in quantization.problem
    assert check("vllm", "--quantization", "fp8").problem is None
    # parser names are decided with the whole command line (a plugin flag may register more): startup_checks
    assert check("vllm", "--tool-call-parser", "my_plugin_parser").problem is None
    assert check("vllm", "--reasoning-parser", "my_plugin_parser").problem is None
    load_format = check("vllm", "--load-format", "my_loader")  # a class name may extend it: a warning
    assert load_format.severity == "warning" and "works only if a plugin registers it" in load_format.problem
    assert check("sglang", "--quantization", "w8a8_fp8").problem is None  # SGLang: argparse choices


def test_deprecated_flag_is_a_warning():
    result = check("vllm", "--disable-log-requests", None)
    assert (result.problem, result.severity) == ("--disable-log-requests is deprecated in vllm 0.11.1", "warning")


@pytest.mark.e2e
def test_a_flag_set_is_read_only_when_its_engine_is_used():
    import subprocess
    import sys

    from conftest import REPO

    code = ("import sys; from aimc.cli import main; from aimc.catalog import flag_sets as flags; "
            "rc = main(['build', 'examples/endpoints/llama-3-8b.yaml', '--inventory', 'examples/cluster.yaml']); "
            "print('loaded:', flags.read_flag_set.cache_info().currsize, file=sys.stderr); sys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines()[-1] == "loaded: 1"  # vLLM only: the endpoint uses no SGLang


def test_package_data_is_the_trimmed_reference():
    """tools/trim_flag_sets.py over the reference dumps gives the shipped files (skip when the reference is absent)."""
    import importlib.util

    from conftest import REFERENCE_ENGINES, REPO

    reference = REFERENCE_ENGINES
    spec = importlib.util.spec_from_file_location("trim", REPO / "tools" / "trim_flag_sets.py")
    trim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trim)
    for name in trim.PINNED:
        expected = trim.trim(json.loads((reference / name).read_text()))
        engine, _, version = name[:-len(".json")].partition("-")
        shipped = dict(flag_set_files.document("engines", engine, version))  # rebuilt from the stored edits
        # vLLM 0.11.1's `removed` was regenerated against 0.10.2 (tools/extract_flag_set.py --previous), the
        # version family of AMD's official profiles: a superset of the reference's list against 0.11.0.
        assert set(expected.pop("removed")) <= set(shipped.pop("removed")), name
        assert shipped == expected, name


def test_a_flag_the_previous_release_had_says_so():
    assert unknown_flag_problem(flag_set("vllm", "0.11.1"), "--rope-scaling") == (
        "--rope-scaling is not a vllm 0.11.1 flag: present in vLLM 0.10.2, absent in 0.11.1")
