"""Generate a synthetic but realistic aimc repository: N AIMEndpoints spread over team folders, one inventory.

    python3 bench/generate.py --endpoints 1000 --out /tmp/repo-1000

The mix follows what a platform monorepo holds: every model of the built-in catalog (read with
`aimc recipes list --format json`, so the endpoints always match a real recipe), vLLM and SGLang, about one
endpoint in six served by both engines (`servingEngines: [vllm, sglang]`), a third autoscaled, the rest with a fixed
replica count, `customArgs` and `aimFrameworkOverrides` on many, labels and env on some. Each team has its own
folder (`teams/<team>/<stage>/<model-family>/<endpoint>.yaml`) and a Namespace object; a few files hold two
endpoints; tool files (a kustomization, a CI config) sit beside them as they do in real repositories. The output
is deterministic for a given size and seed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

TEAMS = ("search", "assist", "ads", "research", "platform", "mobile", "support", "finance", "legal", "security",
         "growth", "data")
STAGES = ("dev", "staging", "prod")
# gfx90a hardware: SGLang has no ROCm image there (aimc/catalog/runtime.yaml), so its endpoints run vLLM only.
NO_SGLANG_IMAGE = {"MI210", "MI250", "MI250X"}

# Real flags of each engine (customArgs are passed to the engine, so they must exist there).
CUSTOM_ARGS = {
    "vllm": ({"--enable-chunked-prefill": True}, {"--max-num-seqs": "128"}, {"--disable-log-stats": True},
             {"--seed": "0"}),
    "sglang": ({"--enable-metrics": True}, {"--schedule-policy": "lpm"}, {"--max-running-requests": "128"}),
}
OVERRIDES = ({"gpuMemoryUtilization": 0.85}, {"trustRemoteCode": True}, {"maxModelLen": 8192},
             {"maxNumSeqs": 128, "enablePrefixCaching": True}, {"maxModelLen": 4096, "maxNumSeqs": 64})

INVENTORY = """\
# The cluster every generated endpoint runs on. Pools are sized far beyond what the endpoints need so that the
# benchmark measures compilation, not capacity errors.
apiVersion: aim.engine.amd.com/v1alpha1
kind: ClusterInventory
metadata:
  name: bench-cluster
spec:
  defaults:
    namespace: inference
    hfTokenSecret: {name: hf-token, key: token}  # the Llama endpoints download gated repositories
  monitoring: {prometheusAdapter: true}  # the HPAs' metrics are served
  nodePools:
    - name: mi300x
      hardware: MI300X
      gpusPerNode: 8
      nodeCount: 200000
      nodeSelector:
        amd.com/gpu.product-name: AMD_Instinct_MI300X_OAM
      tolerations:
        - key: amd.com/gpu
          operator: Exists
          effect: NoSchedule
    - name: mi250
      hardware: MI250
      gpusPerNode: 8
      nodeCount: 200000
      nodeSelector:
        amd.com/gpu.family: AI
        amd.com/gpu.device-id: "740c"
      tolerations:
        - key: amd.com/gpu
          operator: Exists
          effect: NoSchedule
    - name: mi325x
      hardware: MI325X
      gpusPerNode: 8
      nodeCount: 200000
      nodeSelector:
        amd.com/gpu.product-name: AMD_Instinct_MI325_OAM
    - name: mi355x
      hardware: MI355X
      gpusPerNode: 8
      nodeCount: 200000
      nodeSelector:
        amd.com/gpu.product-name: AMD_Instinct_MI355_OAM
"""

KUSTOMIZATION = """\
# Kustomize and Argo CD configuration: aimc ignores it.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
"""

CI_CONFIG = """\
# A CI configuration beside the specs: no apiVersion/kind, so aimc ignores it.
on: [push]
jobs:
  render:
    runs-on: ubuntu-latest
    steps:
      - run: aimc build --strict .
