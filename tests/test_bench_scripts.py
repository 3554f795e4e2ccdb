"""bench/generate.py writes a repository that `aimc build` accepts; bench/run.py works in its quick mode (its figures
are not part of the suite)."""

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import generate


@pytest.mark.e2e
def test_generated_repository_builds(aimc, tmp_path):
    catalog = generate.builtin_catalog()
    repo = generate.generate(10, tmp_path / "repo", catalog)
    result = aimc("build", "--strict", str(repo))
    assert result.code == 0, result.err
    assert result.out.count("kind: AIMEndpoint") == 0
    assert result.out.count("\nkind: Deployment\n") >= 10
    assert "servingEngines" not in result.out  # rendered, not passed through
    texts = "".join(p.read_text() for p in (repo / "teams").rglob("*.yaml"))
    assert "servingEngines: [vllm, sglang]" in texts and "autoScaling" in texts and "customArgs" in texts


@pytest.mark.e2e
def test_generation_is_deterministic(tmp_path):
    catalog = generate.builtin_catalog()
    first = generate.generate(30, tmp_path / "a", catalog)
    second = generate.generate(30, tmp_path / "b", catalog)
    read = lambda root: {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.yaml")}
    assert read(first) == read(second)


@pytest.mark.e2e
def test_the_start_up_floor_imports_only_what_every_build_imports(tmp_path):
    import subprocess

    import run

    code = ("import sys; from aimc.cli import fast; fast.main(['build', sys.argv[1]]); "
            f"print([m for m in {run.FLOOR_IMPORTS!r} if m not in sys.modules], file=sys.stderr)")
    repo = generate.generate(10, tmp_path / "repo", generate.builtin_catalog())
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.rstrip().endswith("[]")


@pytest.mark.e2e
def test_the_benchmark_runs_without_the_site_packages_pth_files(tmp_path):
    """--no-site: aimc (and the start-up floor) run as `python -S`, the site-packages folders on PYTHONPATH, so no
    .pth file of the machine runs at their start; the build still works (every child finds msgspec, PyYAML...)."""
    import subprocess

    done = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--checkout", "--no-site", "--sizes", "10",
                           "--runs", "1", "--paired", "0"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert f"# aimc: {sys.executable} -S -m aimc;" in done.stdout
    assert "    10 endpoints" in done.stdout


@pytest.mark.e2e
def test_the_benchmark_runs_in_quick_mode(tmp_path):
    """CI runs bench/run.py --quick only to check that it works (issue 24): every paired row is measured against its
    yardstick and written to the JSON file; the figures of a quick run mean nothing."""
    import json
    import shutil
    import subprocess

    report = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--checkout", "--json",
                           str(report)], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    rows = json.loads(report.read_text())["results"]["paired"]
    expected = {"diff A B", "diff HEAD", "validate", "explain --endpoint", "krm"}
    if shutil.which("kubectl"):
        expected |= {"build 10 vs kustomize", "build 100 vs kustomize"}
    assert expected <= set(rows)
    for name in expected:
        assert rows[name]["cpu_ratio"]["median"] > 0 and rows[name]["pairs"] == 1
    assert "| diff A B | build |" in done.stdout
