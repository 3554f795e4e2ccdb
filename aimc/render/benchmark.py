"""The benchmark Job of one engine of one endpoint: the engine image's own load generator against its Service.

vLLM images hold `vllm bench serve`, SGLang images `python3 -m sglang.bench_serving`; both generate random prompts
of fixed token lengths (no dataset download; only the tokenizer is fetched) and write one JSON result per run. The
pod runs one command per run of the scenario (each concurrency x request rate), sends the client's own output to
stderr and prints each result file, one JSON object per line, on stdout, so `kubectl logs job/NAME` is what
`aimc bench report` reads. With a results claim the files are also kept under /results/<endpoint>/<engine>/.
"""

from __future__ import annotations

import copy
import hashlib
import shlex

from aimc.model.benchmark import BenchmarkInputs, Scenario
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import thawed
from aimc.render import Rendered, secrets, service
from aimc.render import labels as L

COMMANDS = {"vllm": ("vllm", "bench", "serve"), "sglang": ("python3", "-m", "sglang.bench_serving")}
WORK_DIR = "/tmp/aimc-bench"  # an emptyDir: the client writes its result file here before it is printed
RESULTS_DIR = "/results"  # the results claim, when there is one
BACKOFF_LIMIT = 0  # a failed benchmark is a finding to read in its log, not something to retry silently
TTL_SECONDS_AFTER_FINISHED = 86400  # a day to read the log before the Job and its pod are deleted
HEALTH_POLL_SECONDS = 10
RESOURCES = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "8Gi"}}
POST_SYNC = {"argocd.argoproj.io/hook": "PostSync",
             # The next sync deletes the previous run's Job (same name) before creating the new one.
             "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}
SCENARIO_ANNOTATION = f"{L.GROUP}/benchmark-scenario"


def post_sync(endpoints, benchmarks: BenchmarkInputs | None, inventory: Inventory | None) -> list[Rendered]:
    """The Argo CD PostSync Jobs of every endpoint with `spec.benchmark`."""
    out: list[Rendered] = []
    for resolved in endpoints:
        endpoint = resolved.endpoint
        wanted = benchmarks.request_for(endpoint.name, endpoint.namespace) if benchmarks else None
        if wanted is None:
            continue
        line = endpoint.origin.line_of("spec", "benchmark")
        for engine in resolved.engines:
            job = render(resolved, engine, wanted.scenario, inventory, wanted.results_claim, post_sync=True)
            out.append(Rendered(job, endpoint.origin.source, endpoint.origin.file, line))
    return out


def jobs(endpoints, benchmarks: BenchmarkInputs | None, inventory: Inventory | None, names=(),
         scenario: str | None = None, results_claim: str | None = None) -> list[Rendered]:
    """`aimc bench`: a Job per engine of every (or every named) endpoint, without the Argo CD hook annotations.
    The scenario: `scenario`, else the endpoint's spec.benchmark one, else latency; the claim likewise."""
    from aimc.errors import Diagnostic, UserError, did_you_mean
    from aimc.validate import scenarios as catalog

    local = benchmarks.scenarios if benchmarks else ()
    chosen = catalog.find(scenario, local) if scenario else None
    problems = []
    if scenario and chosen is None:
        known = [s.name for s in catalog.merged(local)]
        problems.append(Diagnostic("--scenario", 0, "", f"unknown scenario '{scenario}'{did_you_mean(scenario, known)};"
                                                        f" known: {', '.join(known)}"))
    known_names = [r.endpoint.name for r in endpoints]
    for name in sorted(set(names) - set(known_names)):
        problems.append(Diagnostic("--endpoint", 0, "", f"no endpoint named '{name}'{did_you_mean(name, known_names)};"
                                                        f" endpoints: {', '.join(sorted(known_names))}"))
    if problems:
        raise UserError(problems)
    out: list[Rendered] = []
    for resolved in endpoints:
        endpoint = resolved.endpoint
        if names and endpoint.name not in names:
            continue
        wanted = benchmarks.request_for(endpoint.name, endpoint.namespace) if benchmarks else None
        use = chosen or (wanted.scenario if wanted else catalog.find(catalog.DEFAULT_SCENARIO, local))
        assert use is not None  # the default scenario is built in
        claim = results_claim or (wanted.results_claim if wanted else None)
        for engine in resolved.engines:
            out.append(Rendered(render(resolved, engine, use, inventory, claim), endpoint.origin.source,
                                endpoint.origin.file, endpoint.origin.line_of("metadata", "name")))
    return out


def render(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario, inventory: Inventory | None = None,
           results_claim: str | None = None, post_sync: bool = False) -> dict:
    labels = job_labels(resolved, engine, scenario)
    annotations = {k: str(v) for k, v in resolved.endpoint.annotations}
    annotations.update(L.recipe_annotations(engine))
    annotations[SCENARIO_ANNOTATION] = scenario.name
    if post_sync:
        annotations.update(POST_SYNC)
    metadata: dict = {"name": job_name(resolved, engine, scenario)}
    if resolved.namespace:
        metadata["namespace"] = resolved.namespace
    metadata.update(labels=labels, annotations=annotations)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "backoffLimit": BACKOFF_LIMIT,
            "activeDeadlineSeconds": scenario.timeout_seconds,
            "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
            "template": {
                "metadata": {"labels": L.own_labels(labels, resolved.endpoint.labels)},
                "spec": pod_spec(resolved, engine, scenario, inventory, results_claim),
            },
        },
    }


