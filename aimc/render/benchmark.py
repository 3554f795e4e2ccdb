"""The benchmark Job of one engine of one endpoint: the engine image's own load generator against its Service.

vLLM images hold `vllm bench serve`, SGLang images `python3 -m sglang.bench_serving`; both generate random prompts
of fixed token lengths (no dataset download; only the tokenizer is fetched) and write one JSON result per run. The
pod runs one command per run of the scenario (each concurrency x request rate), sends the client's own output to
stderr and prints each result file, one JSON object per line, on stdout, so `kubectl logs job/NAME` is what
`aimc bench report` reads. With a results claim the files are also kept under /results/<endpoint>/<engine>/.

The script and the clients' arguments: render/benchmark_script.py.
"""

from __future__ import annotations

import copy
import re

from aimc.digest import sha256_hex
from aimc.model.benchmark import BenchmarkInputs, Scenario
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import thawed
from aimc.render import Rendered, deployment, secrets
from aimc.render import labels as L
from aimc.render.benchmark_script import COMMANDS, RESULTS_DIR, SCRIPT_NAME, WORK_DIR, base_url, script, script_args  # noqa: F401

BACKOFF_LIMIT = 0  # a failed benchmark is a finding to read in its log, not something to retry silently
TTL_SECONDS_AFTER_FINISHED = 86400  # a day to read the log before the Job and its pod are deleted
RESOURCES = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "8Gi"}}
POST_SYNC = {"argocd.argoproj.io/hook": "PostSync",
             # The next sync deletes the previous run's Job (same name) before creating the new one.
             "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}
SCENARIO_ANNOTATION = f"{L.GROUP}/benchmark-scenario"
# What Kubernetes expands in args: $(NAME) not escaped by a $ (k8s.io/kubernetes third_party/forked/golang/expansion).
_REFERENCE = re.compile(r"(?<!\$)(?:\$\$)*\$\(([^)]*)\)")


def post_sync(endpoints, benchmarks: BenchmarkInputs | None, inventory: Inventory | None) -> list[Rendered]:
    """The Argo CD PostSync Jobs of every endpoint with `spec.benchmark`."""
    out: list[Rendered] = []
    for resolved in endpoints:
        endpoint = resolved.endpoint
        wanted = benchmarks.request_for(endpoint.name, endpoint.namespace) if benchmarks else None
        if wanted is None:
            continue
        line = endpoint.origin.line_of("spec", "benchmark")
        for engine in resolved.served:  # through the Service: a disaggregated endpoint is benchmarked once
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
        for engine in resolved.served:
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
    digest = sha256_hex(name)[:8]
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
        "command": ["/bin/sh", "-c", script(resolved, engine, scenario, results_claim is not None), SCRIPT_NAME],
        "args": script_args(resolved, engine, scenario),
        "env": environment(resolved, engine, scenario, inventory),
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


def environment(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario,
                inventory: Inventory | None) -> list[dict]:
    """Python output unbuffered (log order), the Hugging Face token for a gated model's tokenizer, and the API key
    when the endpoint requires one: both clients send OPENAI_API_KEY as a bearer token. The key is the Secret the
    server reads: `--api-key "$(VAR)"`'s variable (vLLM prefers the flag, vllm/entrypoints/openai/api_server.py
    `args.api_key or envs.VLLM_API_KEY`), else VLLM_API_KEY."""
    env: list[dict] = [{"name": "PYTHONUNBUFFERED", "value": "1"}]
    env += secrets.token_env(resolved, inventory)
    sources = {entry["name"]: entry["valueFrom"] for entry in resolved.endpoint.env if "valueFrom" in entry}
    flag = dict(zip(engine.args, engine.args[1:], strict=False)).get("--api-key", "")
    variable = flag[2:-1] if flag.startswith("$(") and flag.endswith(")") else "VLLM_API_KEY"
    if variable in sources:
        env.append({"name": "OPENAI_API_KEY", "valueFrom": thawed(sources[variable])})
    server_env = deployment.environment(resolved, engine, inventory)
    return env + _referenced(server_env, script_args(resolved, engine, scenario), {entry["name"] for entry in env})


def _referenced(server_env: list[dict], texts, defined: set[str]) -> list[dict]:
    """The server's variables that `$(NAME)` in `texts` names (and those their values name), in the server's order:
    Kubernetes expands the Job's args with them as it expands the server's."""
    wanted = {name for text in texts for name in _REFERENCE.findall(text)}
    kept = []
    for entry in reversed(server_env):  # a value may name only variables defined before it
        if entry["name"] in wanted and entry["name"] not in defined:
            kept.append(copy.deepcopy(entry))
            wanted |= set(_REFERENCE.findall(entry.get("value", "")))
    return kept[::-1]
