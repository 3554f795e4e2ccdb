"""Benchmark Jobs: `aimc bench` and `spec.benchmark` (PostSync hooks); commands checked against the clients' flags."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, write_tree

from aimc.catalog import bench_flags
from aimc.render import benchmark as render_bench
from aimc.validate import scenarios

CASES = REPO / "tests" / "cases"
BENCH_CASES = ("bench-postsync", "bench-jobs-latency", "bench-jobs-throughput", "bench-custom-scenario")
ENDPOINT = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: qwen3-32b}
spec:
  model: Qwen/Qwen3-32B
  hardware: MI300X
  servingEngines: [vllm, sglang]
"""


def is_benchmark_job(obj: dict) -> bool:
    """A benchmark Job; a shared model cache also renders download Jobs (render/download.py)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return obj.get("kind") == "Job" and labels.get("app.kubernetes.io/component") == "benchmark"


def jobs_of(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and is_benchmark_job(d)]


def golden_jobs() -> list[tuple[str, dict]]:
    return [(case, job) for case in BENCH_CASES for job in jobs_of((CASES / case / "expected.yaml").read_text())]


def client_commands(job: dict) -> list[tuple[str, list[str]]]:
    """(engine, arguments) of every load-generator command in the Job's script."""
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    out = []
    for line in script.splitlines():
        words = shlex.split(line)
        for engine, command in render_bench.COMMANDS.items():
            if tuple(words[:len(command)]) == command:
                assert words[-1] == ">&2", "the client's own output goes to stderr; stdout carries only results"
                out.append((engine, words[len(command):-1]))
    return out


# -- the clients' flag sets -------------------------------------------------------------------------------------

def test_every_rendered_command_parses_with_the_clients_flag_set():
    checked = {"vllm": 0, "sglang": 0}
    for case, job in golden_jobs():
        commands = client_commands(job)
        assert commands, f"{case}: {job['metadata']['name']} runs no client"
        for engine, args in commands:
            assert bench_flags.problems(engine, args) == [], f"{case}: {job['metadata']['name']}: {args}"
            checked[engine] += 1
    assert checked["vllm"] >= 8 and checked["sglang"] >= 5


def test_both_clients_ignore_the_end_of_sequence():
    # vLLM 0.11.1 vllm/benchmarks/serve.py: `--ignore-eos` ("Set ignore_eos flag when sending the benchmark request")
    # is off by default; SGLang python/sglang/bench_serving.py ignores EOS unless `--disable-ignore-eos`. Without it a
    # vLLM answer stops at the model's end of sequence, short of --random-output-len, and the engines are compared on
    # different output lengths.
    assert "--ignore-eos" in {f["name"] for f in bench_flags.load("vllm")["flags"]}
    seen = {"vllm": 0, "sglang": 0}
    for _, job in golden_jobs():
        for engine, args in client_commands(job):
            assert ("--ignore-eos" in args) == (engine == "vllm") and "--disable-ignore-eos" not in args
            seen[engine] += 1
    assert seen["vllm"] and seen["sglang"]


def test_the_flag_set_parser_refuses_what_the_client_would():
    good = client_commands(jobs_of((CASES / "bench-jobs-latency" / "expected.yaml").read_text())[0])[0]
    engine, args = good
    assert bench_flags.problems(engine, args) == []
    assert bench_flags.problems("vllm", ["--model", "m", "--flush-cache"])  # SGLang's, not a flag of vllm bench serve
    assert bench_flags.problems("vllm", ["--model", "m", "--num-prom", "5"])  # no abbreviations
    assert bench_flags.problems("vllm", ["--model", "m", "--dataset-name", "random-ids"])  # SGLang's, not vLLM's
    assert not bench_flags.load("vllm")["required"]  # 0.27.1's client reads the model from the server (0.11.1's
    # required --model: aimc always passes it)
    assert bench_flags.problems("sglang", ["--max-concurrency", "many"])  # an int
    assert bench_flags.problems("sglang", ["--result-dir", "/tmp"])  # vLLM's, not SGLang's