"""


def builtin_catalog(command=None) -> list[dict]:
    """The built-in recipes as `aimc recipes list --format json` prints them."""
    command = command or [sys.executable, "-m", "aimc"]
    output = subprocess.run([*command, "recipes", "list", "--format", "json"], check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output)


def _family(model: str) -> str:
    """`Qwen/Qwen3-32B` -> `qwen3-32b` (folder and name stem)."""
    stem = model.split("/")[-1].lower()
    for char in "._":
        stem = stem.replace(char, "-")
    return "-".join(part for part in stem.replace("-instruct", "").split("-") if part)[:24].rstrip("-")


def _yaml_value(value) -> str:
    if value is True:
        return "true"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _mapping(indent: str, mapping: dict) -> list[str]:
    return [f"{indent}{key}: {_yaml_value(value)}" for key, value in mapping.items()]


def endpoint_document(index: int, recipe: dict, rng: random.Random) -> tuple[str, str, str, str]:
    """(team, folder, name, YAML text) of one endpoint on `recipe`."""
    team = TEAMS[index % len(TEAMS)]
    stage = STAGES[(index // len(TEAMS)) % len(STAGES)]
    family = _family(recipe["model"])
    name = f"{family}-{team}-{index}"
    engines = recipe["engines"]
    if recipe["hardware"].upper() in NO_SGLANG_IMAGE:
        engines = {e: g for e, g in engines.items() if e != "sglang"} or engines
    shared_gpus = sorted(set(engines.get("vllm", ())) & set(engines.get("sglang", ())))
    multi = bool(shared_gpus) and rng.random() < 0.35
    engine = "vllm" if "vllm" in engines and (multi or "sglang" not in engines or rng.random() < 0.75) else "sglang"
    gpus = rng.choice(shared_gpus if multi else engines[engine])

    lines = [
        f"# {recipe['model']} for the {team} team ({stage}).",
        "apiVersion: aim.engine.amd.com/v1alpha1",
        "kind: AIMEndpoint",
        "metadata:",
        f"  name: {name}",
    ]
    if rng.random() < 0.7:
        lines.append(f"  namespace: {team}-{stage}")
    lines += ["  labels:", f"    team: {team}", f"    stage: {stage}"]
    if rng.random() < 0.2:
        lines += ["  annotations:", f'    owner: "{team}-oncall@example.com"']
    lines += [
        "spec:",
        f"  model: {recipe['model']}",
        f"  hardware: {recipe['hardware']}",
        f"  precision: {recipe['precision']}",
        f"  gpuCount: {gpus}",
    ]
    if multi:
        lines.append("  servingEngines: [vllm, sglang]")
    else:
        lines.append(f"  servingEngine: {engine}")
    if rng.random() < 0.33:
        low = rng.randint(1, 2)
        lines += ["  autoScaling:", "    enabled: true", f"    minReplicas: {low}", f"    maxReplicas: {low + rng.randint(1, 3)}"]
    else:
        lines.append(f"  replicas: {rng.randint(1, 3)}")
    if not multi and rng.random() < 0.5:
        lines += ["  customArgs:", *_mapping("    ", rng.choice(CUSTOM_ARGS[engine]))]
    if rng.random() < 0.5:
        # A lower utilisation only where there is room: the smallest configuration of a large model (e.g. 405B fp8
        # on two MI325X) fits with little to spare, and a real endpoint would not ask for it there either.
        smallest = gpus == min(engines[engine])
        choices = tuple(o for o in OVERRIDES if not (smallest and "gpuMemoryUtilization" in o))
        lines += ["  aimFrameworkOverrides:", *_mapping("    ", rng.choice(choices))]
    if rng.random() < 0.25:
        lines += ["  env:", "    - name: LOG_LEVEL", "      value: INFO"]
    folder = f"teams/{team}/{stage}/{family}"
    return team, folder, name, "\n".join(lines) + "\n"


def generate(endpoints: int, out: Path, catalog: list[dict], seed: int = 6) -> Path:
    """Write a repository of `endpoints` AIMEndpoints (plus inventory, namespaces, tool files) into `out`."""
    rng = random.Random(f"{seed}-{endpoints}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "cluster").mkdir()
    (out / "cluster" / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    (out / "kustomization.yaml").write_text(KUSTOMIZATION, encoding="utf-8")
    (out / ".github" / "workflows").mkdir(parents=True)
    (out / ".github" / "workflows" / "render.yaml").write_text(CI_CONFIG, encoding="utf-8")
    (out / "ci.yaml").write_text(CI_CONFIG, encoding="utf-8")

    files: dict[Path, list[str]] = {}
    namespaces: dict[str, set[str]] = {}
    previous: Path | None = None
    for index in range(endpoints):
        recipe = catalog[rng.randrange(len(catalog))]
        team, folder, name, text = endpoint_document(index, recipe, rng)
        namespace = text.split("  namespace: ", 1)[1].split("\n", 1)[0] if "  namespace: " in text else None
        if namespace:
            namespaces.setdefault(team, set()).add(namespace)
        # One file in ten also holds the next endpoint: multi-document files exist in real repositories.
        path = previous if index % 10 == 9 and previous is not None else out / folder / f"{name}.yaml"
        files.setdefault(path, []).append(text)
        previous = path
    for path, texts in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n".join(texts), encoding="utf-8")
    for team, names in namespaces.items():
        documents = [f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    team: {team}\n"
                     for name in sorted(names)]
        # The team's folder may not exist yet: its only endpoint can sit in another team's multi-document file.
        (out / "teams" / team).mkdir(parents=True, exist_ok=True)
        (out / "teams" / team / "namespaces.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", "-n", type=int, default=100, help="number of AIMEndpoints (default 100)")
    parser.add_argument("--out", "-o", required=True, help="folder to (re)create")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    generate(args.endpoints, Path(args.out), builtin_catalog(), args.seed)
    print(f"wrote {args.endpoints} endpoints to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
