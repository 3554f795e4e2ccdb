"""The bad-input corpus: every case under tests/corpus/ fails cleanly, with the exact message of <case>.expected.

A case is one file `tests/corpus/<case>.yaml` (self-contained: where the problem needs an inventory, the file holds one
as its first document) or one folder `tests/corpus/<case>/` when several files are needed. `aimc build <case>` runs as a
subprocess from tests/corpus/ under a 1 GiB address-space limit and a timeout: it must exit 1, print nothing on stdout,
and print exactly `<case>.expected` on stderr, every line `file:line: ...`. `pytest --update-golden` rewrites the
expected files. Inputs too large to commit (the 50 MB file) are generated in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix == ".yaml" or p.is_dir())
MEMORY_LIMIT = 1 << 30  # bytes of address space for one aimc run
TIME_LIMIT = 120  # seconds; a generous bound on a busy 2-core machine (the slowest case takes about 1 s)
# Inputs that hold no endpoint and no object at all: the refusal names the paths given, not a line.
NO_LINE_MESSAGE = "no AIMEndpoint and no Kubernetes object found"
DIAGNOSTIC = re.compile(r"^[^\s:]+:\d+: \S")


def _limit_memory():  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_aimc(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`python -m aimc ARGS` with this checkout first on the path, bounded in memory and time."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0"}
    env.pop("AIMC_TRACEBACK", None)
    return subprocess.run([sys.executable, "-m", "aimc", *args], cwd=cwd, env=env, input=stdin or b"",
                          capture_output=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory, check=False)


def assert_clean_failure(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode("utf-8")
    assert result.returncode == 1, err
    assert result.stdout == b"", "a failing build must print no manifests"
    assert "Traceback" not in err and "internal error" not in err
    *diagnostics, summary = err.splitlines()
    assert re.fullmatch(r"aimc: \d+ errors?", summary), summary
    assert diagnostics
    for line in diagnostics:
        assert DIAGNOSTIC.match(line) or NO_LINE_MESSAGE in line, f"no file:line in {line!r}"
    return err


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_fails_with_the_expected_message(case: Path, update_golden):
    result = run_aimc("build", case.name, cwd=CORPUS)
    expected = CORPUS / f"{case.stem}.expected"
    if update_golden:
        expected.write_bytes(result.stderr)
    err = assert_clean_failure(result)
    assert err == expected.read_text(encoding="utf-8")


@contextlib.contextmanager
def _at_most_a_gibibyte_more():
    """This process's address space grows by at most MEMORY_LIMIT meanwhile: an input that escapes its bound (a
    billion laughs) is a MemoryError, aimc's exit 3, rather than a worker that swallows the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + MEMORY_LIMIT, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_fails_with_the_expected_message_in_this_process(case: Path, aimc):
    """The same messages through the CLI in this process: the fast loop checks every case (the test above, `e2e`, runs
    each in a process of its own, as a user would, and under a hard memory limit)."""
    with _at_most_a_gibibyte_more():
        result = aimc("build", case.name, cwd=CORPUS)
    assert result.code == 1, result.err
    assert result.out == "", "a failing build must print no manifests"
    assert result.err == (CORPUS / f"{case.stem}.expected").read_text(encoding="utf-8")


def test_every_expected_file_has_its_case():
    stems = {c.stem for c in CASES}
    orphans = sorted(p.name for p in CORPUS.glob("*.expected") if p.stem not in stems)
    assert not orphans


def _fifty_megabytes(path: Path) -> Path:
    """Valid YAML (one ConfigMap with a huge data section), 50 MiB: refused for its size before it is parsed."""
    head = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n"
    line = b"  key-%08d: " + b"x" * 100 + b"\n"
    count = (50 * 1024 * 1024 - len(head)) // len(line % 0) + 1
    with open(path, "wb") as handle:
        handle.write(head)
        handle.writelines(line % i for i in range(count))
    return path


@pytest.mark.e2e
def test_a_50_megabyte_file_is_refused(tmp_path):
    big = _fifty_megabytes(tmp_path / "big.yaml")
    err = assert_clean_failure(run_aimc("build", "big.yaml", cwd=tmp_path))
    assert err.startswith(f"big.yaml:1: input is {big.stat().st_size:,} bytes; input files (and stdin) are limited to 20 MiB")


