"""The paired rows of bench/run.py (issue 24): each path a team runs on every pull request, timed against a build of
the same repository (or `kubectl kustomize` of the same objects) in turn, A B A B ..., with the ratio taken pair by
pair, so that it holds while the speed of a shared machine drifts. CPU time (user + system of the child) is the
figure the budgets are read on; wall time is shown beside it.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate  # bench/ is not a package: a script next to this one

# Row -> budget on the median CPU ratio (issue 24's table).
BUDGETS = {
    "diff A B": 2.5, "diff HEAD": 3.0, "validate": 1.3, "krm": 1.3, "explain --endpoint": 0.2,
    "build 10 vs kustomize": 1.0, "build 100 vs kustomize": 0.25,
}
DIFF_MEMORY_BUDGET_MIB = 1024


def _run(command: list[str], cwd: Path | None = None, stdin: Path | None = None, env: dict | None = None
         ) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB) of one child; its output is thrown away, a failure stops the benchmark."""
    with open(stdin or os.devnull, "rb") as given, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdin=given, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(command)} failed with exit {code}:\n{err.read().decode()[-3000:]}")
    peak = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return wall, usage.ru_utime + usage.ru_stime, peak


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def pair(a: list[str], b: list[str], pairs: int, cwd: Path | None = None, stdin: Path | None = None,
         env: dict | None = None) -> dict:
    """A and B in turn (after one warm-up each): each one's figures and the per-pair A/B ratios."""
    _run(a, cwd, stdin, env)
    _run(b, cwd, None, env)
    samples = [(_run(a, cwd, stdin, env), _run(b, cwd, None, env)) for _ in range(pairs)]
    return {
        "pairs": pairs,
        "a_cpu_s": _spread([s[0][1] for s in samples]), "b_cpu_s": _spread([s[1][1] for s in samples]),
        "a_wall_s": _spread([s[0][0] for s in samples]), "b_wall_s": _spread([s[1][0] for s in samples]),
        "a_peak_mib": max(s[0][2] for s in samples), "b_peak_mib": max(s[1][2] for s in samples),
        "cpu_ratio": _spread([s[0][1] / s[1][1] for s in samples]),
        "wall_ratio": _spread([s[0][0] / s[1][0] for s in samples]),
    }


def change_one_endpoint(repo: Path) -> str:
    """Change one endpoint of REPO in place (one more replica); the file's path, relative to REPO."""
    for path in sorted((repo / "teams").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "\n  replicas: 1\n" in text:
            path.write_text(text.replace("\n  replicas: 1\n", "\n  replicas: 2\n", 1), encoding="utf-8")
            return path.relative_to(repo).as_posix()
    raise SystemExit(f"no endpoint with `replicas: 1` in {repo} to change")


def first_endpoint(repo: Path) -> str:
    for path in sorted((repo / "teams").rglob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("  name: "):
                return line.split(":", 1)[1].strip()
    raise SystemExit(f"no endpoint in {repo}")


def resource_list(repo: Path, target: Path) -> Path:
    """Every document of REPO as one ResourceList (what `kustomize build --enable-exec` hands a transformer)."""
    import yaml

    items = []
    for path in sorted(repo.rglob("*.yaml")):
        items += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                  if isinstance(d, dict) and d.get("kind") and d.get("kind") != "Kustomization"]
    document = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    target.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return target


def _git_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *command], cwd=target, check=True, env=env)
    return target