def test_flag_sets_record_the_release_they_were_read_from():
    for engine, version, tool in (("vllm", "0.27.1", "vllm bench serve"),
                                  ("sglang", "0.5.16", "python3 -m sglang.bench_serving")):
        flag_set = bench_flags.load(engine)
        assert (flag_set["engine"], flag_set["version"], flag_set["tool"]) == (engine, version, tool)
        assert f"@v{version} (PyPI wheel" in flag_set["source"]
    names = {f["name"] for f in bench_flags.load("sglang")["flags"]}
    assert {"--dataset-name", "--random-input-len", "--output-file", "--tag", "--max-concurrency"} <= names


def test_sglang_0_5_23s_client_is_shipped_with_the_flags_only_it_has():
    """0.5.23's bench client (sglang/benchmark/serving.py cli_main) adds --goodput, --flush-cache-timeout,
    --rust-client and --rust-worker-threads to 0.5.16's; the flag set is read from its wheel by
    tools/extract_bench_flags.py."""
    assert {("sglang", "0.5.16"), ("sglang", "0.5.23")} <= bench_flags.shipped()
    flag_set = bench_flags.load("sglang", "0.5.23")
    assert (flag_set["version"], flag_set["tool"]) == ("0.5.23", "python3 -m sglang.bench_serving")
    assert "sgl-project/sglang@v0.5.23 (PyPI wheel sglang-0.5.23-" in flag_set["source"]
    argv = ["--rust-client", "--rust-worker-threads", "4", "--goodput", "ttft:300", "--flush-cache-timeout", "5"]
    assert bench_flags.problems("sglang", argv, "0.5.23") == []
    assert bench_flags.problems("sglang", ["--rust-client"], "0.5.16")  # not a flag of 0.5.16's client
    assert bench_flags.problems("sglang", ["--rust-worker-threads", "four"], "0.5.23")  # an int
    assert bench_flags.load("sglang")["version"] == "0.5.16"  # the default image's client stays the default


@pytest.mark.skipif(not os.environ.get("AIMC_BENCH_WHEELS"), reason="set AIMC_BENCH_WHEELS to a folder holding the "
                    "vllm 0.11.1 and sglang 0.5.5.post3 / 0.5.16 / 0.5.23 wheels (pip download NAME==VERSION "
                    "--no-deps)")
def test_shipped_flag_sets_are_what_the_tool_extracts_from_the_wheels():
    """The wheel-only (AST) route, for the releases it reads (SGLang 0.5.16's gives exactly the flags its
    --installed extraction gave; 0.5.23's was written by it); the others are extracted with --installed in a venv
    that has the engine (tools/refresh_engine.py), and SHA256SUMS checks what is stored of them."""
    sys.path.insert(0, str(REPO / "tools"))
    import extract_bench_flags

    from aimc.catalog.flag_set_files import document

    for wheel in sorted(Path(os.environ["AIMC_BENCH_WHEELS"]).glob("*.whl")):
        engine, version = wheel.name.split("-")[:2]
        if (engine, version) not in (("vllm", "0.11.1"), ("sglang", "0.5.5.post3"), ("sglang", "0.5.16"),
                                     ("sglang", "0.5.23")):
            continue
        data = json.loads(json.dumps(extract_bench_flags.extract(str(wheel)), sort_keys=True))
        stored = document("bench", engine, version)
        if version == "0.5.16":  # its source names the --installed route it was stored from
            data["source"] = stored["source"]
        assert stored == data


# -- the Job ----------------------------------------------------------------------------------------------------

def test_jobs_request_no_gpu_are_bounded_and_keep_out_of_the_endpoint_selectors():
    for case, job in golden_jobs():
        spec, pod = job["spec"], job["spec"]["template"]["spec"]
        assert spec["backoffLimit"] == 0 and spec["ttlSecondsAfterFinished"] == 86400
        assert 60 <= spec["activeDeadlineSeconds"] <= 86400
        assert pod["restartPolicy"] == "Never" and pod["enableServiceLinks"] is False
        container = pod["containers"][0]
        resources = json.dumps(container["resources"])
        assert "gpu" not in resources, f"{case}: {job['metadata']['name']} asks for a GPU"
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "privileged": False,
                                                "capabilities": {"drop": ["ALL"]}}
        for labels in (job["metadata"]["labels"], spec["template"]["metadata"]["labels"]):
            assert "aim.engine.amd.com/endpoint" not in labels and "aim.engine.amd.com/engine" not in labels
        assert len(job["metadata"]["name"]) <= 63


