"""Every engine command line of the golden cases, parsed by the engine's real argument parser of the release the
image holds (tools/parse_with_engine.py inside a scratch venv).

Needs the engine wheels installed, which CI does not do (gigabytes, and torch): set AIMC_ENGINE_PARSERS to a file of
lines `ENGINE VERSION PYTHON [PYTHONPATH [STAND-IN ...]]` (the routers of disaggregated endpoints too: `vllm-router
0.1.17 /tmp/vr/bin/python`, a venv with `pip install vllm-router==0.1.17`), e.g. `vllm 0.27.1 /tmp/eng/venv/bin/python
/tmp/eng/t/vllm-0.27.1` and `sglang 0.5.16 /tmp/eng/venv/bin/python /tmp/eng/t/sglang-0.5.16:/tmp/eng/t/tf-5.12.1
torchvision` (tools/extract_flag_set.py's docstring says how such venvs are made; SGLang 0.5.16 also needs
`kernels>=0.14.1,<0.15` from its METADATA on that path, a newer one fails at import). Releases not listed are
skipped. An e2e test: it starts the engines' Python.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from aimc.catalog import routers
from aimc.catalog import runtime as rt

PARSERS = os.environ.get("AIMC_ENGINE_PARSERS")
LAUNCH = {("python3", "-m", "vllm.entrypoints.openai.api_server"): "vllm",
          ("python3", "-m", "sglang.launch_server"): "sglang"}
# The routers in front of disaggregated roles (aimc/catalog/routers.yaml): image -> (flag-set name, release).
ROUTERS = {facts.image: (f"{engine}-router", facts.version) for engine, facts in routers.routers().items()
           if facts.image}
# A router that runs in its roles' own image (the SGLang router) is known by its command instead.
ROUTER_COMMANDS = {facts.command: (f"{engine}-router", facts.version) for engine, facts in routers.routers().items()
                   if not facts.image}

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not PARSERS, reason=(
    "set AIMC_ENGINE_PARSERS to a file of 'ENGINE VERSION PYTHON [PYTHONPATH [STAND-IN ...]]' lines naming scratch "
    "venvs with the engines installed: the real parsers need the engine wheels, which CI does not install"))]


def _venvs() -> dict[tuple[str, str], tuple[str, str, list[str]]]:
    out = {}
    for line in Path(PARSERS or "").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            engine, version, python, *rest = line.split()
            out[(engine, version)] = (python, rest[0] if rest else "", rest[1:])
    return out


def _command_lines() -> dict[tuple[str, str], list[tuple[str, list[str]]]]:
    """(engine, version of the image) -> (case, arguments) for every engine container of every golden case."""
    catalog = rt.runtime()
    out: dict = defaultdict(list)
    for expected in sorted((REPO / "tests" / "cases").glob("*/expected.yaml")):
        try:
            docs = list(yaml.safe_load_all(expected.read_text(encoding="utf-8")))
        except yaml.YAMLError:  # a case whose expected output is a report, not manifests
            continue
        for doc in docs:
            for container in _containers(doc):
                command = tuple(container.get("command") or ())
                engine = LAUNCH.get(command[:3])
                facts = catalog.image(container.get("image", ""))
                if engine and facts is not None and facts.engine == engine:
                    out[(engine, facts.version)].append((expected.parent.name, list(container.get("args") or ())))
                router = ROUTERS.get(container.get("image", "")) or ROUTER_COMMANDS.get(command)
                if router is not None:
                    out[router].append((expected.parent.name, list(container.get("args") or ())))
    return out


def _containers(doc) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    spec = doc.get("spec") or {}
    templates = [spec.get("template")]
    lws = spec.get("leaderWorkerTemplate") or {}
    templates += [lws.get("leaderTemplate"), lws.get("workerTemplate")]
    return [c for t in templates if isinstance(t, dict) for c in (t.get("spec") or {}).get("containers") or ()]


def test_golden_command_lines_parse_with_the_real_parser_of_their_image():
    venvs, lines, checked = _venvs(), _command_lines(), 0
    assert lines, "no engine command lines in the golden cases"
    for (engine, version), cases in sorted(lines.items()):
        if (engine, version) not in venvs:
            continue
        python, path, stand_ins = venvs[(engine, version)]
        run = subprocess.run([python, str(REPO / "tools" / "parse_with_engine.py"), engine, *stand_ins],
                             input=json.dumps([args for _case, args in cases]), capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": path}, timeout=900, check=False)
        assert run.returncode == 0, run.stderr[-2000:]
        refused = [(case, problem) for (case, _args), problem in zip(cases, json.loads(run.stdout), strict=True)
                   if problem]
        assert refused == [], f"{engine} {version}"
        checked += len(cases)
    if not checked:
        pytest.skip(f"AIMC_ENGINE_PARSERS lists none of the releases the golden cases use: {sorted(lines)}")
