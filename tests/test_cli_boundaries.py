"""Boundaries: a build opens no network connection, writes nothing outside --output-dir, and every pod it renders is
hardened.

The network guard runs aimc in a subprocess whose `socket` refuses to connect, resolve or bind (installed before aimc
is imported, so an import-time connection would be caught too). The write guard snapshots a temporary tree holding
the inputs, the working directory, HOME and TMPDIR before and after `aimc build -o`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

NETWORK_GUARD = '''
import socket

class NetworkUsed(RuntimeError):
    pass

def _refuse(*args, **kwargs):
    raise NetworkUsed("aimc tried to use the network")

for name in ("connect", "connect_ex", "bind", "sendto", "sendmsg"):
    setattr(socket.socket, name, _refuse)
socket.create_connection = socket.getaddrinfo = socket.gethostbyname = _refuse
'''


def _run_guarded(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "guard").mkdir(exist_ok=True)
    (tmp_path / "guard" / "network_guard.py").write_text(NETWORK_GUARD)
    code = ("import sys, network_guard, runpy; sys.argv = ['aimc', *sys.argv[1:]]; "
            "runpy.run_module('aimc', run_name='__main__')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "guard"), str(REPO)]),
           "PYTHONDONTWRITEBYTECODE": "1", "AIMC_TRACEBACK": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd or REPO, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.e2e
def test_the_network_guard_works(tmp_path):
    (tmp_path / "guard").mkdir()
    (tmp_path / "guard" / "network_guard.py").write_text(NETWORK_GUARD)
    code = "import network_guard, socket; socket.create_connection(('127.0.0.1', 9))"
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tmp_path / "guard")},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "aimc tried to use the network" in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("args", [
    ("build", "examples"),
    ("build", "--format", "json", "examples"),
    ("validate", "examples"),
    ("explain", "examples"),
    ("recipes", "list"),
])
def test_commands_open_no_network_connection(tmp_path, args):
    result = _run_guarded(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "tried to use the network" not in result.stderr


def _snapshot(root: Path, skip: Path) -> dict[str, tuple]:
    """Every file and folder under root (except skip) with its kind, size, content and modification time."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        stat = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        out[path.relative_to(root).as_posix()] = (path.is_dir(), path.is_symlink(), stat.st_size, stat.st_mtime_ns,
                                                   content)
    return out


