"""The script of a benchmark Job and the load generators' arguments (render/benchmark.py builds the Job around it).

The script holds no text from the inputs that could hold a `$`, and every `$` in it is doubled, so Kubernetes expands
nothing in it. The model ids and the result tags are the container's `args`, read by the script as its positional
parameters and always quoted there: Kubernetes expands `$(VAR)` in them exactly as in the engine's own `args`, so the
client asks for the model name the server was given, and the shell never parses them.
"""

from __future__ import annotations

import shlex

from aimc.model.benchmark import Scenario
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import labels as L
from aimc.render import service

COMMANDS = {"vllm": ("vllm", "bench", "serve"), "sglang": ("python3", "-m", "sglang.bench_serving")}
WORK_DIR = "/tmp/aimc-bench"  # an emptyDir: the client writes its result file here before it is printed
RESULTS_DIR = "/results"  # the results claim, when there is one
HEALTH_POLL_SECONDS = 10
SCRIPT_NAME = "aimc-bench"  # $0 of the script
# The script's positional parameters ("$1" "$2", then the tags), named once at its top.
MODEL, SERVED = "model", "served"


class _Shell(str):
    """A word of the script written as shell text (a quoted parameter expansion), not quoted as a literal."""


def _words(command) -> str:
    return " ".join(word if isinstance(word, _Shell) else shlex.quote(word) for word in command)


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


def script_args(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario) -> list[str]:
    """The container's args, the script's positional parameters: the model ids, then the result tags."""
    # The weights' id finds the tokenizer; the served name is what requests carry (aimc's --served-model-name).
    return [engine.recipe.huggingface_id or resolved.endpoint.model, resolved.endpoint.model,
            *tag_pairs(resolved, engine, scenario)]


def client_args(resolved: ResolvedEndpoint, engine: ResolvedEngine, scenario: Scenario, concurrency: int | None,
                rate: float | None, result_file: str) -> list[str]:
    """The load generator's arguments for one run (after COMMANDS[engine]); the model ids and the tags are the
    script's parameters (`script_args`)."""
    args = ["--base-url", base_url(resolved, engine),
            "--model", _Shell(f'"${MODEL}"'),
            "--served-model-name", _Shell(f'"${SERVED}"'),
            "--num-prompts", str(scenario.prompts),
            "--random-input-len", str(scenario.input_tokens), "--random-output-len", str(scenario.output_tokens)]
    if concurrency is not None:
        args += ["--max-concurrency", str(concurrency)]
    if rate is not None:
        args += ["--request-rate", _number(rate)]
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
                 "--label", f"{resolved.endpoint.name}-{engine.engine}", "--metadata", _Shell('"$@"')]
    else:
        # `random-ids`: random token ids (`random` samples ShareGPT, a download). SGLang draws lengths in [r*L, L]:
        # 1 - r gives the scenario's fixed length at r = 0 and its lower bound L(1-r) otherwise.
        args[0:0] = ["--backend", "sglang", "--dataset-name", "random-ids"]
        args += ["--random-range-ratio", _number(1 - scenario.range_ratio),
                 "--disable-tqdm", "--output-file", result_file, "--tag", _Shell('"$*"')]  # the tags, space-joined
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
        f'{MODEL}=$1 {SERVED}=$2; shift 2  # the rest: the tags',
        "IFS=' '",  # "$*" joins the tags with one space
        # A fresh sync (or `kubectl apply`) starts the Job before the engine has loaded its weights.
        f"until python3 -c {shlex.quote(probe)} {shlex.quote(url + '/health')} >/dev/null 2>&1; do",
        f"  echo {shlex.quote(f'aimc: waiting for {url}/health')} >&2; sleep {HEALTH_POLL_SECONDS}",
        "done",
    ]
    keep_dir = f"{RESULTS_DIR}/{resolved.endpoint.name}/{engine.engine}"
    if keep:
        lines += ["stamp=$(date -u +%Y%m%dT%H%M%SZ)", f"mkdir -p {shlex.quote(keep_dir)}"]
    for file, command in run_commands(resolved, engine, scenario):
        lines.append(f"{_words(command)} >&2")
        lines.append(f"cat {shlex.quote(file)}; echo")  # vLLM writes no final newline
        if keep:
            stem = file.rpartition("/")[2]
            lines.append(f"cp {shlex.quote(file)} {shlex.quote(keep_dir)}/{shlex.quote(scenario.name)}-\"$stamp\"-"
                         f"{shlex.quote(stem)}")
    return ("\n".join(lines) + "\n").replace("$", "$$")  # Kubernetes reads $$ as $: it expands nothing here


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