@pytest.mark.e2e
def test_a_50_megabyte_stream_on_stdin_is_refused(tmp_path):
    big = _fifty_megabytes(tmp_path / "big.yaml")
    err = assert_clean_failure(run_aimc("build", "-", cwd=tmp_path, stdin=big.read_bytes()))
    assert err.startswith("<stdin>:1: input is more than 20,971,520 bytes; input files (and stdin) are limited to 20 MiB")


@pytest.mark.e2e
@pytest.mark.parametrize("case", ["non-utf8", "binary", "deep-nesting-flow", "billion-laughs", "tab-indent"])
def test_bad_bytes_on_stdin_fail_like_the_file(case):
    """`aimc build -` reads bytes and checks them exactly like a file's (encoding, NUL bytes, YAML)."""
    result = run_aimc("build", "-", cwd=CORPUS, stdin=(CORPUS / f"{case}.yaml").read_bytes())
    err = assert_clean_failure(result)
    expected = (CORPUS / f"{case}.expected").read_text(encoding="utf-8")
    assert err == expected.replace(f"{case}.yaml:", "<stdin>:")


@pytest.mark.e2e
def test_a_byte_order_mark_at_the_start_is_accepted(tmp_path):
    """Decision: a UTF-8 BOM at the very start of a file is legal YAML and is skipped (the output is the same as
    without it); a BOM anywhere else is an error (see the corpus case byte-order-mark-mid-file)."""
    plain = (REPO / "examples" / "cluster.yaml").read_bytes()
    endpoint = (REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_bytes()
    for folder, prefix in (("plain", b""), ("bom", b"\xef\xbb\xbf")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cluster.yaml").write_bytes(prefix + plain)
        (tmp_path / folder / "qwen.yaml").write_bytes(prefix + endpoint)
    with_bom = run_aimc("build", "bom", cwd=tmp_path)
    without = run_aimc("build", "plain", cwd=tmp_path)
    assert with_bom.returncode == 0, with_bom.stderr
    assert with_bom.stdout == without.stdout
    assert with_bom.stdout


@pytest.mark.e2e
def test_a_variable_reference_warns_and_fails_under_strict(tmp_path):
    """`$(HF_TOKEN)` in a flag or env value makes Kubernetes paste that variable into it: a warning naming it, an
    error under --strict; the documented `--api-key: "$(API_KEY)"` is not warned about."""
    (tmp_path / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
    (tmp_path / "qwen.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: qwen}\nspec:\n"
        "  model: Qwen/Qwen3-32B\n  hardware: MI300X\n  gpuCount: 1\n"
        "  customArgs: {--download-dir: \"/cache/$(HF_TOKEN)\", --api-key: \"$(API_KEY)\"}\n"
        "  env: [{name: NOTES, value: \"see $(HF_TOKEN) and $$(LITERAL)\"}, {name: API_KEY, valueFrom: {secretKeyRef: "
        "{name: k, key: key}}}]\n")
    lenient = run_aimc("build", ".", cwd=tmp_path)
    assert lenient.returncode == 0 and lenient.stdout
    warnings = lenient.stderr.decode().splitlines()
    assert [line.split(": warning: ")[0] for line in warnings] == ["qwen.yaml:8", "qwen.yaml:9"]
    assert all("'$(HF_TOKEN)'" in line and "'$$(HF_TOKEN)'" in line for line in warnings)
    strict = run_aimc("build", "--strict", ".", cwd=tmp_path)
    err = assert_clean_failure(strict)
    assert "qwen.yaml:8: spec.customArgs.--download-dir: '$(HF_TOKEN)'" in err


# -- bounded resources --------------------------------------------------------------------------------------

def _endless_stdin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`yes | aimc ARGS`: an endless stream on stdin, under the memory and time limits."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0"}
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        return subprocess.run([sys.executable, "-m", "aimc", *args], cwd=cwd, env=env, stdin=yes.stdout,
                              capture_output=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory, check=False)
    finally:
        yes.kill()
        yes.wait()


@pytest.mark.e2e
@pytest.mark.parametrize("args", [("build", "-"), ("krm",), ("kustomize", "plugin")])
def test_an_endless_stdin_is_refused_after_the_limit(args, tmp_path):
    result = _endless_stdin(*args, cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1, err[-2000:]
    assert "<stdin>:1: input is more than 20,971,520 bytes; input files (and stdin) are limited to 20 MiB" in err
    assert "Traceback" not in err


@pytest.mark.e2e
def test_only_regular_files_are_read(tmp_path):
    """A link to /dev/zero would be read forever, a FIFO would block: both are refused, named."""
    (tmp_path / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
    (tmp_path / "z.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "x.yaml")
    err = assert_clean_failure(run_aimc("build", ".", cwd=tmp_path))
    assert err.splitlines()[:2] == [
        "x.yaml:1: a FIFO, not a regular file: aimc reads only regular files",
        "z.yaml:1: a character device, not a regular file: aimc reads only regular files"]
    err = assert_clean_failure(run_aimc("build", "x.yaml", cwd=tmp_path))
    assert err.startswith("x.yaml:1: a FIFO, not a regular file")


def _half_a_million_nodes(name: str) -> str:
    """Under 1 KB of text, 679,028 nodes once its aliases are expanded: under the per-document limit."""
    lines = ["apiVersion: v1", "kind: ConfigMap", f"metadata: {{name: {name}}}", "x:", "  a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for this, previous in zip("bcde", "abcd"):
        lines.append(f"  {this}: &{this} [{', '.join([f'*{previous}'] * 10)}]")
    lines.append("  f: [*e, *e, *e, *e, *e]")
    return "\n".join(lines) + "\n"


@pytest.mark.e2e
@pytest.mark.parametrize("command", [("build", "."), ("argocd", "generate")])
def test_the_alias_budget_is_repository_wide(command, tmp_path):
    """Twenty documents each under the per-document alias limit: the repository-wide budget refuses the third,
    naming its file (and every later one), quickly and before any output."""
    for index in range(20):
        (tmp_path / f"cm-{index:02d}.yaml").write_text(_half_a_million_nodes(f"cm-{index}"))
    result = run_aimc(*command, cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b"", err[-2000:]
    assert err.startswith("cm-02.yaml:1: invalid YAML: aliases expand this document to 679,028 nodes, past what is "
                          "left of the 2,000,000 nodes"), err[:300]
    assert "all documents with aliases may expand to together" in err


# -- folders ------------------------------------------------------------------------------------------------

def _repository_with_a_linked_folder(root: Path) -> Path:
    app = root / "app"
    (app / "real").mkdir(parents=True)
    (root / ".git").mkdir()
    (app / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
    (app / "real" / "qwen.yaml").write_bytes((REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_bytes())
    (app / "link").symlink_to("real")
    return app


@pytest.mark.e2e
@pytest.mark.parametrize("command", [("build", "."), ("argocd", "generate")])
def test_a_symlinked_folder_is_named_in_a_warning(command, tmp_path):
    """Symbolic links to folders are never followed; the user hears of it (plain and Argo CD mode)."""
    result = run_aimc(*command, cwd=_repository_with_a_linked_folder(tmp_path))
    assert result.returncode == 0 and result.stdout
    assert result.stderr.decode().startswith("link: warning: symbolic link to a folder: not followed")


def test_a_folder_that_cannot_be_read_is_an_error(aimc, tmp_path, monkeypatch):
    app = _repository_with_a_linked_folder(tmp_path)
    (app / "locked").mkdir()
    if os.geteuid() == 0:  # root reads any folder: make this one fail as it would for anyone else
        real_scandir = os.scandir

        def scandir(path="."):
            if os.path.basename(os.fspath(path)) == "locked":
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        (app / "locked").chmod(0)
    try:
        run = aimc("build", ".", cwd=app)
    finally:
        (app / "locked").chmod(0o755)
    assert run.code == 1 and run.out == ""
    assert "locked: cannot read this folder: Permission denied" in run.err


# -- exit codes: a broken stdout, and bad input that used to be an internal error --------------------------

def _example_repository(root: Path) -> Path:
    (root / ".git").mkdir(exist_ok=True)
    (root / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
    (root / "qwen.yaml").write_bytes((REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_bytes())
    return root


OUTPUT_COMMANDS = [("build", "."), ("build", "--format", "json", "."), ("argocd", "generate"), ("explain", "."),
                   ("plan", "."), ("schema", "AIMEndpoint"), ("recipes", "list"), ("diff", ".", ".")]


@pytest.mark.e2e
@pytest.mark.parametrize("args", OUTPUT_COMMANDS, ids=[" ".join(a) for a in OUTPUT_COMMANDS])
@pytest.mark.parametrize("stdout", ["broken-pipe", "closed", "full"])
def test_stdout_that_cannot_be_written_is_exit_1(args, stdout, tmp_path):
    """Argo CD must never take a truncated (or missing) stream for success: exit 1 with a message, never 0 or 3."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "aimc", *args]
    cwd = _example_repository(tmp_path)
    if stdout == "broken-pipe":  # the reader went away before aimc wrote (`| head -c 0`)
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=TIME_LIMIT)
        expected = "aimc: standard output was closed before all of it was written (broken pipe)"
    elif stdout == "closed":  # `>&-`
        run = subprocess.run(command, cwd=cwd, env=env, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1),
                             timeout=TIME_LIMIT, check=False)
        err, code = run.stderr.decode(), run.returncode
        expected = "aimc: standard output is closed"
    else:  # `> /dev/full`
        with open("/dev/full", "wb") as full:
            run = subprocess.run(command, cwd=cwd, env=env, stdout=full, stderr=subprocess.PIPE, timeout=TIME_LIMIT,
                                 check=False)
        err, code = run.stderr.decode(), run.returncode
        expected = "aimc: cannot write to standard output: No space left on device"
    assert code == 1, err
    assert expected in err
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err


# A reader that takes 100 bytes, closes the pipe and lives on a little (as `head -c 100` reading byte-wise would).
READ_100_BYTES = """import os, time
got = b""
while len(got) < 100:
    chunk = os.read(0, 100 - len(got))
    if not chunk:
        break
    got += chunk
os.close(0)
time.sleep(2)
"""


def _endpoints(root: Path, count: int) -> Path:
    """An inventory without a gateway and `count` copies of one endpoint: about 5 KB of manifests each."""
    (root / "cluster.yaml").write_text(
        "apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: lab}\nspec:\n"
        "  nodePools: [{name: mi250, hardware: MI250, gpusPerNode: 8, nodeCount: 100}]\n")
    endpoint = (REPO / "examples" / "endpoints" / "llama-3-8b.yaml").read_text()
    for index in range(count):
        (root / f"e{index:03}.yaml").write_text(endpoint.replace("name: llama-3-8b", f"name: llama-{index:03}"))
    return root


@pytest.mark.e2e
@pytest.mark.parametrize("count", [1, 40, 250], ids=["small", "medium", "large"])
def test_a_reader_that_stops_after_100_bytes_is_exit_1_at_every_size(tmp_path, count):
    """A stream that fits in the pipe's buffer used to be written whole before the reader went away: exit 0."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    inputs = _endpoints(tmp_path, count)
    size = len(subprocess.run([sys.executable, "-m", "aimc", "build", str(inputs)], env=env, capture_output=True,
                              check=True).stdout)
    assert size > 100 and (size < 65536 if count == 1 else size > 1_000_000 if count == 250 else True), size
    reader = subprocess.Popen([sys.executable, "-c", READ_100_BYTES], stdin=subprocess.PIPE)
    run = subprocess.run([sys.executable, "-m", "aimc", "build", str(inputs)], env=env, stdout=reader.stdin,
                         stderr=subprocess.PIPE, timeout=TIME_LIMIT, check=False)
    reader.stdin.close()
    reader.wait(timeout=TIME_LIMIT)
    err = run.stderr.decode()
    assert run.returncode == 1, (size, err)
    assert "aimc: standard output was closed before all of it was written (broken pipe)" in err
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.e2e
def test_a_reader_that_takes_everything_is_exit_0_without_waiting(tmp_path):
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    inputs = _endpoints(tmp_path, 1)
    started = time.monotonic()
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read()"], stdin=subprocess.PIPE)
    run = subprocess.run([sys.executable, "-m", "aimc", "build", str(inputs)], env=env, stdout=reader.stdin,
                         stderr=subprocess.PIPE, timeout=TIME_LIMIT, check=False)
    reader.stdin.close()
    reader.wait(timeout=TIME_LIMIT)
    assert run.returncode == 0, run.stderr.decode()
    assert time.monotonic() - started < 30


LONG_NAME = "a" * 300 + ".yaml"
BAD_INPUT = {
    "300-character file name": (("build", LONG_NAME), {}, f"{LONG_NAME}: cannot read: File name too long"),
    "300-character --inventory": (("build", "--inventory", LONG_NAME, "."), {},
                                  f"{LONG_NAME}: cannot read: File name too long"),
    "6,000-character AIMC_PATHS": (("argocd", "generate"), {"ARGOCD_ENV_AIMC_PATHS": "p" * 6000},
                                   "ARGOCD_ENV_AIMC_PATHS entry 1: cannot be read: File name too long"),
    "KUBE_VERSION of 100,000 digits": (("argocd", "generate"), {"KUBE_VERSION": "1." + "9" * 100_000},
                                       "KUBE_VERSION: not a Kubernetes version (expected e.g. 1.32.2)"),
    "install-plugin under a file": (("kustomize", "install-plugin", "--dir", "cluster.yaml/sub"), {},
                                    ("cluster.yaml/sub/aimc.amd.com/v1/aimccompiler: cannot install the plugin: "
                                     "Not a directory")),
    "invalid AIMC_NAMESPACE": (("argocd", "generate"), {"ARGOCD_ENV_AIMC_NAMESPACE": "Secret_" + "x" * 5000},
                               "ARGOCD_ENV_AIMC_NAMESPACE: the value is not a valid namespace: a DNS-1123 label"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_exit_1_not_an_internal_error(case, tmp_path):
    args, variables, expected = BAD_INPUT[case]
    env = {**os.environ, "PYTHONPATH": str(REPO), **variables}
    run = subprocess.run([sys.executable, "-m", "aimc", *args], cwd=_example_repository(tmp_path), env=env,
                         capture_output=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory, check=False)
    err = run.stderr.decode()
    assert run.returncode == 1, err[:3000]
    assert err.startswith(expected), err[:3000]
    assert "internal error" not in err and len(err) < 2000  # and the value is not echoed back whole
    assert "Secret_" not in err


def test_a_file_in_a_folder_that_cannot_be_searched_is_an_error(aimc, tmp_path, monkeypatch):
    app = _example_repository(tmp_path)
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # root may search any folder: fail as it would for anyone else
        if "locked" in os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    run = aimc("build", "locked/qwen.yaml", cwd=app)
    assert run.code == 1 and run.err.startswith("locked/qwen.yaml: cannot read: Permission denied"), run.err


@pytest.mark.e2e
def test_a_huge_value_is_cut_in_messages(tmp_path):
    """A 5 MB metadata.name is not printed whole: values are cut at 80 characters, with their length."""
    (tmp_path / "bad.yaml").write_text("apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata:\n"
                                       f"  name: {'n' * 5_000_000}\nspec: {{model: Qwen/Qwen3-32B}}\n")
    err = assert_clean_failure(run_aimc("build", ".", cwd=tmp_path))
    assert len(err) < 2000, err[:3000]
    assert f"'{'n' * 80}'... (5,000,000 characters)" in err


@pytest.mark.e2e
def test_output_does_not_depend_on_the_locale(tmp_path):
    """Non-ASCII file names and values give the same bytes under `LC_ALL=C PYTHONUTF8=0` as under UTF-8."""
    (tmp_path / "cluster.yaml").write_bytes((REPO / "examples" / "cluster.yaml").read_bytes())
    endpoint = (REPO / "examples" / "endpoints" / "qwen3-32b.yaml").read_text()
    (tmp_path / "équipe-☕.yaml").write_text(endpoint.replace("metadata:\n", "metadata:\n  annotations: {note: café}\n"))
    (tmp_path / "ünreadable.yaml").write_text("x: [\n")
    outputs = []
    for variables in ({"LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}, {"LC_ALL": "C", "PYTHONUTF8": "0"},
                      {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "latin-1"}):
        env = {**os.environ, "PYTHONPATH": str(REPO), **variables}
        runs = [subprocess.run([sys.executable, "-m", "aimc", "build", *args], cwd=tmp_path, env=env,
                               capture_output=True, timeout=TIME_LIMIT, check=False)
                for args in ((".", "--exclude", "ü*"), (".",))]
        outputs.append((runs[0].stdout, runs[1].stderr))
    assert b"# Source: \xc3\xa9quipe-\xe2\x98\x95.yaml" in outputs[0][0]
    assert "ünreadable.yaml:2: invalid YAML".encode() in outputs[0][1]
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


@pytest.mark.e2e
def test_strict_errors_do_not_advise_silencing_a_warning():
    """Under --strict a warning is an error: its message must not talk about silencing a warning."""
    err = assert_clean_failure(run_aimc("build", "--strict", "tests/cases/seed-flag-aliases/inputs", cwd=REPO))
    assert "silence" not in err
    assert "(write --max-num-seqs instead: --strict makes this warning an error)" in err


@pytest.mark.e2e
def test_a_line_break_in_a_file_name_does_not_split_a_message(tmp_path):
    (tmp_path / "a\nb\x1b[31m.yaml").write_text("x: [\n")
    err = assert_clean_failure(run_aimc("build", ".", cwd=tmp_path))
    assert err.startswith("a\\nb\\x1b[31m.yaml:2: invalid YAML")
