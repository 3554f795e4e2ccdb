"""The table of aimc/k8s/model_shapes.json lets `validate` skip the `kubernetes` package's models for objects they
certainly accept (issue 24). It must never certify an object the models reject: then the check rejects exactly what it
rejected before, with the same messages, since the models still write every one."""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import REPO

from aimc.k8s import model_shapes, typed_models
from aimc.load.yaml_positions import PosDict

CASES = Path(__file__).parent / "cases"
TABLE_IS_FOR_THIS_PACKAGE = model_shapes.Shapes.for_installed_package() is not None
needs_table = pytest.mark.skipif(not TABLE_IS_FOR_THIS_PACKAGE, reason="the table is for another kubernetes release")


def _shapes() -> model_shapes.Shapes:
    shapes = model_shapes.Shapes.for_installed_package()
    assert shapes is not None
    return shapes


@functools.cache
def _golden_objects() -> tuple[dict, ...]:
    """The objects of every golden build (read once: four tests use them, none changes them)."""
    objects: list = []
    for expected in sorted(CASES.glob("*/expected.yaml")):
        args = expected.parent / "args"
        if args.exists() and args.read_text(encoding="utf-8").split()[:1] != ["build"]:
            continue  # explain, plan, bench reports: text, not objects
        objects += [d for d in yaml.safe_load_all(expected.read_text(encoding="utf-8"))
                    if isinstance(d, dict) and "apiVersion" in d and "kind" in d]
    return tuple(objects)


def _items(objects) -> list:
    return [SimpleNamespace(obj=o, positions=None, file="f.yaml", source="f.yaml", line=1) for o in objects]


def _models_problems(obj: dict) -> list:
    """What the package's models say of one object, the table out of the way."""
    cls = typed_models.model_class(obj["apiVersion"], obj["kind"])
    unknown: list = []
    if cls is not None:
        typed_models.to_model(obj, cls.__name__, "", unknown)
    return unknown


def _certified(obj: dict, shapes: model_shapes.Shapes) -> bool:
    return typed_models._certified(shapes, obj, obj["apiVersion"], obj["kind"])


# Values a hand-written or broken object could hold where another one belongs.
HOSTILE = [None, True, 0, 1.5, "x", [], {}, [None], ["x"], [1], {"k": None}, {"k": "v"}, {1: "x"}, 10**30]


