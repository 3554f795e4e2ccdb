"""The README stays short and the documentation site stays whole (issue 25).

The README is the front door (at most 200 lines); what it held before moved into docs/, and the sections listed
here must keep a heading there. mkdocs.yml lists every page; the generated Reference pages are current.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))
import gen_reference  # noqa: E402  (tools/ is no package; the generator is a script with a main)

# Every section of the 1,558-line README this site replaced, by heading: each must still head a part of a page.
SECTIONS = [
    "Commands", "Inputs", "AIMEndpoint", "ClusterInventory", "Partitioned GPUs", "Recipes", "Selection", "Memory fit",
    "A model without a recipe", "Capacity plan", "Multi-node serving", "AIM profiles", "Output", "Engine flag checks",
    "The runtime catalog", "Flag sets", "Argo CD", "Kustomize overlays as applications", "Several clusters",
    "Kustomize", "Rendered workloads", "Health probes", "Rolling updates", "Autoscaling", "Disruption budgets",
    "Model cache", "Secrets", "Resources and /dev/shm", "Security", "Metrics and metadata",
    "Benchmarks in the cluster", "Routing", "pre-commit", "CI diffs", "Editor support", "Performance", "Robustness",
    "Development", "Code map",
]


def headings() -> set[str]:
    found = set()
    for page in DOCS.rglob("*.md"):
        in_code = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                in_code = not in_code
            elif not in_code and (match := re.match(r"#+ (.+)", line)):
                found.add(match.group(1).strip())
    return found


def nav_pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [page for value in node.values() for page in nav_pages(value)]
    return [page for item in node for page in nav_pages(item)]


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines (at most 200): move detail into a docs/ page"
    head = "\n".join(lines[:10])
    assert "python3 -m pip install . && aimc build examples/" in head
    assert "python3 -m pip install '.[test]' && python3 -m pytest" in head


def test_readme_sections_survived_in_docs():
    missing = [title for title in SECTIONS if title not in headings()]
    assert not missing, f"sections no page of docs/ heads any more: {missing}"


def test_nav_lists_every_page_and_only_pages_that_exist():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == on_disk
    assert config["theme"]["name"] == "material" and config.get("strict") is True


def test_generated_reference_is_current():
    assert gen_reference.main(["--check"]) == 0, "run `python3 tools/gen_reference.py` and commit the result"


def test_generated_reference_check_catches_a_stale_page(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "cli.md"
    stale.write_text(gen_reference.OUT_CLI.read_text(encoding="utf-8").replace("--strict", "--strickt", 1))
    monkeypatch.setattr(gen_reference, "OUT_CLI", stale)
    monkeypatch.setattr(gen_reference, "ROOT", tmp_path)
    monkeypatch.setattr(gen_reference, "OUT_SCHEMAS", tmp_path / "schemas")
    shutil.copytree(DOCS / "reference" / "schemas", tmp_path / "schemas")
    assert gen_reference.main(["--check"]) == 1
    assert "cli.md: stale" in capsys.readouterr().out


def test_schema_pages_list_every_field_of_the_schema():
    """Spot check of the generator: fields at several depths, through $ref and lists, are on the page."""
    page = (DOCS / "reference" / "schemas" / "aimendpoint.md").read_text(encoding="utf-8")
    for field in ("`spec.model`", "`spec.autoScaling.minReplicas`", "`spec.servingEngines[].customArgs`",
                  "`metadata.labels`"):
        assert field in page


@pytest.mark.e2e
def test_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra: python3 -m pip install '.[docs]'")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, check=False,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
