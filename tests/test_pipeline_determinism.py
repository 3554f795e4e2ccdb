"""Determinism: the same inputs give byte-identical output whatever the file order, hash seed, working directory and
environment; and the output carries nothing of the build machine (no timestamp, no absolute path, no user name).

Twenty runs, each a subprocess with its own PYTHONHASHSEED, working directory, HOME, USER, TMPDIR, TZ and LANG, on a
fresh copy of the inputs whose files were created in a shuffled order. Each run builds the folder (YAML stream), the
same files passed as explicit arguments in a shuffled order (JSON), and every fifth run also writes `-o DIR`.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

# ~50 processes: an end-to-end test, outside the fast loop (issue 25: the fast loop spent a third of its time here).
pytestmark = pytest.mark.e2e

RUNS = 20
EXTRA_OBJECTS = """apiVersion: v1
kind: Namespace
metadata: {name: inference, labels: {team: research}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: engine-settings, namespace: inference}
data: {b: "2", a: "1", "z.key": "ünïcödé"}
"""


def _input_files() -> dict[str, bytes]:
    """The examples (an inventory and four endpoints) and pass-through objects, by path relative to the input root."""
    root = REPO / "examples"
    files = {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.yaml"))}
    files["objects/platform.yaml"] = EXTRA_OBJECTS.encode("utf-8")
    return files


def _copy_shuffled(files: dict[str, bytes], target: Path, rng: random.Random) -> list[Path]:
    """Create the files in a random order (directory entries then come in that order on most file systems)."""
    names = list(files)
    rng.shuffle(names)
    for rel in names:
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
    return [target / rel for rel in names]


def _run(args, cwd: Path, env: dict) -> bytes:
    result = subprocess.run([sys.executable, "-m", "aimc", *args], cwd=cwd, env=env, capture_output=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_twenty_runs_give_identical_bytes_and_nothing_of_the_machine(tmp_path):
    files = _input_files()
    streams, lists, trees, leaked = set(), set(), [], []
    for run in range(RUNS):
        rng = random.Random(run)
        base = tmp_path / f"machine-{run}"
        home, cwd, tmp = base / "home" / f"user{run}", base / "work" / f"dir{run}", base / "tmp"
        for folder in (home, cwd, tmp):
            folder.mkdir(parents=True)
        inputs = base / rng.choice(["inputs", "repo", "src", "gitops"])
        paths = _copy_shuffled(files, inputs, rng)
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": str(rng.randrange(1, 2**32)),
               "HOME": str(home), "USER": f"user{run}", "LOGNAME": f"user{run}", "TMPDIR": str(tmp),
               "TZ": rng.choice(["UTC", "America/Los_Angeles", "Asia/Kolkata"]),
               "LANG": rng.choice(["C.UTF-8", "en_US.UTF-8"]), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("AIMC_TRACEBACK", None)
        # The folder, by absolute path from an unrelated working directory (so no path is relative to it) ...
        outputs = [_run(["build", str(inputs)], cwd, env)]
        streams.add(outputs[0])
        # ... and the same files as explicit arguments in a shuffled order, relative to the input root.
        rng.shuffle(paths)
        outputs.append(_run(["build", "--format", "json", *(str(p.relative_to(inputs)) for p in paths)], inputs, env))
        lists.add(outputs[-1])
        if run % 5 == 0:
            _run(["build", "-o", str(base / "out"), str(inputs)], cwd, env)
            trees.append(_tree(base / "out"))
            outputs.extend(trees[-1].values())
        for text in (output.decode("utf-8") for output in outputs):
            for private in (str(tmp_path), str(home), f"user{run}", str(cwd), str(tmp), str(REPO), str(inputs)):
                if private in text:
                    leaked.append((run, private))
    assert len(streams) == 1, "the YAML stream differs between runs"
    assert len(lists) == 1, "the JSON list differs between runs"
    assert all(tree == trees[0] for tree in trees), "the -o tree differs between runs"
    assert not leaked
    text = streams.pop().decode("utf-8") + lists.pop().decode("utf-8")
    assert "kind: Deployment" in text and "engine-settings" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), "a timestamp in the output"
    hostname = socket.gethostname()
    if len(hostname) >= 6:
        assert hostname not in text
