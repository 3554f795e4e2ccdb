"""What the kubelet does to a container's `command` and `args` before it starts the process, and a real shell run
of the result, so tests can check what an engine receives in every rendered form.

Kubernetes' expansion, transcribed from k8s.io/kubernetes third_party/forked/golang/expansion/expand.go (Expand,
tryReadVariableName) and pkg/kubelet/kuberuntime (command and args are expanded with the container's env):
`$$` is a literal `$`; `$(NAME)` becomes NAME's value when the container defines NAME, and stays as written
otherwise; an unclosed `$(` and a `$` before any other character stay as written.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def expand(text: str, defined: dict[str, str]) -> str:
    out, cursor, checkpoint = [], 0, 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            rest = text[cursor + 1:]
            if rest[0] == "$":
                read, advance = "$", 1
            elif rest[0] == "(":
                closer = rest.find(")", 1)
                if closer >= 0:
                    name = rest[1:closer]
                    read, advance = defined.get(name, f"$({name})"), closer + 1
                else:
                    read, advance = "$(", 1
            else:
                read, advance = "$" + rest[0], 1
            out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


def container_values(container: dict, secrets: dict[str, str]) -> dict[str, str]:
    """The container's variables as the kubelet sees them: `value` entries expanded in order, `valueFrom` entries
    taken from `secrets` (by variable name)."""
    values: dict[str, str] = {}
    for entry in container.get("env", []):
        if "value" in entry:
            values[entry["name"]] = expand(entry["value"], values)
        elif entry["name"] in secrets:
            values[entry["name"]] = secrets[entry["name"]]
    return values


def argv(container: dict, secrets: dict[str, str], extra: dict[str, str] | None = None) -> list[str]:
    """command + args after the kubelet's expansion."""
    values = {**(extra or {}), **container_values(container, secrets)}
    return [expand(part, values) for part in [*container.get("command", []), *container.get("args", [])]]


STUB = """#!/bin/sh
# A stand-in for {name}: python3 -c (a wait loop's probe) and ray succeed; anything else records its argv
# (NUL-separated, one file per run) and writes the result file a benchmark client would.
if [ "{name}" = ray ] || [ "$1" = -c ]; then exit 0; fi
runs=$(ls "$AIMC_TEST_ARGV".* 2>/dev/null | wc -l)
for arg in "$@"; do printf '%s\\0' "$arg"; done > "$AIMC_TEST_ARGV.$runs"
previous=""; folder=""
for arg in "$@"; do
  case "$previous" in
    --result-dir) folder=$arg ;;
    --result-filename) echo '{{}}' > "$folder/$arg" ;;
    --output-file) echo '{{}}' > "$arg" ;;
  esac
  previous=$arg
done
"""


def run_in_shell(command: list[str], folder: Path, programs=("python3", "ray", "vllm")) -> list[list[str]]:
    """Run an expanded argv whose programs are stubs; the arguments of every run of a program that is not a probe
    (`python3 -c`) or `ray`, in order."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in programs:
        stub = bin_dir / name
        stub.write_text(STUB.format(name=name))
        stub.chmod(0o755)
    record = folder / "argv"
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", "AIMC_TEST_ARGV": str(record),
           "LWS_GROUP_SIZE": "2"}
    subprocess.run(command, env=env, check=True, timeout=30, cwd=folder)
    runs = sorted(folder.glob("argv.*"), key=lambda p: int(p.suffix[1:]))
    return [run.read_bytes().decode().split("\0")[:-1] for run in runs]
