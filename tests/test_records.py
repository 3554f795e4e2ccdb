"""Frozen records (aimc/records.py): the dataclass semantics aimc relies on, from msgspec Structs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aimc.errors import Diagnostic
from aimc.load.yaml_positions import PosDict
from aimc.model.inputs import Origin
from aimc.records import Record, compared_on, replace


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


def test_a_build_does_not_import_dataclasses():
    # The reason records are Structs: dataclass creation was a fifth of a small build's start-up.
    code = ("import sys, aimc.pipeline, aimc.cli.build; "
            "print(sorted(m for m in sys.modules if m == 'dataclasses'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_replaced_model_catalog_indexes_its_own_models_and_leaves_the_original_alone():
    from aimc.catalog import model_facts as facts

    catalog = facts.ModelCatalog(facts.builtin_models())
    first, rest = catalog.models[0], catalog.models[1:]
    smaller = replace(catalog, models=rest)
    assert smaller.lookup(first.id) is None
    assert catalog.lookup(first.id) is first
    assert smaller.lookup(rest[0].id) is rest[0]
