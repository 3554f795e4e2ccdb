"""What git and Kustomize print is read bounded, like every file aimc opens (adapters/processes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aimc.adapters import argocd_kustomize, processes, revisions
from aimc.errors import UserError
from aimc.load import limits

PYTHON = sys.executable


def _small(monkeypatch, kind: str, size: int) -> None:
    monkeypatch.setitem(limits.KINDS, kind, (size, limits.KINDS[kind][1]))


@pytest.mark.e2e
def test_output_past_the_limit_stops_the_program_and_says_so(monkeypatch):
    _small(monkeypatch, "kustomize output", 1000)
    started = time.monotonic()
    with pytest.raises(limits.InputTooLarge) as caught:
        # Prints without end: only a reader that stops and kills it ends this test.
        processes.run([PYTHON, "-c", "import sys\nwhile True: sys.stdout.write('x' * 4096)"],
                      kind="kustomize output", timeout=60)
    assert time.monotonic() - started < 30
    assert caught.value.message() == ("input is more than 1,000 bytes; the objects `kustomize build` prints for an "
                                      "Argo CD overlay application are limited to 0 MiB (1,000 bytes)")


@pytest.mark.e2e
def test_output_at_the_limit_is_read_whole(monkeypatch):
    _small(monkeypatch, "kustomize output", 1000)
    done = processes.run([PYTHON, "-c", "print('x' * 999)"], kind="kustomize output")
    assert (done.returncode, done.stdout) == (0, b"x" * 999 + b"\n")


@pytest.mark.e2e
def test_a_chatty_error_stream_neither_blocks_nor_is_kept_whole():
    # 8 MiB on stderr: far past a pipe's buffer, so a reader of stdout alone would wait forever.
    done = processes.run([PYTHON, "-c", "import sys\nsys.stderr.write('e' * (8 << 20))\nprint('ok')"],
                         kind="git answer", timeout=60)
    assert done.stdout == b"ok\n"
    assert done.stderr == b"e" * processes.STDERR_KEPT


@pytest.mark.e2e
def test_a_program_reading_its_input_gets_end_of_file_not_the_terminal():
    done = processes.run([PYTHON, "-c", "import sys\nprint(repr(sys.stdin.read()))"], kind="git answer", timeout=60)
    assert done.stdout == b"''\n"


@pytest.mark.e2e
def test_the_timeout_kills_the_program():
    with pytest.raises(subprocess.TimeoutExpired):
        processes.run([PYTHON, "-c", "import time\ntime.sleep(60)"], kind="git answer", timeout=0.5)


@pytest.mark.e2e
def test_a_stream_is_bounded_and_what_is_left_unread_is_drained(monkeypatch):
    _small(monkeypatch, "revision tree", 10_000)
    outcome: list[processes.Finished] = []
    with processes.streamed([PYTHON, "-c", "import sys\nsys.stdout.write('a' * 9000)"], outcome,
                            kind="revision tree") as stream:
        assert stream.read(10) == b"a" * 10
    assert outcome[0].returncode == 0  # the rest was read, not cut (which would end the program by SIGPIPE)

    outcome.clear()
    with pytest.raises(limits.InputTooLarge), processes.streamed(
            [PYTHON, "-c", "import sys\nwhile True: sys.stdout.write('a' * 4096)"], outcome,
            kind="revision tree") as stream:
        while stream.read(4096):
            pass
    assert outcome[0].returncode != 0  # killed


def _commit(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "c"]):
        subprocess.run(["git", *command], cwd=root, env=environment, check=True)


@pytest.mark.e2e
def test_a_revision_larger_than_the_limit_is_refused_with_its_size(tmp_path, monkeypatch):
    repository = tmp_path / "repository"
    _commit(repository, {"endpoints/a.yaml": b"kind: x\n", "blob.bin": os.urandom(300_000)})
    monkeypatch.chdir(repository)
    _small(monkeypatch, "revision tree", 200_000)
    with pytest.raises(UserError) as caught:
        revisions.open_side("HEAD", tmp_path / "scratch")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == ("cannot read the revision: input is more than 200,000 bytes; revision trees that "
                                  "`aimc diff` extracts (`git archive`) are limited to 0 MiB (200,000 bytes)")


@pytest.mark.e2e
def test_a_revision_is_extracted_from_the_stream_as_before(tmp_path, monkeypatch):
    repository = tmp_path / "repository"
    _commit(repository, {"endpoints/a.yaml": b"kind: x\n", "deep/er/b.yaml": b"y: 1\n"})
    (repository / "link.yaml").symlink_to("/etc/passwd")
    subprocess.run(["git", "add", "-A"], cwd=repository, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "link"],
                   cwd=repository, check=True)
    monkeypatch.chdir(repository / "endpoints")
    side = revisions.open_side("HEAD", tmp_path / "scratch")
    assert (side.root / "a.yaml").read_bytes() == b"kind: x\n"
    assert (side.root.parent / "deep/er/b.yaml").read_bytes() == b"y: 1\n"
    assert not (side.root.parent / "link.yaml").exists()
    assert side.refused_links == ()  # the link is outside endpoints/, the folder compared


@pytest.mark.e2e
def test_a_stream_that_is_no_archive_is_an_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(revisions, "_git", lambda *args: str(tmp_path).encode())

    real = processes.streamed

    def not_a_tar(command, outcome, **kwargs):
        return real([PYTHON, "-c", "print('this is not a tar archive' * 100)"], outcome, **kwargs)

    monkeypatch.setattr(processes, "streamed", not_a_tar)
    with pytest.raises(UserError) as caught:
        revisions._extract("0123456789abcdef", tmp_path / "target")
    assert "cannot read the revision: `git archive` printed an archive aimc cannot read" in \
        caught.value.diagnostics[0].message


@pytest.mark.e2e
def test_kustomize_printing_too_much_is_an_error_naming_the_application(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "kustomize"
    fake.parent.mkdir()
    fake.write_text(f"#!{PYTHON}\nimport sys\nwhile True: sys.stdout.write('x' * 4096)\n")
    fake.chmod(0o755)
    _small(monkeypatch, "kustomize output", 100_000)
    with pytest.raises(UserError) as caught:
        argocd_kustomize.run_kustomize(tmp_path, {"PATH": str(fake.parent)}, "overlays/prod")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.file == "overlays/prod"
    assert diagnostic.message.startswith("`kustomize build .` printed too much: input is more than 100,000 bytes")


@pytest.mark.e2e
def test_kustomize_output_that_is_not_utf8_is_an_error(tmp_path):
    fake = tmp_path / "bin" / "kustomize"
    fake.parent.mkdir()
    fake.write_text(f"#!{PYTHON}\nimport sys\nsys.stdout.buffer.write(b'a: \\xff\\n')\n")
    fake.chmod(0o755)
    with pytest.raises(UserError) as caught:
        argocd_kustomize.run_kustomize(tmp_path, {"PATH": str(fake.parent)}, "overlays/prod")
    assert "not UTF-8 (at byte 3)" in caught.value.diagnostics[0].message


def test_every_program_aimc_runs_goes_through_the_bounded_runner():
    """No other module starts a process: what it prints would be read unbounded."""
    import ast

    package = Path(processes.__file__).resolve().parents[1]
    starting = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "processes.py" and path.parent.name == "adapters":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in (
                    "subprocess", "os") and node.attr in ("run", "Popen", "call", "check_call", "check_output",
                                                          "system", "popen", "execv", "execvp", "spawnv"):
                starting.append(f"{path.relative_to(package)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert starting == []
