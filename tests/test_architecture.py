"""Rules of the layout (see /work/shared/design.md) that a grep can check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aimc"
SOURCES = {path: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_no_global_state():
    assert [_relative(p) for p, text in SOURCES.items() if re.search(r"^\s*global\s", text, re.M)] == []


def test_bytes_per_parameter_is_defined_once():
    defined = [_relative(p) for p, text in SOURCES.items() if re.search(r"^BYTES_PER_PARAMETER\s*=", text, re.M)]
    assert defined == ["aimc/catalog/model_facts.py"]


def test_built_in_data_is_read_only_through_the_catalog_loader():
    """hardware.yaml, models.yaml and the flag sets are read with catalog.files.read_yaml / read_json only."""
    calls = [(_relative(p), m.group(1)) for p, text in SOURCES.items()
             for m in re.finditer(r"(\w+)\(\s*f?[\"'](?:hardware\.yaml|models\.yaml|engines/)", text)]
    assert calls and {function for _, function in calls} <= {"read_yaml", "read_json"}, calls


def test_the_plan_and_the_inputs_hand_out_typed_fields_only():
    for name in ("inputs", "plan"):
        text = SOURCES[PACKAGE / "model" / f"{name}.py"]
        assert not re.search(r"def (spec|setting|fact)\(", text), name
        assert "Pairs = tuple\n" not in text


def test_every_module_fits_on_a_screen_or_two():
    assert [(_relative(p), n) for p in SOURCES if (n := SOURCES[p].count("\n")) > 300] == []


def test_the_second_schema_engine_is_gone():
    assert not (PACKAGE / "validate" / "schemacheck.py").exists()


# -- no state outlives a compile (issue 21) -----------------------------------------------------------------
# What is remembered lives in one compile's memo (aimc/memo.py: per_compile, keyed on typed values, bounded). The only
# process-wide caches are of the built-in catalog: `functools.cache` on a function of no argument, or
# `memo.catalog_cache`, which refuses any argument that is not a name of the shipped catalog. These checks read the
# syntax of every module; they know no module by name.

MUTATING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "discard", "remove", "pop",
                              "popitem", "clear", "sort", "reverse", "appendleft", "extendleft", "__setitem__",
                              "__delitem__", "difference_update", "intersection_update",
                              "symmetric_difference_update", "move_to_end"})
CONTAINER_CALLS = frozenset({"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque", "bytearray"})
CACHE_DECORATORS = frozenset({"cache", "lru_cache"})
# The one module allowed to call functools' caches on functions with arguments: the per-compile memo and the
# catalog cache are built there (tests/test_memo.py covers them).
MEMO_MODULE = "aimc/memo.py"


def _is_container(node) -> bool:
    if isinstance(node, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        return name in CONTAINER_CALLS
    return False


def _bound_containers(body) -> set[str]:
    """Names a block of statements (a module or a class body) binds to a dict, list or set."""
    names = set()
    for node in body:
        if isinstance(node, ast.Assign) and _is_container(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and (
                (node.value is None and isinstance(body, list) and _annotated_container(node)) or
                (node.value is not None and _is_container(node.value))):
            names.add(node.target.id)
    return names


def _annotated_container(node: ast.AnnAssign) -> bool:
    """`plain_tags: dict[str, str]` in a class body: a container every instance (or subclass) may share."""
    annotation = node.annotation
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return isinstance(head, ast.Name) and head.id in CONTAINER_CALLS


def _target_root(node):
    """The name or attribute a subscript, attribute or call chain starts from: `X[a][b]` -> X, `self.t[k]` -> self.t."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