def job_name(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario) -> str:
    """`<endpoint>-<engine>-bench-<scenario>`: fixed, so the next run (or sync) replaces the previous Job. At most 63
    characters (the Job controller copies it into a pod label), cut with a short hash when longer."""
    name = f"{resolved.endpoint.name}-{engine.engine}-bench-{scenario.name}"
    if len(name) <= L.MAX_LABEL_VALUE:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[:L.MAX_LABEL_VALUE - len(digest) - 1].rstrip("-") + "-" + digest


def job_labels(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario) -> dict:
    """Never the endpoint's selector labels: the Service, the Deployment and the disruption budget would take the
    benchmark pod for one of the engine's pods."""
    selector_keys = {L.ENDPOINT_LABEL, L.ENGINE_LABEL}
    out = {k: str(v) for k, v in resolved.endpoint.labels if k not in selector_keys}
    out.update({
        "app.kubernetes.io/name": "aim-benchmark",
        "app.kubernetes.io/instance": resolved.endpoint.name,
        "app.kubernetes.io/component": "benchmark",
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
        f"{L.GROUP}/benchmark-of": resolved.endpoint.name,
        f"{L.GROUP}/benchmark-engine": engine.engine,
        f"{L.GROUP}/benchmark-scenario": scenario.name,
    })
    out.update(L.fact_labels(resolved, engine))
    return out


