"""Benchmark `aimc build` against `kubectl kustomize` on generated repositories of 10 to 10,000 endpoints.

    python3 bench/run.py [--sizes 10,100,1000,10000] [--runs N] [--json FILE] [--markdown] [--checkout] [--no-site]

For each size: generate a repository (bench/generate.py), time `aimc build REPO` as a whole process (the console
script, as Argo CD and pre-commit run it) several times, then write aimc's own output with `aimc build -o DIR`, add a
kustomization.yaml listing every file, and time `kubectl kustomize DIR` on it: Kustomize only reads and re-emits
those objects, the floor of what a GitOps tool does with them. Every run reports wall time and peak memory (maximum
resident set size of the child, from wait4); the figures are the median and the spread (min-max).

Then the paired rows (issue 24): the paths a team runs on every pull request, each timed against a build (or
Kustomize) in the same run, A B A B ..., so that the ratio of each pair holds while the shared machine's speed drifts:
`diff A B` (two folders, one endpoint changed), `diff HEAD` (a Git revision against the working tree), `validate`,
`explain --endpoint X` on the 1,000-endpoint repository, `krm` on a ResourceList of 100 endpoints, and `build` of 10
and 100 endpoints against `kubectl kustomize` of the same objects (start-up). `--diff-memory 10000` adds the peak
memory of a diff of two 10,000-endpoint trees. `--quick` runs everything once on small repositories: CI runs it only
to check that the benchmark works (tests/test_bench_scripts.py), its figures mean nothing.

Start-up is measured as users pay it: the child Pythons run every `.pth` file of the machine's site-packages (on
the development machine one of them, a sandbox's certificate hook, imports `certifi` and `importlib.resources`).
`--no-site` runs them as `python -S` with the site-packages folders on PYTHONPATH instead, which isolates aimc's own
start-up from the machine's site configuration; quote both.

Kustomize's time grows faster than linearly with the number of objects (about a minute for the 3,700 objects of
1,000 endpoints on a 2-core machine), so by default it is not run above 1,000 endpoints (--kustomize-max).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # bench/ is not a package: a script next to this one)

# Runs per size by default: enough for a median on small sizes, while the whole benchmark stays near 10 minutes.
DEFAULT_RUNS = {10: 7, 100: 5, 1000: 3, 10000: 2}
DEFAULT_SIZES = (10, 100, 1000, 10000)
# What every `aimc build` imports before aimc's own code runs: Python plus these, timed alone, is the start-up floor
# that no change inside aimc can go below (tests/test_bench_scripts.py checks that a build imports all of them).
FLOOR_IMPORTS = ("yaml", "jsonschema_rs", "msgspec")  # not click: `aimc build` reads its options itself
# jsonschema_rs imported the way aimc imports it: without the `email.utils` its extension module asks for at start-up
# (aimc/validate/schema_engine.py).
FLOOR_CODE = ("import yaml, msgspec; from aimc.validate.schema_engine import import_jsonschema_rs; "
              "import_jsonschema_rs()")
BUDGETS = "budgets: 10: aimc <= 2x kustomize; 1000: aimc <= 0.5x kustomize; 10000: <= 11x the 1000 time, peak < 1 GiB"


def python_command(no_site: bool = False) -> list[str]:
    """This Python; with --no-site, `python -S` (see `isolate_from_site`)."""
    return [sys.executable, "-S"] if no_site else [sys.executable]


def aimc_command(checkout: bool = False, no_site: bool = False) -> list[str]:
    """The installed console script when it sits next to this Python, else (or with --checkout or --no-site)
    `python -m aimc`."""
    if checkout or no_site:
        return [*python_command(no_site), "-m", "aimc"]
    script = Path(sys.executable).with_name("aimc")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "aimc"]


# Installed packages carry their bytecode (pip compiles it); a PYTHONDONTWRITEBYTECODE inherited from a development
# shell would make every run of a source checkout recompile aimc, which no user's run does.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def isolate_from_site(checkout: bool) -> None:
    """--no-site: every Python child runs as `python -S` with the site-packages folders on PYTHONPATH, so that no
    `.pth` file runs at its start. Such files are the machine's, not aimc's: a sandbox's certificate hook (importing
    `certifi` and `importlib.resources`, ~30 ms of `python -c pass` on the development machine), setuptools'
    distutils shim, editable installs. A user's Python usually runs a few of them too: the figures without them
    isolate aimc's own start-up, the default figures are what this machine's users would see."""
    import site

    folders = [f for f in (*site.getsitepackages(), site.getusersitepackages()) if os.path.isdir(f)]
    front = [str(Path(__file__).resolve().parent.parent)] if checkout else []
    os.environ["PYTHONPATH"] = CHILD_ENV["PYTHONPATH"] = os.pathsep.join(front + folders)


def timed_run(command: list[str], stdout_path: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of one child process; its stdout goes to a file."""
    # stderr goes to a file, not a pipe: a run that warns a lot (10,000 endpoints) would otherwise block on a full
    # pipe that nobody reads until the child ends.
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(process.pid, 0)  # rusage of this child alone (RUSAGE_CHILDREN accumulates)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit {process.returncode}:\n{stderr[-3000:]}")
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return wall, usage.ru_utime + usage.ru_stime, peak


