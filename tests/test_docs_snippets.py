"""Every shell snippet of the README and the getting-started pages runs as written (issue 25).

The README's snippets run from a copy of the repository, in a fresh virtualenv, so its first line really installs
aimc (`python3 -m pip install .`) and the commands after it use that install. The getting-started pages start in an
empty folder, with the `aimc` of this checkout on PATH. Snippets marked `<!-- snippet: skip (why) -->` are not run
(they need the network or a cluster, or run this test suite); tests/docs_snippets.py says how the marker reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.docs_snippets import script, snippets

ROOT = Path(__file__).resolve().parent.parent
GETTING_STARTED = sorted((ROOT / "docs" / "getting-started").glob("*.md"))


def run_bash(text: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", text], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def shim_env(tmp_path: Path) -> dict[str, str]:
    """PATH with an `aimc` that runs this checkout's code, as an installed console script would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "aimc"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m aimc "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMC_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def checked(result: subprocess.CompletedProcess, page: str) -> None:
    assert result.returncode == 0, (f"{page}: a snippet failed (exit {result.returncode})\n"
                                    f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")


def test_every_snippet_is_run_or_marked():
    """The pages hold snippets at all, and every marker parses (a typo in one would hide a snippet silently)."""
    for page in [ROOT / "README.md", *GETTING_STARTED]:
        found = snippets(page.read_text(encoding="utf-8"))
        assert any(not s.skip_reason for s in found), f"{page.name}: no runnable snippet"


@pytest.mark.e2e
@pytest.mark.parametrize("page", GETTING_STARTED, ids=lambda p: p.name)
def test_getting_started_snippets_run(page, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    text = script(snippets(page.read_text(encoding="utf-8")), str(ROOT))
    checked(run_bash(text, work, shim_env(tmp_path)), page.name)


@pytest.mark.e2e
def test_readme_snippets_run(tmp_path):
    """From a copy of the repository (what `git clone` gives, plus uncommitted files), in a new virtualenv."""
    clone = tmp_path / "aimc"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes(source.read_bytes())
    # --system-site-packages: the dependencies are already installed here; `pip install .` still builds and installs
    # aimc itself into the virtualenv, and the `aimc` the snippets run is that install's console script.
    venv.create(tmp_path / "venv", system_site_packages=True, with_pip=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIMC_", "PYTHON"))}
    env["PATH"] = f"{tmp_path / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(tmp_path / "venv")
    text = script(snippets((ROOT / "README.md").read_text(encoding="utf-8")), str(ROOT))
    result = run_bash(text, clone, env)
    checked(result, "README.md")
    assert (tmp_path / "venv" / "bin" / "aimc").is_file(), "README's first line did not install aimc"
    assert "kind: Deployment" in (clone / "my-endpoints" / "manifests.yaml").read_text()