def pod_spec(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario, inventory: Inventory | None,
             results_claim: str | None) -> dict:
    mounts = [{"name": "work", "mountPath": WORK_DIR}]
    volumes: list[dict] = [{"name": "work", "emptyDir": {}}]
    if results_claim:
        mounts.append({"name": "results", "mountPath": RESULTS_DIR})
        volumes.append({"name": "results", "persistentVolumeClaim": {"claimName": results_claim}})
    container = {
        "name": "benchmark",
        "image": engine.image,
        "command": ["/bin/sh", "-c", script(resolved, engine, scenario, results_claim is not None)],
        "env": environment(resolved, inventory),
        # No GPU: the load generator is a Python HTTP client. No CPU limit: throttling it would skew latencies.
        "resources": copy.deepcopy(RESOURCES),
        "volumeMounts": mounts,
        # The engines' Deployments' hardening (render/deployment.py), without the GPU devices.
        "securityContext": {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }


def environment(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[dict]:
    """Python output unbuffered (log order), the Hugging Face token for a gated model's tokenizer, and the API key
    when the endpoint requires one (VLLM_API_KEY from a Secret): both clients send OPENAI_API_KEY as a bearer token."""
    env: list[dict] = [{"name": "PYTHONUNBUFFERED", "value": "1"}]
    env += secrets.token_env(resolved, inventory)
    for entry in resolved.endpoint.env:
        if entry.get("name") == "VLLM_API_KEY" and "valueFrom" in entry:
            env.append({"name": "OPENAI_API_KEY", "valueFrom": thawed(entry["valueFrom"])})
    return env


def base_url(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> str:
    """The engine's in-cluster address: the endpoint's Service, or the engine's own one when it has several."""
    name = L.engine_object_name(resolved, engine.engine) if resolved.endpoint.multi_engine else resolved.endpoint.name
    return f"http://{name}:{service.SERVICE_PORT}"


def tag_pairs(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario) -> list[str]:
    """`aimc_<key>=<value>` pairs written into every result, so a report knows what was measured."""
    pairs = {"endpoint": resolved.endpoint.name, "namespace": resolved.namespace, "engine": engine.engine,
             "model": resolved.endpoint.model, "recipe": engine.recipe.id,
             "configuration": f"{engine.engine}/{engine.config.key}", "scenario": scenario.name, "image": engine.image}
    return [f"aimc_{k}={v}" for k, v in pairs.items() if v]


def client_args(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario, concurrency: int | None,
                rate: float | None, result_file: str) -> list[str]:
    """The load generator's arguments for one run (after COMMANDS[engine])."""
    args = ["--base-url", base_url(resolved, engine),
            # The weights' id finds the tokenizer; the served name is what requests carry (aimc's --served-model-name).
            "--model", engine.recipe.huggingface_id or resolved.endpoint.model,
            "--served-model-name", resolved.endpoint.model,
            "--num-prompts", str(scenario.prompts),
            "--random-input-len", str(scenario.input_tokens), "--random-output-len", str(scenario.output_tokens)]
    if concurrency is not None:
        args += ["--max-concurrency", str(concurrency)]
    if rate is not None:
        args += ["--request-rate", _number(rate)]
    pairs = tag_pairs(resolved, engine, scenario)
    if engine.engine == "vllm":
        # `random`: random token ids, nothing downloaded; lengths in [L(1-r), L(1+r)]. `--ignore-eos`: vLLM's client
        # (vllm/benchmarks/serve.py, 0.11.1) sends ignore_eos only when asked, so answers would stop at the model's
        # end of sequence, short of --random-output-len; SGLang's client ignores EOS unless --disable-ignore-eos
        # (python/sglang/bench_serving.py), so both engines are measured on the same number of output tokens.
        args[0:0] = ["--backend", "openai", "--dataset-name", "random"]
        args += ["--ignore-eos", "--random-range-ratio", _number(scenario.range_ratio),
                 "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles", "50,90,99"]
        if "--trust-remote-code" in engine.args:
            args.append("--trust-remote-code")
        directory, _, name = result_file.rpartition("/")
        args += ["--disable-tqdm", "--save-result", "--result-dir", directory, "--result-filename", name,
                 "--label", f"{resolved.endpoint.name}-{engine.engine}", "--metadata", *pairs]
    else:
        # `random-ids`: random token ids (`random` samples ShareGPT, a download). SGLang draws lengths in [r*L, L]:
        # 1 - r gives the scenario's fixed length at r = 0 and its lower bound L(1-r) otherwise.
        args[0:0] = ["--backend", "sglang", "--dataset-name", "random-ids"]
        args += ["--random-range-ratio", _number(1 - scenario.range_ratio),
                 "--disable-tqdm", "--output-file", result_file, "--tag", " ".join(pairs)]
    return args


def run_commands(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario) -> list[tuple[str, list[str]]]:
    """(result file, full command) per run of the scenario."""
    suffix = "json" if engine.engine == "vllm" else "jsonl"
    out = []
    for index, (concurrency, rate) in enumerate(scenario.runs(), 1):
        file = f"{WORK_DIR}/{run_label(index, concurrency, rate)}.{suffix}"
        args = client_args(resolved, engine, scenario, concurrency, rate, file)
        out.append((file, [*COMMANDS[engine.engine], *args]))
    return out


def run_label(index: int, concurrency: int | None, rate: float | None) -> str:
    parts = [f"run{index}"]
    if concurrency is not None:
        parts.append(f"c{concurrency}")
    if rate is not None:
        parts.append(f"r{_number(rate)}")
    return "-".join(parts)


def script(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario, keep: bool) -> str:
    url = base_url(resolved, engine)
    probe = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)"
    lines = [
        "set -eu",
        # A fresh sync (or `kubectl apply`) starts the Job before the engine has loaded its weights.
        f"until python3 -c {shlex.quote(probe)} {shlex.quote(url + '/health')} >/dev/null 2>&1; do",
        f"  echo {shlex.quote(f'aimc: waiting for {url}/health')} >&2; sleep {HEALTH_POLL_SECONDS}",
        "done",
    ]
    keep_dir = f"{RESULTS_DIR}/{resolved.endpoint.name}/{engine.engine}"
    if keep:
        lines += ["stamp=$(date -u +%Y%m%dT%H%M%SZ)", f"mkdir -p {shlex.quote(keep_dir)}"]
    for file, command in run_commands(resolved, engine, scenario):
        lines.append(f"{shlex.join(command)} >&2")
        lines.append(f"cat {shlex.quote(file)}; echo")  # vLLM writes no final newline
        if keep:
            stem = file.rpartition("/")[2]
            lines.append(f"cp {shlex.quote(file)} {shlex.quote(keep_dir)}/{shlex.quote(scenario.name)}-\"$stamp\"-"
                         f"{shlex.quote(stem)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