def _nodes(value, parts=()):
    """Every position inside a parsed document, as a tuple of keys and indexes."""
    yield parts
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _nodes(inner, (*parts, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _nodes(inner, (*parts, index))


def _set(obj, parts, value):
    out = copy.deepcopy(obj)
    node = out
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return out


def _drop(obj, parts):
    out = copy.deepcopy(obj)
    node = out
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]
    return out


def _mutants(obj: dict):
    """The object with each of its fields replaced by each hostile value, deleted, or joined by an unknown field."""
    for parts in _nodes(obj):
        if not parts:
            continue
        if parts[-1] not in ("apiVersion", "kind") or len(parts) > 1:
            for value in HOSTILE:
                yield _set(obj, parts, value)
            yield _drop(obj, parts)
    for parts in _nodes(obj):
        node = obj
        for part in parts:
            node = node[part]
        if isinstance(node, dict):
            yield _set(obj, (*parts, "bogusField"), 1) if parts else {**obj, "bogusField": 1}


def _one_of_each_kind(objects)  -> list[dict]:
    """One object of each kind the package has a model for (the others are not checked, with or without the table)."""
    seen: dict = {}
    for obj in objects:
        if typed_models.model_class(obj["apiVersion"], obj["kind"]) is not None:
            seen.setdefault((obj["apiVersion"], obj["kind"]), obj)
    return list(seen.values())


@needs_table
def test_the_table_is_what_the_installed_package_gives():
    """`python3 tools/gen_k8s_shapes.py --check`, in this process (it imports every model of the package)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import gen_k8s_shapes
    finally:
        sys.path.remove(str(REPO / "tools"))
    assert gen_k8s_shapes.main(["--check"]) == 0


@needs_table
def test_the_table_does_not_depend_on_which_model_modules_were_imported_before():
    """Building models imports their modules, which then show in dir() of the package: the table must not change
    (it did, and the check failed whenever a test that builds models ran first in the same process)."""
    import importlib

    importlib.import_module("kubernetes.client.models.v1_deployment")
    importlib.import_module("kubernetes.client.models.v1_service")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import gen_k8s_shapes
    finally:
        sys.path.remove(str(REPO / "tools"))
    assert "v1_deployment" not in gen_k8s_shapes.table()["module_names"]
    assert gen_k8s_shapes.main(["--check"]) == 0


@needs_table
def test_every_golden_object_the_table_certifies_the_models_accept():
    shapes = _shapes()
    objects = _golden_objects()
    certified = [o for o in objects if _certified(o, shapes)]
    assert len(certified) == len(objects) > 100  # aimc's own objects: all of them skip the models
    for obj in certified:
        assert _models_problems(obj) == [], obj


@needs_table
def test_no_hostile_object_is_certified_that_the_models_reject():
    """Each golden kind with every field replaced by each hostile value, deleted, or joined by an unknown field: the
    table certifies only mutants the models accept without a word, and check_objects says of the whole lot exactly
    what the models alone say."""
    shapes = _shapes()
    mutants = [m for obj in _one_of_each_kind(_golden_objects()) for m in _mutants(obj)]
    certified = [m for m in mutants if _certified(m, shapes)]
    assert 0 < len(certified) < len(mutants) // 2
    for mutant in certified:
        assert _models_problems(mutant) == [], mutant
    # The table may be stricter than the models (only the other way round is a bug), but not by much: else the
    # models would be imported for valid objects.
    rejected = [m for m in mutants if not _certified(m, shapes)][::5]
    needlessly = [m for m in rejected if not _models_problems(m)]
    assert len(needlessly) <= len(rejected) // 20, needlessly[:3]


@needs_table
def test_check_objects_says_what_the_models_alone_say(monkeypatch):
    objects = [m for obj in _one_of_each_kind(_golden_objects()) for m in list(_mutants(obj))[::5]]
    with_table = typed_models.check_objects(_items(objects))
    monkeypatch.setattr(model_shapes.Shapes, "for_installed_package", classmethod(lambda cls: None))
    models_alone = typed_models.check_objects(_items(objects))
    assert with_table == models_alone and len(models_alone) > 100


@needs_table
def test_every_model_of_the_table_accepts_what_the_table_certifies():
    """For each of the package's ~850 models, an object with every field the table reads filled with a value of its
    type: the table certifies it and the models accept it."""
    shapes = _shapes()
    filled = 0
    for name in shapes.models:
        if not _fillable(shapes, name):
            continue  # never certified: the table does not read a field the model requires
        sample = _sample_model(shapes, name, depth=0)
        assert shapes.accepts(sample, name), name
        unknown: list = []
        typed_models.to_model(sample, name, "", unknown)
        assert unknown == [], (name, sample, unknown)
        filled += 1
    assert filled > 750


_SCALARS = {"s": "text", "i": 7, "b": True, "f": 0.5, "n": 1.5, "is": "http", "a": {"any": [1, None]},
            "d": {"key": ["value", 1]}}


def _fillable(shapes, code: str) -> bool:
    """Can a value of this type be written that the table certifies? (A model whose required fields can.)"""
    if code in _SCALARS or code[0] == "[":  # a list may be empty
        return True
    if code[0] == "{":
        return _fillable(shapes, code[1:])
    fields = shapes.models.get(code)
    return fields is not None and all(_fillable(shapes, f[0]) for f in fields.values() if f[2])


def _sample(shapes, code: str, depth: int):
    if code in _SCALARS:
        return _SCALARS[code]
    if code[0] == "[":
        return [_sample(shapes, code[1:], depth)] if _fillable(shapes, code[1:]) else []
    if code[0] == "{":
        return {"key": _sample(shapes, code[1:], depth)}
    return _sample_model(shapes, code, depth + 1)


def _sample_model(shapes, name: str, depth: int) -> dict:
    """Every field the table reads, to three levels of models (then the required ones only)."""
    out = {}
    for key, (code, _nullable, required) in shapes.models[name].items():
        if not _fillable(shapes, code) or (depth > 2 and not required):
            continue
        out[key] = _sample(shapes, code, depth)
    return out


def test_another_release_of_the_package_sends_every_object_through_the_models(monkeypatch):
    monkeypatch.setattr(model_shapes, "installed_kubernetes_version", lambda: "0.0.1")
    assert model_shapes.Shapes.for_installed_package() is None
    walked = []
    original = typed_models._Walker.to_model

    def counting(self, data, type_name, *args):
        if not args[0]:  # the whole object (path "")
            walked.append(type_name)
        return original(self, data, type_name, *args)

    monkeypatch.setattr(typed_models._Walker, "to_model", counting)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}
    assert typed_models.check_objects(_items([service])) == []
    assert walked == ["V1Service"]


@pytest.mark.e2e
def test_the_installed_version_is_read_without_importing_the_package():
    code = ("import sys; from aimc.k8s import model_shapes; v = model_shapes.installed_kubernetes_version();"
            "import kubernetes; assert v == kubernetes.__version__, v")
    run = subprocess.run([sys.executable, "-c", code.replace("import kubernetes;", "bad = 'kubernetes' in sys.modules;"
                                                             " import kubernetes; assert not bad;")],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.e2e
@needs_table
def test_validate_of_valid_objects_does_not_import_the_kubernetes_package():
    code = ("import sys; from aimc.cli import main; rc = main(['validate', 'examples']);"
            "sys.exit(1 if rc or 'kubernetes' in sys.modules else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@needs_table
def test_a_passed_through_object_is_certified_like_a_rendered_one():
    shapes = _shapes()
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": PosDict(name="a", labels=PosDict(team="x"))}
    assert _certified(namespace, shapes)
    namespace["metadata"]["labels"][1] = "x"  # an int key: the models reject it, so the table does not vouch
    assert not _certified(namespace, shapes) and _models_problems(namespace)
