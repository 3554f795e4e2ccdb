"""The engines' start-up checks that depend only on the arguments (aimc/resolve/startup_checks.py)."""

from __future__ import annotations

import pytest
from conftest import write_tree

from aimc.resolve.startup_checks import check


def _flags(problems) -> list[str]:
    return [p.flag for p in problems]


def test_auto_tool_choice_requires_a_tool_call_parser_in_every_vllm_version():
    for version in ("0.10.2", "0.11.1"):
        problems = check("vllm", version, {"--enable-auto-tool-choice": None}, 1)
        assert _flags(problems) == ["--enable-auto-tool-choice"]
        assert problems[0].message.startswith(f"--enable-auto-tool-choice requires --tool-call-parser: vLLM {version} "
                                              "refuses to start (validate_parsed_serve_args, vllm/entrypoints/")
        assert check("vllm", version, {"--enable-auto-tool-choice": None, "--tool-call-parser": "hermes"}, 1) == []


def test_log_outputs_requires_log_requests_from_vllm_0_11():
    assert _flags(check("vllm", "0.11.1", {"--enable-log-outputs": None}, 1)) == ["--enable-log-outputs"]
    assert check("vllm", "0.10.2", {"--enable-log-outputs": None}, 1) == []  # 0.10.2 has no such check
    assert check("vllm", "0.11.1", {"--enable-log-outputs": None, "--enable-log-requests": None}, 1) == []


@pytest.mark.parametrize("args, flag", [
    ({"--gpu-memory-utilization": "1.5"}, "--gpu-memory-utilization"),
    ({"--gpu-memory-utilization": "0"}, "--gpu-memory-utilization"),
    ({"--max-num-batched-tokens": "128", "--max-num-seqs": "256"}, "--max-num-batched-tokens"),
    ({"--max-num-batched-tokens": "8192", "--max-model-len": "32k", "--no-enable-chunked-prefill": None},
     "--max-num-batched-tokens"),
    ({"--max-num-partial-prefills": "2", "--no-enable-chunked-prefill": None}, "--max-num-partial-prefills"),
    ({"--max-long-partial-prefills": "2"}, "--max-long-partial-prefills"),
])
def test_vllm_scheduler_and_cache_checks(args, flag):
    assert _flags(check("vllm", "0.11.1", args, 1)) == [flag]


def test_vllm_settings_it_accepts_pass():
    assert check("vllm", "0.11.1", {"--gpu-memory-utilization": "1", "--max-num-batched-tokens": "8192",
                                    "--max-num-seqs": "256", "--max-model-len": "32768",
                                    "--max-num-partial-prefills": "2", "--max-long-partial-prefills": "2"}, 1) == []


@pytest.mark.parametrize("args, gpus, flag", [
    ({"--data-parallel-size": "2", "--enable-dp-lm-head": None}, 2, "--enable-dp-lm-head"),
    ({"--data-parallel-size": "4", "--enable-dp-attention": None}, 2, "--data-parallel-size"),
    ({"--pipeline-parallel-size": "2", "--enable-mixed-chunk": None}, 1, "--pipeline-parallel-size"),
    ({"--pipeline-parallel-size": "2", "--disable-overlap-schedule": None, "--enable-mixed-chunk": None}, 1,
     "--pipeline-parallel-size"),
    ({"--enable-priority-scheduling": None, "--schedule-policy": "lpm"}, 1, "--enable-priority-scheduling"),
    ({"--multi-item-scoring-delimiter": "1"}, 1, "--multi-item-scoring-delimiter"),
    ({"--max-loras-per-batch": "0"}, 1, "--max-loras-per-batch"),
    ({"--schedule-conservativeness": "-1"}, 1, "--schedule-conservativeness"),
])
def test_sglang_server_args_checks(args, gpus, flag):
    problems = check("sglang", "0.5.5.post3", args, gpus)
    assert _flags(problems) == [flag] and "SGLang 0.5.5.post3 refuses to start" in problems[0].message


def test_sglang_settings_it_accepts_pass():
    assert check("sglang", "0.5.5.post3", {"--data-parallel-size": "1", "--enable-dp-lm-head": None}, 1) == []
    assert check("sglang", "0.5.5.post3", {"--data-parallel-size": "2", "--enable-dp-attention": None}, 4) == []
    assert check("sglang", "0.5.5.post3", {"--pipeline-parallel-size": "2", "--disable-overlap-schedule": None},
                 1) == []
    assert check("sglang", "0.5.5.post3", {"--enable-priority-scheduling": None}, 1) == []  # default fcfs


def test_sglang_pipeline_parallelism_does_not_need_disable_overlap_schedule():
    # SGLang 0.5.5.post3 python/sglang/srt/server_args.py, ServerArgs._handle_pipeline_parallelism: `if self.pp_size
    # > 1: self.disable_overlap_schedule = True` runs in __post_init__, before check_server_args asserts it.
    assert check("sglang", "0.5.5.post3", {"--pipeline-parallel-size": "2"}, 4) == []


def test_an_unregistered_vllm_reasoning_parser_is_an_error_unless_a_plugin_may_register_it():
    # vLLM v0.11.1 vllm/entrypoints/openai/api_server.py, validate_api_server_args: `raise KeyError(f"invalid
    # reasoning parser: ...")` for a name not in ReasoningParserManager; setup_server imports the plugin file first.
    [problem] = check("vllm", "0.11.1", {"--reasoning-parser": "qwen3x"}, 1)
    assert (problem.flag, problem.severity) == ("--reasoning-parser", "error")
    assert ("vLLM 0.11.1 refuses to start (validate_api_server_args: KeyError, "
            "vllm/entrypoints/openai/api_server.py:1968)") in problem.message
    assert "(did you mean 'qwen3'?)" in problem.message
    [problem] = check("vllm", "0.11.1", {"--reasoning-parser": "mine", "--reasoning-parser-plugin": "/p/mine.py"}, 1)
    assert problem.severity == "warning" and "starts only if --reasoning-parser-plugin registers it" in problem.message
    assert check("vllm", "0.11.1", {"--reasoning-parser": "openai_gptoss"}, 1) == []


