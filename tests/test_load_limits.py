"""The one bounded reader (load/limits.py) under every command that reads files: a link to /dev/zero, a FIFO and a
file past its kind's size are refused with exit 1 and the file named, quickly and in little memory, never read whole
or waited on. Each case runs the real CLI in a subprocess under an address-space limit and a timeout."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import REPO
from test_pipeline_corpus import run_aimc

RECIPE = "qwen3-32b-mi300x-bf16"
RESULT = REPO / "tests" / "data" / "bench" / "vllm-latency.json"


def _hostile(tmp_path, kind: str, size: int = 0):
    path = tmp_path / f"{kind}.json"
    if kind == "zero":
        os.symlink("/dev/zero", path)
    elif kind == "fifo":
        os.mkfifo(path)  # nobody ever writes to it: opening it for reading would wait forever
    else:  # a sparse file: its size costs no disk
        with open(path, "wb") as handle:
            handle.truncate(size)
    return path


def _refused(result, path, what: str):
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert f"{path}: cannot read: {what}" in err, err


CASES = [("zero", 0, "a character device, not a regular file"), ("fifo", 0, "a FIFO, not a regular file"),
         ("big", 300 * 1024 * 1024, "input is 314,572,800 bytes; benchmark result files and Job logs are limited "
                                    "to 64 MiB")]


@pytest.mark.e2e
@pytest.mark.parametrize("kind,size,what", CASES, ids=[c[0] for c in CASES])
def test_bench_report_results_compare_and_write_recipe(tmp_path, kind, size, what):
    hostile = _hostile(tmp_path, kind, size)
    _refused(run_aimc("bench", "report", str(hostile), cwd=tmp_path), hostile, what)
    _refused(run_aimc("bench", "report", str(RESULT), "--compare", str(hostile), cwd=tmp_path), hostile, what)


@pytest.mark.e2e
@pytest.mark.parametrize("kind,what", [("zero", "a character device"), ("fifo", "a FIFO"),
                                       ("big", "input is 314,572,800 bytes; input files (and stdin) are limited")])
def test_write_recipe_into_a_file_that_is_not_a_recipe(tmp_path, kind, what):
    hostile = _hostile(tmp_path, kind, 300 * 1024 * 1024)
    result = run_aimc("bench", "report", str(RESULT), "--write-recipe", str(hostile), cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1 and f"{hostile}:" in err and what in err, err
    if kind == "big":
        assert os.path.getsize(hostile) == 300 * 1024 * 1024  # left as it was


@pytest.mark.e2e
@pytest.mark.parametrize("kind,size,what", [
    ("zero", 0, "a character device, not a regular file"), ("fifo", 0, "a FIFO, not a regular file"),
    ("big", 600 * 1024 * 1024, "input is 629,145,600 bytes; a checkpoint's config.json and weight index are "
                               "limited to 32 MiB")], ids=["zero", "fifo", "big"])
def test_models_import_config_json(tmp_path, kind, size, what):
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    hostile = _hostile(tmp_path, kind, size)
    os.rename(hostile, checkpoint / "config.json") if kind != "zero" else os.symlink("/dev/zero",
                                                                                     checkpoint / "config.json")
    result = run_aimc("models", "import", str(checkpoint / "config.json"), cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err, err
    assert f"{checkpoint / 'config.json'}: " in err and (what in err or "no config.json there" in err), err


@pytest.mark.e2e
def test_the_weight_index_is_bounded_too(tmp_path):
    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(REPO / "tests" / "data" / "hf-configs" / "mistralai" / "Mistral-7B-Instruct-v0.3", checkpoint)
    index = checkpoint / "model.safetensors.index.json"
    os.mkfifo(index)  # not a regular file: skipped like a missing index, never opened
    assert run_aimc("models", "import", str(checkpoint), cwd=tmp_path).returncode == 0
    index.unlink()
    with open(index, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    result = run_aimc("models", "import", str(checkpoint), cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 1 and f"{index}: cannot read: input is 104,857,600 bytes" in err, err


class _Recording:
    """A binary stream that records how many bytes each read asked for."""

    def __init__(self, data: bytes):
        import io

        self.stream, self.asked = io.BytesIO(data), []

    def read(self, size: int) -> bytes:
        self.asked.append(size)
        return self.stream.read(size)


def test_a_file_is_read_by_the_size_it_states_not_by_its_kinds_limit():
    """Issue 24: asking for the limit (20 MiB) made the reader allocate it for every file, 26 ms of 1,000 files.
    A file that holds what it says is read in one request of its size plus one byte."""
    from aimc.load import limits

    stream = _Recording(b"x" * 100)
    assert limits.read_stream(stream, "input", expected=100) == b"x" * 100
    assert stream.asked == [101]


@pytest.mark.parametrize("stated", [0, 10])
def test_a_file_that_holds_more_than_it_states_is_read_on_to_the_limit(stated):
    """Files under /proc state 0 bytes; a file may grow between the look and the read."""
    from aimc.load import limits

    assert limits.read_stream(_Recording(b"y" * 5000), "input", expected=stated) == b"y" * 5000
    limit = limits.KINDS["input"][0]
    with pytest.raises(limits.InputTooLarge):
        limits.read_stream(_Recording(b"z" * (limit + 10)), "input", expected=stated)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_a_proc_file_that_states_no_size_is_read_whole():
    from aimc.load import limits

    assert os.stat("/proc/self/status").st_size == 0
    data = limits.read_file("/proc/self/status")
    assert data.startswith(b"Name:") and b"\nPid:" in data and b"\nVmPeak:" in data and data.endswith(b"\n")


@pytest.mark.parametrize("stated", [0, 10, 4999, 5000, 5001])
@pytest.mark.parametrize("largest_read", [7, 10, 4999, 5000, None])
def test_a_file_is_read_whole_whatever_its_stated_size_and_however_short_its_reads(tmp_path, monkeypatch, stated,
                                                                                    largest_read):
    """read_file's one-read path (issue 24) keeps every byte when the file holds more or less than its size says
    (it grew, it is a /proc file) and when the system answers a read with fewer bytes than asked."""
    from aimc.load import limits

    path = tmp_path / "f.yaml"
    path.write_bytes(bytes(range(256)) * 19 + b"x" * 136)  # 5000 bytes
    real_fstat, real_read = os.fstat, os.read

    class Stated:
        def __init__(self, info):
            self.st_mode, self.st_size = info.st_mode, stated

    monkeypatch.setattr(limits.os, "fstat", lambda fd: Stated(real_fstat(fd)))
    if largest_read is not None:
        monkeypatch.setattr(limits.os, "read", lambda fd, size: real_read(fd, min(size, largest_read)))
    assert limits.read_file(path) == path.read_bytes()