def run_all(aimc: list[str], kubectl: str | None, work: Path, catalog, size: int, pairs: int, diff_memory: int,
            env: dict) -> dict:
    """Every paired row, printed as it is measured; the figures by row name. `env`: the children's environment."""
    rows: dict[str, dict] = {}

    def row(name: str, a: list[str], b: list[str], **where) -> None:
        rows[name] = pair(a, b, pairs, env=env, **where)
        print(f"{name:>24}: {line(name, rows[name])}", flush=True)

    base = generate.generate(size, work / f"paired-{size}", catalog)
    head = work / f"paired-{size}-changed"
    shutil.copytree(base, head)
    change_one_endpoint(head)
    build = [*aimc, "build", str(base)]
    row("diff A B", [*aimc, "diff", str(base), str(head)], build)
    repo = _git_repo(base, work / f"paired-{size}-git")
    change_one_endpoint(repo)
    row("diff HEAD", [*aimc, "diff", "HEAD"], [*aimc, "build", "."], cwd=repo)
    row("validate", [*aimc, "validate", str(base)], build)
    row("explain --endpoint", [*aimc, "explain", str(base), "--endpoint", first_endpoint(base)], build)
    small = generate.generate(min(size, 100), work / "paired-krm", catalog)
    stdin = resource_list(small, work / "resource-list.yaml")
    row("krm", [*aimc, "krm"], [*aimc, "build", str(small)], stdin=stdin)
    if kubectl:
        for endpoints in (10, 100):
            repo_n = generate.generate(min(size, endpoints), work / f"paired-start-{endpoints}", catalog)
            folder = work / f"paired-rendered-{endpoints}"
            import run  # bench/run.py: the kustomization of aimc's own output

            run.kustomize_folder(aimc, repo_n, folder)
            row(f"build {endpoints} vs kustomize", [*aimc, "build", str(repo_n)], [kubectl, "kustomize", str(folder)])
    if diff_memory:
        a = generate.generate(diff_memory, work / f"memory-{diff_memory}", catalog)
        b = work / f"memory-{diff_memory}-changed"
        shutil.copytree(a, b)
        change_one_endpoint(b)
        wall, cpu, peak = _run([*aimc, "diff", str(a), str(b)], env=env)
        rows[f"diff {diff_memory} peak"] = {"wall_s": wall, "cpu_s": cpu, "peak_mib": peak}
        print(f"diff of two {diff_memory}-endpoint trees: cpu {cpu:.2f} s, wall {wall:.2f} s, peak {peak:.0f} MiB "
              f"(budget < {DIFF_MEMORY_BUDGET_MIB} MiB)", flush=True)
    return rows


def line(name: str, r: dict) -> str:
    c, w = r["cpu_ratio"], r["wall_ratio"]
    budget = BUDGETS.get(name)
    verdict = "" if budget is None else f" (budget <= {budget}: {'met' if c['median'] <= budget else 'NOT met'})"
    return (f"CPU ratio {c['median']:.2f} ({c['min']:.2f}-{c['max']:.2f}), wall ratio {w['median']:.2f} "
            f"({w['min']:.2f}-{w['max']:.2f}), A cpu {r['a_cpu_s']['median']:.3f} s, B cpu "
            f"{r['b_cpu_s']['median']:.3f} s, n={r['pairs']}{verdict}")


def markdown_table(rows: dict) -> str:
    out = ["| path (A) | against (B) | CPU A / B, median (min-max) | wall A / B, median (min-max) | A CPU | B CPU "
           "| A peak | budget |", "| --- | --- | --- | --- | ---: | ---: | ---: | --- |"]
    for name, r in rows.items():
        if "cpu_ratio" not in r:
            out.append(f"| {name} | | | | {r['cpu_s']:.2f} s | | {r['peak_mib']:.0f} MiB "
                       f"| < {DIFF_MEMORY_BUDGET_MIB} MiB |")
            continue
        c, w = r["cpu_ratio"], r["wall_ratio"]
        against = "kubectl kustomize" if "kustomize" in name else "build"
        budget = BUDGETS.get(name)
        out.append(f"| {name} | {against} | {c['median']:.2f} ({c['min']:.2f}-{c['max']:.2f}) | {w['median']:.2f} "
                   f"({w['min']:.2f}-{w['max']:.2f}) | {r['a_cpu_s']['median']:.3f} s | {r['b_cpu_s']['median']:.3f} s "
                   f"| {r['a_peak_mib']:.0f} MiB | {'<= ' + str(budget) if budget else ''} |")
    return "\n".join(out)