def test_an_unregistered_vllm_tool_call_parser_is_an_error_with_auto_tool_choice():
    # the same function checks the tool-call parser only `if args.enable_auto_tool_choice`
    [problem] = check("vllm", "0.11.1", {"--tool-call-parser": "mine", "--enable-auto-tool-choice": None}, 1)
    assert problem.severity == "error" and "refuses to start" in problem.message
    [problem] = check("vllm", "0.11.1", {"--tool-call-parser": "mine"}, 1)
    assert problem.severity == "warning"
    assert check("vllm", "0.11.1", {"--tool-call-parser": "mine", "--enable-auto-tool-choice": None,
                                    "--tool-parser-plugin": "/p/mine.py"}, 1)[0].severity == "warning"


def test_an_unknown_reasoning_parser_fails_the_build_at_its_line(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
                        "spec:\n  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n",
        "e.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
                  "spec:\n  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  customArgs:\n"
                  "    --reasoning-parser: qwen3x\n",
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert f"{tmp_path}/e.yaml:8: spec.customArgs.--reasoning-parser: 'qwen3x' is not a --reasoning-parser" in result.err


def test_a_start_up_problem_points_at_the_line_that_wrote_the_flag(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\n"
                        "spec:\n  nodePools: [{name: p, hardware: MI300X, gpusPerNode: 8, nodeCount: 1}]\n",
        "e.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: e}\n"
                  "spec:\n  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  customArgs:\n"
                  "    --enable-auto-tool-choice: true\n",
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1
    assert (f"{tmp_path}/e.yaml:8: spec.customArgs.--enable-auto-tool-choice: --enable-auto-tool-choice requires "
            "--tool-call-parser: vLLM 0.27.1 refuses to start") in result.err


# -- per version: each check runs where that release's source has it, and cites that release's line -------------

def test_each_check_cites_the_source_line_of_the_rendered_version():
    old = check("vllm", "0.11.1", {"--enable-auto-tool-choice": None}, 1)[0].message
    new = check("vllm", "0.34.0", {"--enable-auto-tool-choice": None}, 1)[0].message
    assert "(validate_parsed_serve_args, vllm/entrypoints/openai/cli_args.py:292)" in old
    assert "vLLM 0.34.0 refuses to start (validate_parsed_serve_args, vllm/entrypoints/common/cli_args.py:562)" in new
    sglang = check("sglang", "0.5.23", {"--schedule-conservativeness": "-1"}, 1)[0].message
    assert "SGLang 0.5.23 refuses to start (ServerArgs, sglang/srt/arg_groups/validation_hook.py:314)" in sglang


def test_checks_that_newer_vllm_releases_added():
    metrics = {"--enable-per-request-metrics": None, "--disable-log-stats": None}
    assert _flags(check("vllm", "0.27.1", metrics, 1)) == ["--enable-per-request-metrics"]
    assert check("vllm", "0.24.0", metrics, 1) == []  # 0.24.0's validate_parsed_serve_args has no such check
    assert _flags(check("vllm", "0.34.0", {"--sse-keep-alive-interval": "-1"}, 1)) == ["--sse-keep-alive-interval"]
    assert check("vllm", "0.27.1", {"--sse-keep-alive-interval": "-1"}, 1) == []


def test_chunked_prefill_off_in_either_spelling():
    for off in ("--no-enable-chunked-prefill", "--disable-chunked-prefill"):
        args = {"--max-num-batched-tokens": "8192", "--max-model-len": "32768", off: None}
        assert _flags(check("vllm", "0.34.0", args, 1)) == ["--max-num-batched-tokens"]


def test_sglang_checks_that_newer_releases_dropped_or_changed():
    lm_head = {"--dp-size": "2", "--enable-dp-lm-head": None}
    assert _flags(check("sglang", "0.5.14", lm_head, 2)) == ["--enable-dp-lm-head"]
    assert check("sglang", "0.5.16", lm_head, 2) == [] and check("sglang", "0.5.23", lm_head, 2) == []
    mis = {"--multi-item-scoring-delimiter": "1"}
    assert _flags(check("sglang", "0.5.5.post3", mis, 1)) and check("sglang", "0.5.16", mis, 1) == []
    eagle = {"--pp-size": "2", "--disable-overlap-schedule": None, "--speculative-algorithm": "EAGLE"}
    assert _flags(check("sglang", "0.5.16", eagle, 1)) == ["--pp-size"]
    assert check("sglang", "0.5.23", eagle, 1) == []  # 0.5.23 runs single-layer EAGLE under PP
    assert _flags(check("sglang", "0.5.23", {**eagle, "--speculative-algorithm": "NGRAM"}, 1)) == ["--pp-size"]


def test_every_cited_release_is_a_shipped_flag_set():
    from aimc.catalog.runtime import runtime
    from aimc.resolve.startup_checks import SOURCES

    for rule, sources in SOURCES.items():
        engine = rule.partition(":")[0]
        assert set(sources) <= set(runtime().engine(engine).flag_set_versions), rule