def _mutated_names(tree) -> list[tuple[int, str]]:
    """(line, name) of every mutation in the module of a name or attribute: `X[k] = v`, `del X[k]`, `X += ...`,
    `X.append(...)` (and the other mutating methods), `self.X[k] = v`, `cls.X.clear()`; local aliases
    (`table = X` then `table[k] = v`) count as the name they alias."""
    found = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            targets, values = node.targets[0], node.value
            pairs = zip(targets.elts, values.elts) if isinstance(targets, ast.Tuple) and isinstance(
                values, ast.Tuple) and len(targets.elts) == len(values.elts) else [(targets, values)]
            for target, value in pairs:
                if isinstance(target, ast.Name) and isinstance(value, (ast.Name, ast.Attribute)):
                    aliases[target.id] = _name_of(value)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            for target in (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]):
                if isinstance(target, ast.Subscript) or isinstance(node, ast.AugAssign):
                    targets.append(_target_root(target))
                elif (isinstance(target, ast.Attribute) and isinstance(node, ast.Assign) and _name_of(
                        target.value) in ("cls",)) or (isinstance(target, ast.Attribute) and isinstance(
                        target.value, ast.Name) and target.value.id[:1].isupper()):
                    targets.append(target)  # `cls.X = {}` or `Class.X = ...`: a class attribute rebound
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATING_METHODS:
            targets.append(_target_root(node.func.value))
        for target in targets:
            name = _name_of(target)
            if name:
                found.append((node.lineno, aliases.get(name, name)))
    return found


def _name_of(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _name_of(node.value)
        return f"{owner}.{node.attr}" if owner else None
    return None


def mutable_state(text: str) -> list[str]:
    """Module-level and class-level dicts, lists and sets that something in the module mutates."""
    tree = ast.parse(text)
    module_names = _bound_containers(tree.body)
    class_names = {name for node in tree.body if isinstance(node, ast.ClassDef) for name in _bound_containers(node.body)}
    problems = []
    owners = {"self", "cls"} | {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    for line, name in _mutated_names(tree):
        owner, _, attribute = name.rpartition(".")
        if name in module_names or (owner in owners and attribute in class_names):
            problems.append(f"{line}: {name} is shared by every compile of the process and mutated here")
    return problems


def cross_module_mutations(texts: dict[str, str]) -> list[str]:
    """`module.NAME[k] = v` or `module.NAME.update(...)` in another module, NAME being a module-level container."""
    containers = {Path(path).stem: _bound_containers(ast.parse(text).body) for path, text in texts.items()}
    problems = []
    for path, text in texts.items():
        for line, name in _mutated_names(ast.parse(text)):
            module, _, attr = name.partition(".")
            if attr and attr in containers.get(module, ()):
                problems.append(f"{path}:{line}: {name} is another module's state, mutated here")
    return problems


def process_wide_caches(text: str, path: str) -> list[str]:
    """`functools.cache` / `lru_cache` anywhere but on a function of no argument (the built-in catalog, read once)."""
    tree = ast.parse(text)
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "functools" for alias in node.names if alias.name in CACHE_DECORATORS}

    def is_cache(node) -> bool:
        """`cache`, `lru_cache(...)` (imported from functools), `functools.cache`, `functools.lru_cache(...)`."""
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Name):
            return node.id in imported
        return isinstance(node, ast.Attribute) and node.attr in CACHE_DECORATORS and _name_of(node.value) == "functools"

    problems, allowed = [], set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in filter(is_cache, node.decorator_list):
                allowed.update(id(part) for part in ast.walk(decorator))
                arguments = node.args
                if arguments.args or arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or \
                        arguments.kwarg:
                    problems.append(f"{path}:{node.lineno}: {node.name}() is cached for the whole process and "
                                    "takes arguments: use memo.per_compile (or memo.catalog_cache for catalog "
                                    "names)")
    if path != MEMO_MODULE:
        lines = sorted({node.lineno for node in ast.walk(tree) if id(node) not in allowed and is_cache(node)})
        problems += [f"{path}:{line}: a functools cache that does not decorate a function of no argument"
                     for line in lines]
    return problems


def test_no_module_or_class_level_container_is_mutated():
    problems = [f"{_relative(p)}:{line}" for p, text in SOURCES.items() for line in mutable_state(text)]
    problems += cross_module_mutations({_relative(p): text for p, text in SOURCES.items()})
    assert problems == []


def test_no_process_wide_cache_takes_arguments():
    assert [problem for p, text in SOURCES.items() for problem in process_wide_caches(text, _relative(p))] == []


