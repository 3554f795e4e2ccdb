"""bench/generate.py writes a repository that `aimc build` accepts (the benchmark itself is not part of the suite)."""

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import generate


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


def test_generation_is_deterministic(tmp_path):
    catalog = generate.builtin_catalog()
    first = generate.generate(30, tmp_path / "a", catalog)
    second = generate.generate(30, tmp_path / "b", catalog)
    read = lambda root: {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.yaml")}
    assert read(first) == read(second)


def test_the_start_up_floor_imports_only_what_every_build_imports(tmp_path):
    import subprocess

    import run

    code = ("import sys; from aimc.cli import main; main(['build', sys.argv[1]]); "
            f"print([m for m in {run.FLOOR_IMPORTS!r} if m not in sys.modules], file=sys.stderr)")
    repo = generate.generate(10, tmp_path / "repo", generate.builtin_catalog())
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.rstrip().endswith("[]")
