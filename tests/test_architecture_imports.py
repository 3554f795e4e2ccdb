"""Rules of the layout for every module of the package: no private names imported across modules, no change of
working directory, and one place that turns warnings into errors under --strict."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

MODULES = sorted((REPO / "aimc").rglob("*.py"))


def _imported_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aimc"):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_private_name_of_another_module_is_used(path):
    tree = ast.parse(path.read_text())
    modules = _imported_modules(tree)
    found = [f"from {node.module} import {alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and node.module != "__future__" for alias in node.names
             if alias.name.startswith("_") and not alias.name.startswith("__")]
    found += [f"{node.value.id}.{node.attr}" for node in ast.walk(tree) if isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id in modules and node.attr.startswith("_")
              and not node.attr.startswith("__")]
    assert found == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_changes_the_working_directory(path):
    assert "chdir" not in path.read_text()


def test_strict_is_applied_in_one_place():
    """Only Collector.warnings_as_errors turns warnings into errors; everything else calls it."""
    callers = [p.relative_to(REPO) for p in sorted((REPO / "aimc").rglob("*.py"))
               if "as_error()" in p.read_text() and p.name != "errors.py"]
    assert callers == []
