"""`pip install .` (not editable) must carry the recipes and schemas: build the real wheel and run from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import REPO


@pytest.mark.e2e
def test_wheel_ships_recipes_and_schemas_and_builds_the_example(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".ci-venv", ".venv", "__pycache__", "*.egg-info"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("aimc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "aimc/_data/schemas/aimendpoint.json" in names
    assert "aimc/_data/recipes/qwen3-32b-mi300x-bf16.yaml" in names
    assert "aimc/_data/recipes/README.md" in names  # named by `aimc recipes --help` and by unknown-model errors
    assert "aimc/catalog/hardware.yaml" in names
    assert "aimc/reports/templates/diff.md.j2" in names  # aimc diff --format markdown
    assert "aimc/k8s/model_shapes.json" in names  # aimc validate's table of the kubernetes package's models
    assert "aimc/catalog/preparsed.json" in names  # the built-in catalog parsed ahead of time
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    shutil.copytree(REPO / "examples", work / "examples")
    run = subprocess.run([sys.executable, "-c", "import sys; from aimc.cli import main; sys.exit(main(['build', 'examples']))"],
                         cwd=work, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "kind: Deployment" in run.stdout
    helped = subprocess.run([sys.executable, "-c", "import sys; from aimc.cli import main; sys.exit(main(['recipes', "
                             "'--help']))"], cwd=work, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    readme = site / "aimc" / "_data" / "recipes" / "README.md"
    assert readme.is_file() and str(readme) in helped.stdout, helped.stdout
    served = subprocess.run([sys.executable, "-c", "from aimc.catalog import preparsed; from aimc.validate import "
                             "recipes; print(all(preparsed.recipe_documents(f) for f in recipes._builtin_files()))"],
                            cwd=work, env={"PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert served.stdout == "True\n", served.stderr  # the wheel's recipes (under _data/) match their entries
    assert str(site) in subprocess.run([sys.executable, "-c", "import aimc; print(aimc.__file__)"], cwd=work,
                                       env={"PYTHONPATH": str(site)}, capture_output=True, text=True).stdout