def measure(command: list[str], runs: int, stdout_path: Path) -> dict:
    samples = [timed_run(command, stdout_path) for _ in range(runs)]
    walls = [s[0] for s in samples]
    return {
        "runs": runs,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "cpu_median_s": statistics.median(s[1] for s in samples),
        "peak_mib": max(s[2] for s in samples),
        "output_bytes": stdout_path.stat().st_size,
    }


def kustomize_folder(aimc: list[str], repo: Path, folder: Path) -> int:
    """aimc's output for `repo`, one file per object, plus a kustomization.yaml listing them. Returns #objects."""
    subprocess.run([*aimc, "build", str(repo), "-o", str(folder)], check=True, stderr=subprocess.DEVNULL)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml"))
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:"]
    lines += [f"  - {name}" for name in files]
    (folder / "kustomization.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(files)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def figure(stats: dict | None) -> str:
    if stats is None:
        return "not run"
    return (f"{stats['median_s']:.3f} s ({stats['min_s']:.3f}-{stats['max_s']:.3f}, n={stats['runs']}), "
            f"cpu {stats['cpu_median_s']:.3f} s, peak {stats['peak_mib']:.0f} MiB")


def markdown_table(results: dict) -> str:
    """The figures as the README's table."""
    rows = ["| endpoints | objects | aimc wall, median (min-max) | aimc CPU | aimc peak | kustomize wall, median "
            "(min-max) | kustomize CPU | kustomize peak | aimc / kustomize wall (CPU) |",
            "| ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | --- |"]
    for size, r in results.items():
        a, k = r["aimc"], r["kustomize"]
        row = [f"{size:,}", f"{r['objects']:,}", f"{a['median_s']:.2f} s ({a['min_s']:.2f}-{a['max_s']:.2f})",
               f"{a['cpu_median_s']:.2f} s", f"{a['peak_mib']:.0f} MiB"]
        if k:
            row += [f"{k['median_s']:.2f} s ({k['min_s']:.2f}-{k['max_s']:.2f})", f"{k['cpu_median_s']:.2f} s",
                    f"{k['peak_mib']:.0f} MiB", f"{r['ratio']:.2f} ({a['cpu_median_s'] / k['cpu_median_s']:.2f})"]
        else:
            row += ["not run", "", "", ""]
        rows.append("| " + " | ".join(row) + " |")
    return "\n".join(rows)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated endpoint counts (default: %(default)s)")
    parser.add_argument("--runs", type=int, help="timed runs per size and tool (default: 7/5/3/2 by size)")
    parser.add_argument("--kustomize-max", type=int, default=1000,
                        help="largest size Kustomize is timed on (default: %(default)s; it grows quadratically)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table")
    parser.add_argument("--keep", metavar="DIR", help="generate the repositories in DIR and keep them")
    parser.add_argument("--paired", type=int, default=1000, metavar="N",
                        help="endpoints of the repository the paired rows use (default: %(default)s; 0: no paired rows)")
    parser.add_argument("--pairs", type=int, default=5, help="A/B pairs per paired row (default: %(default)s)")
    parser.add_argument("--diff-memory", type=int, default=0, metavar="N",
                        help="also the peak memory of `aimc diff` of two N-endpoint trees (e.g. 10000)")
    parser.add_argument("--checkout", action="store_true",
                        help="time the aimc of this checkout (python -m aimc, PYTHONPATH) rather than the installed one")
    parser.add_argument("--no-site", action="store_true",
                        help="run every Python child as `python -S`, site-packages on PYTHONPATH: no .pth file runs "
                             "(with --checkout when aimc is installed in editable mode, which a .pth file makes)")
    parser.add_argument("--quick", action="store_true",
                        help="every row once on small repositories: checks that the benchmark runs, figures mean nothing")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.paired, args.pairs = "10", 1, 20, 1
        args.diff_memory = min(args.diff_memory, 20)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    aimc = aimc_command(args.checkout, args.no_site)
    if args.no_site:
        isolate_from_site(args.checkout)
    elif args.checkout:  # every child, the generator's and the Kustomize folder's too
        os.environ["PYTHONPATH"] = CHILD_ENV["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    kubectl = shutil.which("kubectl")
    print(f"# aimc: {' '.join(aimc)}; kustomize: {kubectl or 'kubectl not found, skipped'}")
    print(f"# machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    catalog = generate.builtin_catalog(aimc)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="aimc-bench-"))
    results = {}
    try:
        for size in sizes:
            runs = args.runs or DEFAULT_RUNS.get(size, 3 if size <= 1000 else 1)
            repo = generate.generate(size, work / f"repo-{size}", catalog)
            stream = work / f"out-{size}.yaml"
            if size == sizes[0]:
                timed_run([*aimc, "build", str(repo)], stream)  # warm-up: page cache and .pyc files
            result = {"endpoints": size, "aimc": measure([*aimc, "build", str(repo)], runs, stream)}
            result["objects"] = stream.read_text(encoding="utf-8").count("\n---\n") + 1
            result["kustomize"] = None
            if kubectl and size <= args.kustomize_max:
                folder = work / f"rendered-{size}"
                kustomize_folder(aimc, repo, folder)
                command = [kubectl, "kustomize", str(folder)]
                if size == sizes[0]:
                    timed_run(command, work / "kustomize.yaml")  # warm-up
                result["kustomize"] = measure(command, runs, work / "kustomize.yaml")
                result["ratio"] = result["aimc"]["median_s"] / result["kustomize"]["median_s"]
            if size == sizes[0] and result["kustomize"]:
                floor = measure([*python_command(args.no_site), "-c", FLOOR_CODE], runs, work / "floor")
                result["floor"] = floor
                print(f"# start-up floor, Python importing {', '.join(FLOOR_IMPORTS)} and nothing else: "
                      f"{floor['median_s']:.3f} s, {floor['median_s'] / result['kustomize']['median_s']:.2f}x "
                      f"kustomize at {size} endpoints", flush=True)
            results[size] = result
            ratio = f", ratio {result['ratio']:.2f}" if "ratio" in result else ""
            print(f"{size:>6} endpoints, {result['objects']:>6} objects, {result['aimc']['output_bytes'] / 1e6:6.2f} MB:"
                  f"  aimc {figure(result['aimc'])};  kustomize {figure(result['kustomize'])}{ratio}", flush=True)
        if args.paired:
            import paired  # bench/paired.py

            results["paired"] = paired.run_all(aimc, kubectl, work, catalog, args.paired, args.pairs, args.diff_memory,
                                               CHILD_ENV)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    paired_rows = results.pop("paired", None)
    ratios = ", ".join(f"{size}: {r['ratio']:.2f}" for size, r in results.items() if "ratio" in r)
    cpu_ratios = ", ".join(f"{size}: {r['aimc']['cpu_median_s'] / r['kustomize']['cpu_median_s']:.2f}"
                           for size, r in results.items() if r["kustomize"])
    growth = ""
    if 1000 in results and 10000 in results:
        small, large = results[1000]["aimc"], results[10000]["aimc"]
        growth = (f"; aimc 10000/1000: time {large['median_s'] / small['median_s']:.1f}x, "
                  f"cpu {large['cpu_median_s'] / small['cpu_median_s']:.1f}x")
    print(f"ratio aimc/kustomize, median wall time: {ratios or 'n/a'} (cpu time: {cpu_ratios or 'n/a'}){growth}")
    print(f"# {BUDGETS}")
    if args.markdown:
        print(markdown_table(results))
    if paired_rows is not None:
        import paired

        print(paired.markdown_table(paired_rows))
        results["paired"] = paired_rows
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                time.gmtime()), "command": aimc, "results": results}, indent=2)
                                   + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