@pytest.mark.e2e
def test_build_writes_nothing_outside_the_output_dir(tmp_path):
    inputs = tmp_path / "repo"
    shutil.copytree(REPO / "examples", inputs)
    for folder in ("home", "tmp", "cwd"):
        (tmp_path / folder).mkdir()
    (tmp_path / "cwd" / "notes.txt").write_text("left alone\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path / "tmp")}
    before = _snapshot(tmp_path, out)

    def build(*args):
        result = subprocess.run([sys.executable, "-m", "aimc", "build", *args], cwd=tmp_path / "cwd", env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr

    build(str(inputs))  # to stdout: writes no file at all
    build("-o", str(out), str(inputs))
    build("-o", str(out), str(inputs))  # a second run rewrites nothing and removes nothing
    assert _snapshot(tmp_path, out) == before
    assert any(out.rglob("deployment-*.yaml"))
    (inputs / "endpoints" / "qwen3-32b-multi.yaml").unlink()
    before = _snapshot(tmp_path, out)
    build("-o", str(out), str(inputs))  # stale files are removed, inside out/ only
    assert _snapshot(tmp_path, out) == before
    assert not any(out.rglob("*qwen3-32b-multi*"))


@pytest.mark.e2e
def test_output_dir_refuses_to_write_through_a_symlink_leading_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "inference").symlink_to(outside)  # the examples' namespace
    result = subprocess.run([sys.executable, "-m", "aimc", "build", "-o", str(out), str(REPO / "examples")],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 1
    assert "refusing to write outside the output folder" in result.stderr
    assert list(outside.iterdir()) == []


# -- hardened pods ------------------------------------------------------------------------------------------

def hardened_pod_problems(pod: dict) -> list[str]:
    """What makes a pod spec unsafe: privileged or escalating containers, host namespaces or paths, capabilities
    kept, no RuntimeDefault seccomp profile, the service-account token mounted."""
    problems = []
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(key)
    # The token only for a pod that calls the API (the routing components: endpoint picker, body-based router), under
    # its own ServiceAccount and as a non-root user.
    calls_api = bool(pod.get("serviceAccountName")) and (pod.get("securityContext") or {}).get("runAsNonRoot") is True
    if pod.get("automountServiceAccountToken") is not False and not calls_api:
        problems.append("automountServiceAccountToken is not false")
    if any("hostPath" in volume for volume in pod.get("volumes", [])):
        problems.append("hostPath volume")
    pod_seccomp = (pod.get("securityContext") or {}).get("seccompProfile", {}).get("type")
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        context = container.get("securityContext") or {}
        name = container.get("name")
        if context.get("privileged") is not False:
            problems.append(f"{name}: privileged is not false")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        capabilities = context.get("capabilities") or {}
        # IPC_LOCK comes back only for a container that requests an RDMA device (RDMA pins memory): nothing else
        rdma = any(r.startswith("rdma/") or r in ("amd.com/nic", "amd.com/vnic")
                   for r in (container.get("resources") or {}).get("limits", {}))
        if capabilities.get("drop") != ["ALL"] or capabilities.get("add", []) not in ([], ["IPC_LOCK"] if rdma else []):
            problems.append(f"{name}: capabilities not dropped")
        if context.get("seccompProfile", {}).get("type", pod_seccomp) != "RuntimeDefault":
            problems.append(f"{name}: seccomp profile is not RuntimeDefault")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append(f"{name}: hostPort")
    return problems


def pod_specs(obj: dict):
    """The pod specs of a workload object aimc rendered (Deployment, StatefulSet, Job, CronJob, Pod, LeaderWorkerSet)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get("app.kubernetes.io/managed-by") != "aimc":
        return
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        yield spec
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "LeaderWorkerSet":
        template = spec["leaderWorkerTemplate"]
        yield template["leaderTemplate"]["spec"]
        yield template["workerTemplate"]["spec"]
    elif "template" in spec:
        yield spec["template"]["spec"]


GOLDEN_OUTPUTS = sorted((REPO / "tests" / "cases").glob("*/expected.yaml"))


def test_every_pod_in_every_golden_case_is_hardened():
    checked = 0
    for expected in GOLDEN_OUTPUTS:
        try:
            documents = [d for d in yaml.safe_load_all(expected.read_text()) if isinstance(d, dict)]
        except yaml.YAMLError:  # a report (`aimc bench report`, `aimc plan`), not manifests: no pods in it
            continue
        objects = [item for d in documents for item in (d["items"] if d.get("kind") == "List" else [d])]
        for obj in objects:
            for pod in pod_specs(obj):
                assert hardened_pod_problems(pod) == [], f"{expected.parent.name}: {obj['metadata']['name']}"
                checked += 1
    assert checked >= 10


def test_the_hardened_pod_check_catches_each_problem():
    safe = {"automountServiceAccountToken": False, "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "securityContext": {"privileged": False, "allowPrivilegeEscalation": False,
                                                             "capabilities": {"drop": ["ALL"]}}}]}
    assert hardened_pod_problems(safe) == []
    unsafe = [
        {**safe, "hostNetwork": True},
        {**safe, "automountServiceAccountToken": True},
        {**safe, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
        {**safe, "securityContext": {}},
        {**safe, "containers": [{"name": "c", "securityContext": {"privileged": True}}]},
        {**safe, "containers": [{"name": "c", "securityContext": {
            "privileged": False, "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": ["IPC_LOCK"]}}}]},  # IPC_LOCK without an RDMA device
    ]
    assert all(hardened_pod_problems(pod) for pod in unsafe)


def test_an_output_dir_that_cannot_be_written_is_a_user_error(aimc, tmp_path):
    (tmp_path / "a-file").write_text("not a folder\n")
    result = aimc("build", "-o", str(tmp_path / "a-file" / "out"), "examples")
    assert result.code == 1, result
    assert "cannot write the output: Not a directory" in result.err


def test_a_namespace_option_that_would_leave_the_output_dir_is_refused(aimc, tmp_path):
    result = aimc("build", "-n", "../escape", "-o", str(tmp_path / "out"), "examples/endpoints",
                  "--inventory", "tests/corpus/duplicate-endpoint/cluster.yaml")
    assert result.code == 1, result
    assert "--namespace: '../escape' is not a valid namespace" in result.err
    assert list(tmp_path.iterdir()) == []
