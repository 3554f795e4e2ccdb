"""Frozen records (aimc/records.py): the dataclass semantics aimc relies on, from msgspec Structs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aimc.errors import Diagnostic
from aimc.load.yaml_positions import PosDict
from aimc.model.inputs import Origin
from aimc.records import Record, compared_on, replace

CASES = Path(__file__).parent / "cases"


class Point(Record):
    x: int
    y: int = 0


class Tagged(Record):
    name: str
    raw: dict | None = None

    __eq__, __ne__, __hash__ = compared_on("name")


def test_records_are_immutable_and_compare_and_hash_by_value():
    point = Point(1, y=2)
    with pytest.raises(AttributeError):
        point.x = 3  # type: ignore[misc]
    assert point == Point(1, 2) and point != Point(1, 3)
    assert hash(point) == hash(Point(1, 2))
    assert replace(point, y=5) == Point(1, 5) and point.y == 2


def test_ordered_records_sort_field_by_field():
    first = Diagnostic("a.yaml", 2, "spec", "m")
    second = Diagnostic("a.yaml", 10, "spec", "m")
    assert sorted([second, first]) == [first, second]


def test_compared_on_ignores_the_other_fields_for_eq_ne_and_hash():
    one, two = Tagged("a", {"k": 1}), Tagged("a", {"k": 2})
    assert one == two and not (one != two)
    assert hash(one) == hash(two)  # a dict field alone would make the record unhashable
    assert Tagged("a") != Tagged("b")
    assert Tagged("a") != Point(1)


def test_an_origin_equals_another_read_from_an_equal_place_whatever_its_document():
    data = PosDict({"spec": {}})
    assert Origin("e.yaml", "e.yaml", 3, data) == Origin("e.yaml", "e.yaml", 3)
    assert {Origin("e.yaml", "e.yaml", 3, data), Origin("e.yaml", "e.yaml", 3)} == {Origin("e.yaml", "e.yaml", 3)}


@pytest.mark.e2e
def test_a_build_does_not_import_dataclasses():
    # The reason records are Structs: dataclass creation was a fifth of a small build's start-up.
    code = ("import sys, aimc.pipeline, aimc.cli.build; "
            "print(sorted(m for m in sys.modules if m == 'dataclasses'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_replaced_model_catalog_indexes_its_own_models_and_leaves_the_original_alone():
    from aimc.catalog import model_facts as facts

    catalog = facts.builtin_catalog()
    first, rest = catalog.models[0], catalog.models[1:]
    smaller = replace(catalog, models=rest)
    assert smaller.lookup(first.id) is None
    assert catalog.lookup(first.id) is first
    assert smaller.lookup(rest[0].id) is rest[0]


# -- a frozen record really is one: what it holds cannot be changed either ------------------------------------

def _mutations(value) -> list[str]:
    """Which of the usual mutations of a mapping or a list `value` allows (each is tried on it)."""
    allowed = []
    attempts = {
        "setitem": lambda v: v.__setitem__(next(iter(v)) if hasattr(v, "keys") else 0, "x"),
        "update": lambda v: v.update({}),
        "append": lambda v: v.append("x"),
        "pop": lambda v: v.pop(),
        "clear": lambda v: v.clear(),
    }
    for name, attempt in attempts.items():
        try:
            attempt(value)
        except (TypeError, AttributeError):
            continue
        allowed.append(name)
    return allowed


def test_frozen_structures_refuse_every_change_and_thawed_copies_are_independent():
    from aimc.records import frozen, thawed

    value = frozen({"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf"}}, "list": [1, {"a": 2}]})
    for part in (value, value["valueFrom"], value["valueFrom"]["secretKeyRef"], value["list"], value["list"][1]):
        assert _mutations(part) == []
    first, second = thawed(value), thawed(value)
    assert first == second == {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf"}}, "list": [1, {"a": 2}]}
    first["valueFrom"]["secretKeyRef"]["name"] = "changed"
    assert second["valueFrom"]["secretKeyRef"]["name"] == value["valueFrom"]["secretKeyRef"]["name"] == "hf"


def test_inputs_hold_no_mutable_structure():
    """Endpoint.env and NodePool.tolerations (Kubernetes sub-objects as written) are read-only all the way down."""
    from aimc.errors import Collector
    from aimc.pipeline import Options, load_inputs

    text = (CASES / "workloads-keda-cache-secrets" / "inputs" / "endpoints" / "chat.yaml").read_text()
    inventory = ("apiVersion: aim.engine.amd.com/v1alpha1\nkind: ClusterInventory\nmetadata: {name: c}\nspec:\n"
                 "  nodePools:\n    - name: p\n      hardware: MI300X\n      gpusPerNode: 8\n      nodeCount: 4\n"
                 "      tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]\n")
    inputs = load_inputs(Options(paths=("-",), stdin_text=inventory + "---\n" + text), Collector())
    endpoint = inputs.endpoints[0]
    assert inputs.inventory is not None
    pool = inputs.inventory.pools[0]
    assert endpoint.env and pool.tolerations
    for entry in (*endpoint.env, *pool.tolerations):
        assert _mutations(entry) == []
    assert _mutations(endpoint.env[0]["valueFrom"]) == []
    assert _mutations(endpoint.env[0]["valueFrom"]["secretKeyRef"]) == []


def test_the_model_catalog_index_is_read_only():
    from aimc.catalog import model_facts as facts

    catalog = facts.builtin_catalog()
    assert _mutations(catalog._index) == []
    assert _mutations(facts.hardware()) == []


def test_catalog_data_handed_out_shared_is_read_only():
    """Loaded once per process and handed to every caller: a change by one would reach all the others."""
    from aimc.catalog import bench_flags, flag_sets, hf_parameters

    flags = flag_sets.flag_set("vllm")
    assert _mutations(flags.options) == [] and _mutations(flags.removed) == []
    client = bench_flags.load("vllm")
    assert _mutations(client) == [] and _mutations(client["flags"]) == [] and _mutations(client["flags"][0]) == []
    architectures = hf_parameters.architectures()
    assert _mutations(architectures) == [] and _mutations(next(iter(architectures.values()))) == []


# -- a rendered object is frozen too (issue 21: "a frozen record really is one") ----------------------------------

def test_a_rendered_object_cannot_be_changed_through_any_path():
    from aimc.records import FrozenList, FrozenTree
    from aimc.render import Rendered

    built = {"kind": "Deployment", "metadata": {"name": "x", "labels": {"a": "1"}},
             "spec": {"template": {"spec": {"containers": [{"name": "engine", "args": ["--port", "8000"]}]}}}}
    item = Rendered(built, "endpoints/x.yaml")
    assert isinstance(item.obj, FrozenTree) and item.obj == built
    container = item.obj["spec"]["template"]["spec"]["containers"][0]
    assert isinstance(item.obj["spec"]["template"]["spec"]["containers"], FrozenList)
    with pytest.raises(TypeError):
        item.obj["kind"] = "Service"  # type: ignore[index]
    with pytest.raises(TypeError):
        item.obj["metadata"]["labels"]["a"] = "2"
    with pytest.raises(TypeError):
        del item.obj["metadata"]
    with pytest.raises(AttributeError):
        container["args"].append("--x")
    with pytest.raises(AttributeError):
        item.obj.get("metadata").setdefault("annotations", {})
    with pytest.raises(AttributeError):
        item.obj = {}  # type: ignore[misc]
    assert item.obj["spec"]["template"]["spec"]["containers"][0]["args"] == ["--port", "8000"]
    assert item == Rendered(built, "endpoints/x.yaml") and item != Rendered({**built, "kind": "Service"}, "x")


def test_every_object_of_a_build_is_frozen():
    from aimc import pipeline
    from aimc.records import FrozenTree

    result = pipeline.compile(pipeline.Options(paths=(str(Path(__file__).resolve().parent.parent / "examples"),)))
    assert result.objects and all(isinstance(item.obj, FrozenTree) for item in result.objects)
    with pytest.raises(TypeError):
        result.objects[0].obj["metadata"]["name"] = "changed"


def test_frozen_views_are_final_so_their_identity_checks_hold():
    import pytest

    from aimc.records import FrozenList, FrozenTree, serialisable

    for view in (FrozenTree, FrozenList):
        with pytest.raises(TypeError):
            type("Sub", (view,), {})
    tree = {"a": [1, {"b": 2}]}
    view = FrozenTree(tree)
    assert serialisable(view) is tree and serialisable(view["a"]) is tree["a"] and serialisable(tree) is tree
    assert FrozenTree(view)._data is tree  # a view of a view shows the same tree


def test_object_identity_reads_what_get_reads():
    from aimc.records import FrozenTree, object_identity

    def by_get(tree):
        meta = tree.get("metadata") or {}
        return tree.get("apiVersion"), tree.get("kind"), meta.get("namespace"), meta.get("name")

    for data in ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n"}},
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}, {"kind": "X"},
                 {"apiVersion": "v1", "kind": "X", "metadata": {"name": {"odd": ["value"]}, "namespace": ["n"]}},
                 {"metadata": None}):
        tree = FrozenTree(data)
        assert object_identity(tree) == by_get(tree)
        assert [v.__class__ for v in object_identity(tree)] == [v.__class__ for v in by_get(tree)]
