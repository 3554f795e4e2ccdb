"""Rules of the layout for every module of the package: imports flow one way through the layers and never in a
circle, no private names imported across modules, no change of working directory, and one place that turns warnings
into errors under --strict."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

MODULES = sorted((REPO / "aimc").rglob("*.py"))

# The pipeline's direction (design.md): a module imports only from its own layer or lower ones. Every import counts,
# at the top of a module, inside a function or under `if TYPE_CHECKING:`. `aimc` itself holds only the version.
# `memo` (per-compile memos, aimc/memo.py) sits at the bottom with records and errors: every stage may memoise;
# `digest` (SHA-256 without OpenSSL) too: every stage may hash.
LAYERS = (("aimc", "records", "errors", "memo", "digest"), ("load",), ("model", "k8s"), ("catalog",), ("perf",), ("validate",), ("resolve",),
          ("render",), ("emit",), ("pipeline",), ("adapters", "reports"), ("cli", "__main__"))
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path, root=REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, root=REPO) -> list[tuple[int, str]]:
    """(line, module) of every import of an aimc module in this file; `from aimc.x import y` counts as aimc.x.y, so
    that importing a submodule of a package names it."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: from the package, `level - 1` packages up
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name == "aimc" or name.startswith("aimc.")]


def _layer(module: str) -> str:
    """`aimc.resolve.capacity` -> `resolve`; `aimc.errors.Diagnostic` -> `errors`; `aimc.__version__` -> `aimc`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "aimc"


def _upward(path, root=REPO) -> list[str]:
    layer = _layer(_module_name(path, root))
    return [f"{path.relative_to(root)}:{line}: {layer} imports {name}"
            for line, name in _imports(path, root) if RANK[_layer(name)] > RANK[layer]]


def test_every_package_has_a_layer():
    tops = {path.relative_to(REPO / "aimc").parts[0].removesuffix(".py") for path in MODULES}
    assert tops - {"__init__"} <= set(RANK), sorted(tops - set(RANK))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_flow_one_way(path):
    assert _upward(path) == []


def test_the_direction_check_sees_imports_inside_functions(tmp_path):
    """The check must catch what used to hide: an upward import inside a function, a relative one, a type-only one."""
    module = tmp_path / "aimc" / "resolve" / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from aimc.emit import output\n"
                      "def f():\n    from aimc.render import deployment\n    from ..pipeline import compile\n"
                      "    from . import fit\n    from aimc.catalog import runtime\n")
    assert _upward(module, tmp_path) == ["aimc/resolve/example.py:3: resolve imports aimc.emit.output",
                                         "aimc/resolve/example.py:5: resolve imports aimc.render.deployment",
                                         "aimc/resolve/example.py:6: resolve imports aimc.pipeline.compile"]


def _graph() -> dict[str, set[str]]:
    """Module -> the aimc modules it imports (a name imported from a module counts as that module)."""
    modules = {_module_name(path): path for path in MODULES}

    def owner(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    return {module: {owner(name) for _, name in _imports(path)} - {module} for module, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    """Within a layer too: two modules that import each other (even inside a function) are one module in two files."""
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]


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
    assert [name for name in found if name not in DOCUMENTED_UNDERSCORED] == []


# Standard-library functions whose documented, public name starts with an underscore: os._exit ends the process
# without the interpreter's teardown (https://docs.python.org/3/library/os.html#os._exit; aimc/__main__.py).
DOCUMENTED_UNDERSCORED = frozenset({"os._exit"})


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_changes_the_working_directory(path):
    assert "chdir" not in path.read_text()


def test_strict_is_applied_in_one_place():
    """Only Collector.warnings_as_errors turns warnings into errors; everything else calls it."""
    callers = [p.relative_to(REPO) for p in sorted((REPO / "aimc").rglob("*.py"))
               if "as_error()" in p.read_text() and p.name != "errors.py"]
    assert callers == []