def test_results_go_to_stdout_and_to_the_claim_only_when_one_is_declared(aimc):
    with_claim = jobs_of(aimc("bench", "--results-claim", "bench-results", "examples/").out)
    without = jobs_of(aimc("bench", "examples/").out)
    for job in without:
        pod = job["spec"]["template"]["spec"]
        assert [v["name"] for v in pod["volumes"]] == ["work"]
        script = pod["containers"][0]["command"][2]
        assert script.count("cat /tmp/aimc-bench/") == len(client_commands(job)) and "/results" not in script
    for job in with_claim:
        pod = job["spec"]["template"]["spec"]
        assert pod["volumes"][1] == {"name": "results", "persistentVolumeClaim": {"claimName": "bench-results"}}
        script = pod["containers"][0]["command"][2]
        assert script.count("cp /tmp/aimc-bench/") == len(client_commands(job))


def test_post_sync_jobs_are_argo_cd_hooks_replaced_by_the_next_sync():
    jobs = jobs_of((CASES / "bench-postsync" / "expected.yaml").read_text())
    assert sorted(j["metadata"]["name"] for j in jobs) == [
        "llama-3-8b-vllm-bench-smoke", "qwen3-32b-sglang-bench-smoke", "qwen3-32b-vllm-bench-smoke"]
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/hook"] == "PostSync"
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    llama = next(j for j in jobs if j["metadata"]["name"].startswith("llama"))
    env = llama["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llama-api-key", "key": "key"}}} in env
    # `aimc bench` prints the same Jobs, without the hook annotations.
    for job in jobs_of((CASES / "bench-jobs-latency" / "expected.yaml").read_text()):
        assert not any(k.startswith("argocd.argoproj.io/") for k in job["metadata"]["annotations"])


def test_a_post_sync_hook_runs_the_smoke_scenario_by_default_and_nothing_long(aimc, tmp_path):
    # argo-cd docs/user-guide/sync-waves.md ("How phases work?"): PostSync hooks run after the resources are Healthy;
    # "If any of them fails the whole sync process will be marked as failed", and the operation stays Running
    # ("waiting for completion of hook batch/Job/...", gitops-engine pkg/sync/sync_context.go) until they end.
    write_tree(tmp_path, {"e.yaml": ENDPOINT + "  benchmark: {}\n"})
    jobs = jobs_of(aimc("build", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path)).out)
    assert {j["metadata"]["annotations"][render_bench.SCENARIO_ANNOTATION] for j in jobs} == {"smoke"}
    assert {j["spec"]["activeDeadlineSeconds"] for j in jobs} == {600}
    write_tree(tmp_path, {"e.yaml": ENDPOINT + "  benchmark:\n    scenario: latency\n"})
    result = aimc("build", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path))
    assert result.code == 1 and result.out == ""
    assert (f"{tmp_path}/e.yaml:9: spec.benchmark.scenario: scenario 'latency' may run 1800 s: as an Argo CD PostSync "
            "hook it would keep every sync of this application Running that long") in result.err
    assert "run it with `aimc bench --scenario latency` instead" in result.err
    # `aimc bench` runs any scenario, the endpoint's hook or not
    assert aimc("bench", "--scenario", "throughput", "-i", str(REPO / "examples" / "cluster.yaml"),
                str(tmp_path)).code == 1  # the endpoint itself is still invalid
    write_tree(tmp_path, {"e.yaml": ENDPOINT})
    jobs = jobs_of(aimc("bench", "--scenario", "throughput", "-i", str(REPO / "examples" / "cluster.yaml"),
                        str(tmp_path)).out)
    assert {j["spec"]["activeDeadlineSeconds"] for j in jobs} == {7200}


