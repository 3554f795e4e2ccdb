"""`aimc bench report`: the clients' result files and Job logs (tests/data/bench, see its README), comparisons, and
the figures recorded in a recipe for `aimc explain`."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import REPO, write_tree

from aimc.errors import UserError
from aimc.reports import bench

DATA = REPO / "tests" / "data" / "bench"


def test_vllm_result_fields():
    [result] = bench.read([str(DATA / "vllm-latency.json")])
    assert result.client == "vllm" and result.source.endswith("vllm-latency.json:1")
    assert dict(result.identity) == {"namespace": "inference", "endpoint": "qwen3-32b", "engine": "vllm",
                                     "model": "Qwen/Qwen3-32B", "recipe": "qwen3-32b-mi300x-bf16",
                                     "configuration": "vllm/1_gpu", "scenario": "latency",
                                     "image": "rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103"}
    assert (result.concurrency, result.request_rate, result.completed, result.failed) == (1, "inf", 32, 0)
    assert result.metric("ttft_p50_ms") == 47.62 and result.metric("ttft_p99_ms") == 61.35
    assert result.metric("itl_p50_ms") == 12.98 and result.metric("itl_p99_ms") == 16.87
    assert result.metric("total_throughput") == pytest.approx((32 * 1024 + 32 * 128) / 58.213)
    assert result.date == "20251128-141502"


def test_sglang_json_lines_with_infinity_and_the_tag():
    results = bench.read([str(DATA / "sglang-throughput.jsonl")])
    assert [r.concurrency for r in results] == [16, 64, 256]
    assert [r.source.rsplit(":", 1)[1] for r in results] == ["1", "2", "3"]
    first = results[0]
    assert first.client == "sglang" and first.request_rate == "inf" and first.failed is None
    assert first.get("configuration") == "sglang/2_gpu" and first.get("endpoint") == "qwen3-32b-multi"
    assert first.metric("total_throughput") == pytest.approx(512 * 2048 / 512.66)
    assert first.metric("itl_p99_ms") == 40.71 and first.metric("e2e_p50_ms") == 29790.0


def test_a_job_log_yields_the_results_among_the_clients_messages():
    [result] = bench.read([str(DATA / "job-vllm-latency.log")])
    assert result.source.endswith("job-vllm-latency.log:15")
    assert result.get("endpoint") == "qwen3-32b-multi" and result.get("configuration") == "vllm/2_gpu"


def test_a_result_run_by_hand_is_named_by_its_model():
    [result] = bench.read([str(DATA / "vllm-manual.json")])
    assert dict(result.identity) == {"model": "meta-llama/Llama-3.1-8B-Instruct"}
    assert result.concurrency is None and result.key()[1] == "meta-llama/Llama-3.1-8B-Instruct"


def test_a_file_without_results_is_an_error_naming_it(tmp_path):
    other = write_tree(tmp_path, {"x.json": json.dumps({"date": "x", "completed": 3})})
    with pytest.raises(UserError) as error:
        bench.read([str(other / "x.json"), str(tmp_path / "missing.json")])
    messages = [d.format() for d in error.value.diagnostics]
    assert messages[0].startswith(f"{other / 'x.json'}: no benchmark result found")
    assert messages[1].startswith(f"{tmp_path / 'missing.json'}: cannot read")


def test_compare_shows_the_relative_change_of_the_same_load():
    results = bench.compare(bench.read([str(DATA / "vllm-latency.json"), str(DATA / "sglang-throughput.jsonl")]),
                            bench.read([str(DATA / "vllm-latency-base.json")]))
    change = dict(results[0].change)
    assert change["ttft_p50_ms"] == pytest.approx(47.62 / 54.11 - 1)
    assert change["output_throughput"] == pytest.approx(63.904 / 58.213 - 1)
    assert all(r.change == () for r in results[1:])  # no base result for the SGLang runs


def test_report_formats(aimc):
    files = [str(DATA / "vllm-latency.json"), str(DATA / "sglang-throughput.jsonl")]
    text = aimc("bench", "report", *files)
    assert text.code == 0
    assert text.out.splitlines()[0].split()[:4] == ["endpoint", "engine", "configuration", "scenario"]
    assert "qwen3-32b-multi  sglang  sglang/2_gpu   throughput   256" in text.out
    markdown = aimc("bench", "report", "-f", "markdown", *files).out
    assert markdown.startswith("| endpoint | engine | configuration | scenario |")
    data = json.loads(aimc("bench", "report", "-f", "json", *files).out)
    assert len(data["results"]) == 4 and data["results"][0]["ttft_p50_ms"] == 47.62


def test_report_reads_stdin(aimc):
    log = (DATA / "job-vllm-latency.log").read_text()
    result = aimc("bench", "report", "-", stdin=log)
    assert result.code == 0 and "qwen3-32b-multi  vllm" in result.out


# -- recipe evidence --------------------------------------------------------------------------------------------

RECIPE = "qwen3-32b-mi300x-bf16"


def test_write_recipe_records_the_figures_and_keeps_the_rest(aimc, tmp_path):
    recipe = tmp_path / f"{RECIPE}.yaml"
    shutil.copy(REPO / "recipes" / f"{RECIPE}.yaml", recipe)
    original = recipe.read_text()
    result = aimc("bench", "report", str(DATA / "vllm-latency-base.json"), "--write-recipe", str(recipe))
    assert result.code == 0 and f"wrote 1 measurement to {recipe}" in result.err
    assert recipe.read_text().startswith(original.rstrip("\n") + "\n")
    aimc("bench", "report", str(DATA / "vllm-latency.json"), str(DATA / "sglang-throughput.jsonl"),
         "--write-recipe", str(recipe))
    text = recipe.read_text()
    assert text.startswith(original.rstrip("\n") + "\n") and text.count("benchmarks:") == 1
    data = yaml.safe_load(text)
    # The newer measurement of the same configuration and load replaced the older one; other recipes' are skipped.
    assert data["benchmarks"] == [{
        "configuration": "vllm/1_gpu", "scenario": "latency", "concurrency": 1, "requestRate": "inf",
        "image": "rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103", "date": "20251128-141502", "completed": 32,
        "requestThroughput": 0.55, "outputThroughput": 70.36, "totalThroughput": 633.26,
        "ttftMs": {"p50": 47.6, "p99": 61.4}, "itlMs": {"p50": 13.0, "p99": 16.9}}]
    assert aimc("recipes", "validate", str(recipe)).code == 0


def test_write_recipe_refuses_results_of_another_recipe(aimc, tmp_path):
    recipe = tmp_path / "qwen3-32b-mi250-bf16.yaml"
    shutil.copy(REPO / "recipes" / "qwen3-32b-mi250-bf16.yaml", recipe)
    result = aimc("bench", "report", str(DATA / "vllm-latency.json"), "--write-recipe", str(recipe))
    assert result.code == 1
    assert "recipe_id: no result was measured with recipe 'qwen3-32b-mi250-bf16'" in result.err


def test_explain_shows_the_measured_figures_of_the_selected_configuration(aimc, tmp_path):
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    recipe = recipes / f"{RECIPE}.yaml"
    shutil.copy(REPO / "recipes" / f"{RECIPE}.yaml", recipe)
    aimc("bench", "report", str(DATA / "vllm-latency.json"), "--write-recipe", str(recipe))
    endpoint = write_tree(tmp_path / "repo", {"e.yaml": (
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen3-32b}\n"
        "spec: {model: Qwen/Qwen3-32B, hardware: MI300X, gpuCount: 1}\n")})
    inventory = str(REPO / "examples" / "cluster.yaml")
    result = aimc("explain", "--recipes", str(recipes), "-i", inventory, str(endpoint))
    assert result.code == 0, result.err
    assert ("  measured (latency, concurrency 1, 20251128-141502): 70.36 output tok/s, TTFT p50 47.6 ms p99 61.4 ms, "
            "ITL p50 13.0 ms p99 16.9 ms") in result.out
    assert "measured" not in aimc("explain", "-i", inventory, str(endpoint)).out


def test_the_readme_sample_report_is_what_aimc_prints():
    sample = (REPO / "tests" / "cases" / "bench-report-markdown" / "expected.yaml").read_text()
    assert sample in (REPO / "docs" / "operations" / "benchmarks.md").read_text()


# -- hostile results: an error at file:line naming the field, or output that is exactly what it claims ------------

def _vllm(**fields) -> dict:
    data = json.loads((DATA / "vllm-latency.json").read_text())
    data.update(fields)
    return data


@pytest.mark.parametrize("fields, expected", [
    ({"completed": "abc"}, "r.jsonl:1: completed: 'abc' is not valid: expected a whole number"),
    ({"completed": float("nan")}, "r.jsonl:1: completed: 'nan' is not valid"),
    ({"failed": -1}, "r.jsonl:1: failed: '-1' is not valid"),
    ({"request_rate": "fast"}, "r.jsonl:1: request_rate: 'fast' is not valid"),
    ({"date": {"a": 1}}, "r.jsonl:1: date: \"{'a': 1}\" is not valid: expected a string"),
])
def test_a_result_field_of_the_wrong_type_is_an_error_at_its_line(tmp_path, fields, expected):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(_vllm(**fields)) + "\n")
    with pytest.raises(UserError) as error:
        bench.read([str(path)])
    assert any(expected in d.format() for d in error.value.diagnostics), error.value


def test_mixed_types_in_max_concurrency_and_deep_nesting_are_errors_not_crashes(tmp_path, aimc):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(_vllm(max_concurrency="8")) + "\n" + json.dumps(_vllm(max_concurrency=4)) + "\n"
                    + '{"a": ' + "[" * 5000 + "]" * 5000 + "}\n")
    run = aimc("bench", "report", str(path))
    assert run.code == 1 and run.out == "", run
    assert "r.jsonl:1: max_concurrency: '8' is not valid" in run.err
    assert "r.jsonl:3: cannot read this result: nested too deeply" in run.err


def test_figures_that_are_not_numbers_are_missing_and_json_stays_json(tmp_path, aimc):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_vllm(median_ttft_ms=float("nan"), p99_ttft_ms=float("-inf"))))
    run = aimc("bench", "report", "-f", "json", str(path))
    assert run.code == 0, run
    assert "NaN" not in run.out and "Infinity" not in run.out
    [item] = json.loads(run.out)["results"]
    assert item["ttft_p50_ms"] is None and item["ttft_p99_ms"] is None


def test_markdown_and_text_reports_escape_what_the_results_say(tmp_path, aimc):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_vllm(aimc_endpoint="x | y\n| injected | row |\n\x1b[31m<img src=x>",
                                     aimc_configuration="*bold* [link](http://e)")))
    markdown = aimc("bench", "report", "-f", "markdown", str(path)).out
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 3 and "| injected |" not in markdown and "\x1b" not in markdown
    assert "x \\| y\\\\n\\| injected \\| row \\|\\\\n\\\\x1b\\[31m\\<img src=x\\>" in rows[2]
    assert "\\*bold\\* \\[link\\](http://e)" in rows[2]
    text = aimc("bench", "report", str(path)).out
    assert "\x1b" not in text and "injected" in text and len(text.splitlines()) == 5


# -- --write-recipe edits the benchmarks field alone, atomically, under a lock --------------------------------------

def _result_file(folder, concurrency: int, **changes) -> str:
    data = json.loads((DATA / "vllm-latency.json").read_text())
    data.update(max_concurrency=concurrency, **changes)
    path = folder / f"result-c{concurrency}.json"
    path.write_text(json.dumps(data))
    return str(path)


def _quoted_key_recipe(tmp_path):
    """The built-in recipe with an earlier benchmarks block placed first and the engine keys quoted."""
    original = (REPO / "recipes" / f"{RECIPE}.yaml").read_text()
    text = original.replace("\nvllm_serve:", '\n"vllm_serve":').replace("\nsglang_serve:", "\n'sglang_serve':")
    head, sep, rest = text.partition('\n"vllm_serve":')
    old_block = ("# Measured by `aimc bench report --write-recipe` (see README, Benchmarks).\nbenchmarks:\n"
                 "- {configuration: vllm/1_gpu, scenario: latency, concurrency: 4, requestRate: inf, completed: 1}\n"
                 "# vLLM: what the recipe serves with  (a comment of the next key)\n")
    recipe = tmp_path / f"{RECIPE}.yaml"
    recipe.write_text(head + "\n" + old_block + sep.lstrip("\n") + rest)
    return recipe


def test_write_recipe_edits_the_block_in_place_and_keeps_quoted_keys_and_comments(aimc, tmp_path):
    """The old edit removed everything up to the next unquoted top-level key: every vLLM configuration was lost."""
    recipe = _quoted_key_recipe(tmp_path)
    before = recipe.read_text()
    before_data = yaml.safe_load(before)
    result = aimc("bench", "report", _result_file(tmp_path, 1), "--write-recipe", str(recipe))
    assert result.code == 0, result.err
    after = recipe.read_text()
    data = yaml.safe_load(after)
    assert {k: v for k, v in data.items() if k != "benchmarks"} == {
        k: v for k, v in before_data.items() if k != "benchmarks"}
    assert [e["concurrency"] for e in data["benchmarks"]] == [1, 4]
    # Outside the block, every line is as it was, in its place.
    block = lambda text: text.split("\nbenchmarks:\n", 1)[1].split("# vLLM:", 1)
    assert before.split("\nbenchmarks:\n")[0] == after.split("\nbenchmarks:\n")[0]
    assert block(before)[1] == block(after)[1]
    assert aimc("recipes", "validate", str(recipe)).code == 0


def test_write_recipe_rewrites_a_json_recipe_as_json(aimc, tmp_path):
    recipe = tmp_path / f"{RECIPE}.yaml"
    original = yaml.safe_load((REPO / "recipes" / f"{RECIPE}.yaml").read_text())
    recipe.write_text(json.dumps(original, indent=4) + "\n")
    result = aimc("bench", "report", _result_file(tmp_path, 1), "--write-recipe", str(recipe))
    assert result.code == 0, result.err
    data = json.loads(recipe.read_text())  # used to be JSON with a YAML block appended
    assert list(data)[:-1] == list(original) and data["benchmarks"][0]["concurrency"] == 1
    assert recipe.read_text().startswith('{\n    "recipe_id"')
    assert aimc("recipes", "validate", str(recipe)).code == 0


def test_write_recipe_leaves_out_figures_that_are_not_numbers(aimc, tmp_path):
    recipe = tmp_path / f"{RECIPE}.yaml"
    shutil.copy(REPO / "recipes" / f"{RECIPE}.yaml", recipe)
    result_file = _result_file(tmp_path, 1)
    text = open(result_file).read().replace('"output_throughput": 70.36229021009053', '"output_throughput": NaN')
    text = text.replace('"p99_ttft_ms": 61.35', '"p99_ttft_ms": -Infinity')
    open(result_file, "w").write(text)
    result = aimc("bench", "report", result_file, "--write-recipe", str(recipe))
    assert result.code == 0, result.err
    written = recipe.read_text()
    assert ".nan" not in written and ".inf" not in written
    entry = yaml.safe_load(written)["benchmarks"][0]
    assert "outputThroughput" not in entry and entry["ttftMs"] == {"p50": 47.6}
    assert aimc("recipes", "validate", str(recipe)).code == 0


def test_a_failed_write_leaves_the_recipe_whole_and_says_so(aimc, tmp_path, monkeypatch):
    recipe = tmp_path / f"{RECIPE}.yaml"
    shutil.copy(REPO / "recipes" / f"{RECIPE}.yaml", recipe)
    before = recipe.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("aimc.emit.files.os.fsync", disk_full)
    result = aimc("bench", "report", _result_file(tmp_path, 1), "--write-recipe", str(recipe))
    assert result.code == 1
    assert f"{recipe}: cannot write: No space left on device; the recipe is unchanged" in result.err
    assert "output" not in result.err.split("\n")[-2]
    assert recipe.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_write_recipe_refuses_an_edit_that_would_not_validate(aimc, tmp_path):
    recipe = tmp_path / f"{RECIPE}.yaml"
    text = (REPO / "recipes" / f"{RECIPE}.yaml").read_text() + "benchmarks: 7\n"
    recipe.write_text(text)
    result = aimc("bench", "report", _result_file(tmp_path, 1), "--write-recipe", str(recipe))
    assert result.code == 1 and "benchmarks" in result.err
    assert recipe.read_text() == text


@pytest.mark.e2e
def test_eight_concurrent_writers_keep_all_eight_entries(tmp_path):
    """Each used to read the file, then truncate and rewrite it: 1-3 of 8 entries survived, each reporting success."""
    import os
    import subprocess
    import sys

    recipe = tmp_path / f"{RECIPE}.yaml"
    shutil.copy(REPO / "recipes" / f"{RECIPE}.yaml", recipe)
    results = [_result_file(tmp_path, concurrency) for concurrency in range(1, 9)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [subprocess.Popen([sys.executable, "-m", "aimc", "bench", "report", path, "--write-recipe", str(recipe)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for path in results]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    entries = yaml.safe_load(recipe.read_text())["benchmarks"]
    assert sorted(e["concurrency"] for e in entries) == list(range(1, 9))


# -- the CI gate: --fail-on-regression ---------------------------------------------------------------------------

def test_fail_on_regression_passes_an_improvement_and_fails_a_regression(aimc):
    """vllm-latency.json is faster than vllm-latency-base.json: as the new run it passes, as the old one it fails,
    with one error per figure naming the result's file:line, the figure, the change and both values."""
    new, old = str(DATA / "vllm-latency.json"), str(DATA / "vllm-latency-base.json")
    assert aimc("bench", "report", new, "--compare", old, "--fail-on-regression", "5").code == 0
    worse = aimc("bench", "report", old, "--compare", new, "--fail-on-regression", "5")
    assert worse.code == 1 and worse.out.startswith("endpoint")  # the report is still printed
    lines = worse.err.splitlines()
    assert f"{old}:1: ttft_p50_ms: qwen3-32b vllm latency concurrency 1: TTFT p50 rose 13.6% (47.62 -> 54.11), " \
           "more than the 5% --fail-on-regression allows" in lines
    assert any(line.startswith(f"{old}:1: output_throughput:") and "fell 8.9%" in line for line in lines)
    assert lines[-1] == "aimc: 8 errors"


def test_fail_on_regression_threshold(aimc):
    new, old = str(DATA / "vllm-latency.json"), str(DATA / "vllm-latency-base.json")
    run = aimc("bench", "report", old, "--compare", new, "--fail-on-regression", "12")
    assert run.code == 1 and "ttft_p50_ms" in run.err and "output_throughput" not in run.err  # 13.6 % > 12 > 8.9 %
    assert aimc("bench", "report", old, "--compare", new, "--fail-on-regression", "15").code == 0


def test_fail_on_regression_needs_something_to_compare(aimc):
    only = aimc("bench", "report", str(DATA / "vllm-latency.json"), "--fail-on-regression", "5")
    assert only.code == 2 and "needs --compare" in only.err
    unrelated = aimc("bench", "report", str(DATA / "sglang-throughput.jsonl"), "--compare",
                     str(DATA / "vllm-latency.json"), "--fail-on-regression", "5")
    assert unrelated.code == 1 and "nothing to gate" in unrelated.err
    assert aimc("bench", "report", str(DATA / "vllm-latency.json"), "--compare", str(DATA / "vllm-latency.json"),
                "--fail-on-regression", "-1").code == 2
