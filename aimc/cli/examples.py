"""What `--help` adds to every command: an Examples section (as kubectl's help has) and an untruncated summary.

Kept beside the commands rather than in each decorator so that every command gets both, and
tests/test_cli_help.py checks that none is missed. Examples use `examples/`, the example repository, where a path
is needed, so each one runs as written from a clone.
"""

from __future__ import annotations

import click

# Command path (words after `aimc`) -> (comment, command line) pairs.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (("render the example repository", "aimc build examples/"),
         ("what a command does and its options", "aimc build --help")),
    "argocd": (("what Argo CD's plugin sidecar runs, reproduced locally from an application's folder",
                "ARGOCD_ENV_AIMC_STRICT=true KUBE_VERSION=1.32.0 aimc argocd generate"),),
    "argocd generate": (("from the application's folder, as the plugin runs it",
                         "ARGOCD_ENV_AIMC_STRICT=true KUBE_VERSION=1.32.0 aimc argocd generate"),
                        ("with several input folders",
                         "ARGOCD_ENV_AIMC_PATHS='. ../../endpoints' aimc argocd generate")),
    "bench": (("benchmark Jobs for every endpoint, applied", "aimc bench jobs examples/ | kubectl apply -f -"),
              ("a report from a Job's log", "kubectl logs job/NAME > result.log && aimc bench report result.log")),
    "bench jobs": (("a latency Job per endpoint and engine", "aimc bench jobs examples/ --scenario latency"),
                   ("one endpoint only", "aimc bench jobs examples/ --endpoint qwen3-32b")),
    "bench report": (("a Markdown table from Job logs", "aimc bench report result.log --format markdown"),
                     ("compared with an earlier run", "aimc bench report new.log --compare old.log")),
    "build": (("render to stdout", "aimc build examples/"),
              ("one file per object", "aimc build examples/ -o rendered/"),
              ("as a JSON List, warnings as errors", "aimc build --strict --format json examples/"),
              ("from a YAML stream on stdin", "cat examples/endpoints/*.yaml examples/cluster.yaml | aimc build -")),
    "estimate": (("latency and throughput of Llama-3.1-70B in FP8 on 8 MI300X at three loads",
                  ("aimc estimate meta-llama/Llama-3.1-70B-Instruct --hardware MI300X --precision fp8 --gpus 8 "
                   "--input-tokens 1024 --output-tokens 512 --concurrency 1 8 64")),
                 ("as JSON", ("aimc estimate Qwen/Qwen3-32B --hardware MI355X --gpus 1 --input-tokens 2048 "
                              "--output-tokens 256 --concurrency 16 --format json"))),
    "diff": (("what a branch changes against main", "aimc diff main HEAD"),
             ("the working tree against the last commit, as Markdown for a pull request",
              "aimc diff HEAD --format markdown"),
             ("two folders", "aimc diff old-checkout/ new-checkout/")),
    "explain": (("every candidate and why it was chosen or rejected", "aimc explain examples/"),
                ("one endpoint", "aimc explain examples/ --endpoint qwen3-32b")),
    "krm": (("a package's files through aimc as a kpt function", 'kpt fn eval --exec "aimc krm" overlays/prod'),
            ("a ResourceList by hand", "aimc krm < resource-list.yaml")),
    "kustomize": (("install the exec plugin, then build an overlay with it",
                   "aimc kustomize install-plugin && kustomize build --enable-alpha-plugins overlays/prod > out.yaml"),
                  ("check that the build ran the plugin", "aimc kustomize check-output out.yaml")),
    "kustomize check-output": (("fail when aimc specs are left in a build's output",
                                "kustomize build overlays/prod > out.yaml && aimc kustomize check-output out.yaml"),),
    "kustomize install-plugin": (("install where Kustomize looks for plugins", "aimc kustomize install-plugin"),
                                 ("into a folder of your choice", "aimc kustomize install-plugin --dir plugins/")),
    "kustomize plugin": (("what the launcher runs: the plugin's config file as argument, resources on stdin",
                          "aimc kustomize plugin aimc-compiler.yaml < resources.yaml"),),
    "models": (("the facts of a checkpoint as an AIMModel document",
                "aimc models import ./Mistral-7B-Instruct-v0.3/config.json > models/mistral-7b.yaml"),),
    "models import": (("from a config.json, with the model id",
                       "aimc models import config.json --name mistralai/Mistral-7B-Instruct-v0.3"),
                      ("from a checkpoint folder", "aimc models import ~/models/Qwen3-32B > models/qwen3-32b.yaml")),
    "plan": (("GPUs per node pool against what it has", "aimc plan examples/"),
             ("as JSON, for a dashboard or a script", "aimc plan examples/ --format json")),
    "precommit": (("what the aimc-rendered-up-to-date hook runs",
                   "aimc precommit rendered --rendered rendered/ examples/"),),
    "precommit rendered": (("fail when rendered/ is out of date", "aimc precommit rendered --rendered rendered/ ."),
                           ("rewrite it", "aimc precommit rendered --rendered rendered/ --fix .")),
    "recipes": (("the built-in recipes for a hardware", "aimc recipes list --hardware MI300X"),
                ("one recipe", "aimc recipes show qwen3-32b-mi300x-bf16")),
    "recipes generate": (("a recipe for a model no recipe covers, from its AIMModel document",
                          "aimc recipes generate mistralai/Mistral-7B-Instruct-v0.3 models/ --hardware MI300X"),
                         ("AIM profiles instead",
                          "aimc recipes generate Qwen/Qwen3-32B --hardware MI300X --format profile")),
    "recipes list": (("every built-in recipe", "aimc recipes list"),
                     ("for one model and hardware", "aimc recipes list --model Qwen/Qwen3-32B --hardware MI300X")),
    "recipes show": (("one recipe, as its file", "aimc recipes show qwen3-32b-mi300x-bf16"),),
    "recipes validate": (("repository-local recipes, warnings as errors",
                          "aimc recipes validate --strict recipes/*.yaml"),
                         ("a recipe with its model's facts",
                          "aimc recipes validate recipes/acme.yaml models/acme.yaml")),
    "schema": (("the schemas, for editors", "aimc schema --output-dir .schemas"),
               ("one kind's schema", "aimc schema AIMEndpoint"),
               ("the kinds there are", "aimc schema --list")),
    "validate": (("every check, no output", "aimc validate examples/"),
                 ("in CI and pre-commit: warnings are errors", "aimc validate --strict .")),
}


def examples_text(path: str) -> str:
    """The Examples section of one command; click keeps a paragraph that starts with \\b as written."""
    lines = ["\b", "Examples:"]  # one paragraph: a blank line would end what \b keeps unwrapped
    for comment, command in EXAMPLES[path]:
        lines += [f"  # {comment}", f"  {command}"]
    return "\n".join(lines)


def add_help_extras(command: click.Command, path: str) -> None:
    """Examples after the command's own epilog, and the summary a command list shows written out whole (click cuts
    it at 45 characters or so, mid-sentence, with '...')."""
    if path in EXAMPLES and "Examples:" not in (command.epilog or ""):
        command.epilog = f"{command.epilog}\n\n{examples_text(path)}" if command.epilog else examples_text(path)
    if command.short_help is None and command.help:
        command.short_help = command.get_short_help_str(limit=10_000)
    for name, sub in getattr(command, "commands", {}).items():
        add_help_extras(sub, f"{path} {name}".strip())