def test_spec_benchmark_adds_the_jobs_and_nothing_else(aimc, tmp_path):
    plain = write_tree(tmp_path / "plain", {"endpoint.yaml": ENDPOINT})
    measured = write_tree(tmp_path / "measured", {"endpoint.yaml": ENDPOINT + "  benchmark: {scenario: smoke}\n"})
    inventory = str(REPO / "examples" / "cluster.yaml")
    before = aimc("build", "-i", inventory, "-f", "json", str(plain)).out
    after = aimc("build", "-i", inventory, "-f", "json", str(measured)).out
    items_before = json.loads(before)["items"]
    items_after = [i for i in json.loads(after)["items"] if not is_benchmark_job(i)]
    assert items_after == items_before
    assert len(json.loads(after)["items"]) == len(items_before) + 2


def test_bench_jobs_validate_against_the_kubernetes_models(aimc):
    result = aimc("validate", "tests/cases/bench-postsync/inputs")
    assert result.code == 0, result.err
    from aimc.k8s import typed_models
    from aimc.render import Rendered

    objects = [Rendered(j, "x") for j in jobs_of(aimc("bench", "--scenario", "throughput", "examples/").out)]
    assert objects and typed_models.check_objects(objects) == []
    import kube_schemas
    from test_cli_build import NEWEST_KUBERNETES, OLDEST_KUBERNETES

    for _, job in golden_jobs():  # the Kubernetes OpenAPI schemas, strictly (no unknown field), offline
        for version in (OLDEST_KUBERNETES, NEWEST_KUBERNETES):
            kube_schemas.validate(job, version)


def test_long_names_are_cut_to_a_valid_job_name(aimc, tmp_path):
    name = "a" * 50
    write_tree(tmp_path, {"e.yaml": ENDPOINT.replace("name: qwen3-32b", f"name: {name}")})
    jobs = jobs_of(aimc("bench", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path)).out)
    names = [j["metadata"]["name"] for j in jobs]
    assert all(len(n) <= 63 and n.startswith(name) for n in names) and len(set(names)) == 2


# -- scenarios --------------------------------------------------------------------------------------------------

def test_builtin_scenarios_are_smoke_latency_and_throughput():
    by_name = {s.name: s for s in scenarios.builtin()}
    assert list(by_name) == ["smoke", "latency", "throughput"]
    assert by_name["smoke"].timeout_seconds <= scenarios.MAX_POST_SYNC_SECONDS < by_name["latency"].timeout_seconds
    assert by_name["latency"].runs() == ((1, None),)
    assert [c for c, _ in by_name["throughput"].runs()] == [16, 64, 256]


def test_a_repository_scenario_replaces_a_builtin_one_of_the_same_name(aimc, tmp_path):
    scenario = (CASES / "bench-custom-scenario" / "inputs" / "scenarios.yaml").read_text()
    write_tree(tmp_path, {"e.yaml": ENDPOINT, "s.yaml": scenario.replace("name: long-context", "name: latency")})
    jobs = jobs_of(aimc("bench", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path)).out)
    assert jobs and all("--random-input-len 16000" in j["spec"]["template"]["spec"]["containers"][0]["command"][2]
                        for j in jobs)


def test_scenario_problems_name_the_file_and_line(aimc, tmp_path):
    scenario = (CASES / "bench-custom-scenario" / "inputs" / "scenarios.yaml").read_text()
    write_tree(tmp_path, {"e.yaml": ENDPOINT, "s.yaml": scenario + "---\n" + scenario.replace("prompts: 100",
                                                                                              "prompts: 0")})
    result = aimc("bench", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path))
    assert result.code == 1 and result.out == ""
    assert "s.yaml:25: spec.prompts: 0 is less than the minimum of 1" in result.err
    write_tree(tmp_path, {"s.yaml": scenario + "---\n" + scenario})
    result = aimc("bench", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path))
    assert result.code == 1
    assert "s.yaml:19: metadata.name: scenario 'long-context' is also defined at " in result.err
    assert result.err.rstrip().endswith("s.yaml:5; rename one of them\naimc: 1 error")