STATEFUL = '''
import functools
from functools import lru_cache, cache
TABLE = {}
SEEN = set()
ORDER: list = []
COUNTS = dict()
class Loader:
    tags: dict[str, str]
    known = {}
    def __init_subclass__(cls):
        cls.tags = {}
    def resolve(self, value):
        self.known[value] = 1
def remember(key, value):
    TABLE[key] = value
    SEEN.add(key)
    ORDER += [key]
    del COUNTS[key]
def aliased(key):
    table, seen = TABLE, SEEN
    table[key] = 1
    seen.discard(key)
    Loader.tags.update({})
@lru_cache(maxsize=16)
def bounded(value): ...
@functools.cache
def unbounded(value): ...
@cache
def catalog(): ...
wrapped = functools.lru_cache(maxsize=None)(len)
'''


def test_the_checks_catch_every_form_of_shared_state():
    assert sorted(int(p.split(":")[0]) for p in mutable_state(STATEFUL)) == [12, 14, 16, 17, 18, 19, 22, 23, 24]
    assert [p.split(": ")[1].split("(")[0] for p in process_wide_caches(STATEFUL, "aimc/x.py")] == [
        "bounded", "unbounded", "a functools cache that does not decorate a function of no argument"]
    assert process_wide_caches("from aimc.render import cache\ndef f(x):\n    return cache.claims(x)\n", "a.py") == []
    other = "from aimc.emit import yaml_text\ndef f():\n    yaml_text.STRINGS['a'] = 'b'\n    yaml_text.ORDER.append(1)\n"
    assert len(cross_module_mutations({"aimc/emit/yaml_text.py": "STRINGS = {}\nORDER = []\n", "aimc/x.py": other})) == 2


# Where aimc may open a file other than through the bounded reader of load/limits.py, and why.
OPENS_ALLOWED = {
    "aimc/load/limits.py": "the bounded reader itself",
    "aimc/catalog/files.py": "aimc's own package data (catalogs, schemas), not input",
    "aimc/k8s/model_shapes.py": "aimc's own table of the kubernetes models and that package's __init__.py, not input",
    "aimc/emit/files.py": "writes: the lock file and the temporary copy of an edited recipe",
    "aimc/cli/streams.py": "opens /dev/null for writing once stdout is broken",
}
# Calls that open or read a file by name: open(), os.open, io.open, os.fdopen, Path.open/read_text/read_bytes.
_OPENING = {"open", "read_text", "read_bytes", "fdopen"}


def _file_opens(tree) -> list[tuple[int, str]]:
    import ast

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.id if isinstance(function, ast.Name) else (
            function.attr if isinstance(function, ast.Attribute) else None)
        owner = function.value.id if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) \
            else None
        if name in _OPENING and owner not in ("tarfile",):  # tarfile.open reads git archive's bytes in memory
            found.append((node.lineno, name))
    return sorted(found)


def test_every_file_aimc_opens_is_read_through_the_bounded_reader():
    """One reader (regular files only, a size per kind, never waiting on a FIFO) for every file of every command."""
    import ast

    opens = [(_relative(p), line, name) for p, text in SOURCES.items() if _relative(p) not in OPENS_ALLOWED
             for line, name in _file_opens(ast.parse(text))]
    assert opens == []
    assert all(_file_opens(ast.parse(SOURCES[PACKAGE.parent / module])) for module in OPENS_ALLOWED), \
        "an allowed module that opens nothing any more: remove it from OPENS_ALLOWED"


def test_the_bounded_reader_finds_an_open_that_the_rule_forbids():
    import ast

    assert _file_opens(ast.parse("with open(path) as f:\n    f.read()\nPath(p).read_text()\nos.fdopen(fd)\n")) == [
        (1, "open"), (3, "read_text"), (4, "fdopen")]


def test_only_serialisers_read_a_rendered_object_unfrozen():
    """`records.serialisable` hands out the tree behind a FrozenTree, for serialisers that only read it (emit, the
    typed model walk of k8s, diff's canonical JSON); any other caller could change an object every stage shares."""
    callers = sorted({_relative(p) for p, text in SOURCES.items()
                      if re.search(r"\bserialisable\(", text) and not p.name == "records.py"})
    assert callers and all(c.startswith(("aimc/emit/", "aimc/k8s/")) or c == "aimc/reports/diff.py"
                           for c in callers), callers