def test_unknown_scenario_or_endpoint_on_the_command_line_is_a_user_error(aimc):
    result = aimc("bench", "--scenario", "latencyy", "examples/")
    assert result.code == 1 and result.out == ""
    assert ("--scenario: unknown scenario 'latencyy' (did you mean 'latency'?); known: smoke, latency, throughput"
            in result.err)
    result = aimc("bench", "--endpoint", "qwen3-32", "examples/")
    assert result.code == 1 and "--endpoint: no endpoint named 'qwen3-32' (did you mean 'qwen3-32b'?)" in result.err


def test_bench_dispatches_paths_to_jobs_and_report_to_the_report(aimc):
    assert "report" in aimc("bench", "--help").out
    assert aimc("bench", "--endpoint", "llama-3-8b", "examples/").out.count("kind: Job") == 1
    assert aimc("bench", "report").code == 2  # a report needs result files


def test_the_scenario_schema_is_exported(aimc):
    result = aimc("schema", "AIMBenchmarkScenario")
    assert result.code == 0 and json.loads(result.out)["title"] == "AIMBenchmarkScenario"


# -- $(VAR) and shell syntax in what reaches the Job: as the engine's own args, never run ---------------------------

HOSTILE_MODEL = "acme/x-$(API_KEY)-'`touch pwned`$(touch pwned2)-$$(API_KEY) \\\""
HOSTILE_INPUTS = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMModel
metadata: {{name: hostile}}
spec: {{id: {model}, parametersB: 8, layers: 32, attentionHeads: 32, kvHeads: 8, hiddenSize: 4096,
       maxContextLength: 8192}}
---
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {{name: hostile}}
spec:
  model: {model}
  hardware: MI300X
  servingEngines: [{engine}]
  env: [{{name: API_KEY, valueFrom: {{secretKeyRef: {{name: chat-api-key, key: key}}}}}}]
  customArgs: {{--api-key: "$(API_KEY)"}}
  benchmark: {{scenario: smoke}}
"""


@pytest.mark.e2e
@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_the_job_asks_for_the_model_name_the_server_was_given_and_runs_no_input(aimc, tmp_path, engine):
    import kube_expansion

    write_tree(tmp_path / "in", {"e.yaml": HOSTILE_INPUTS.format(model=json.dumps(HOSTILE_MODEL), engine=engine)})
    built = aimc("build", "-i", str(REPO / "examples" / "cluster.yaml"), str(tmp_path / "in"))
    assert built.code == 0, built.err
    objects = list(yaml.safe_load_all(built.out))
    server = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == f"hostile-{engine}")
    server = server["spec"]["template"]["spec"]["containers"][0]
    [job] = jobs_of(built.out)
    client = job["spec"]["template"]["spec"]["containers"][0]
    secrets = {"API_KEY": "the-secret-key", "OPENAI_API_KEY": "the-secret-key", "HF_TOKEN": "hf-token"}
    # The server's arguments as Kubernetes expands them.
    server_args = kube_expansion.argv(server, secrets)
    served = server_args[server_args.index("--served-model-name") + 1]
    assert served == "acme/x-the-secret-key-'`touch pwned`$(touch pwned2)-$(API_KEY) \\\""
    # The client's, through the kubelet and a real shell, with the work folder moved into the test's.
    work = tmp_path / "work"
    work.mkdir()
    client = {**client, "command": [*client["command"][:2], client["command"][2].replace(render_bench.WORK_DIR,
                                                                                        str(work)),
                                    *client["command"][3:]]}
    runs = kube_expansion.run_in_shell(kube_expansion.argv(client, secrets), tmp_path,
                                       programs=("python3", "vllm"))
    assert runs  # one per run of the smoke scenario
    assert not list(tmp_path.rglob("pwned*")), "a value was run by the shell"
    for run in runs:
        assert run[run.index("--served-model-name") + 1] == served
        assert run[run.index("--model") + 1] == served  # a generated recipe loads the model id's weights
        tags = " ".join(run[run.index("--metadata") + 1:]) if engine == "vllm" else run[run.index("--tag") + 1]
        assert f" aimc_model={served} aimc_recipe=" in tags
    # The client sends the key the server reads through --api-key "$(API_KEY)".
    assert {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "chat-api-key", "key": "key"}}} in (
        client["env"])
