"""aimc/memo.py: a memo lives for one compile, keys on typed values, is bounded; catalog caches take catalog names."""

from __future__ import annotations

import threading
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimc.memo import catalog_cache, one_compile, per_compile, typed_key
from aimc.model.inputs import ResourcesPerGpu

EQUAL_IN_PYTHON = [[True, 1, 1.0], [False, 0, 0.0, -0.0], [(1,), (True,), [1]], [{"a": 1}, {"a": True}],
                   [ResourcesPerGpu("1"), ResourcesPerGpu("1", None, None)]]


@pytest.mark.parametrize("values", EQUAL_IN_PYTHON[:4])
def test_values_python_calls_equal_have_distinct_keys(values):
    assert len({typed_key(v) for v in values}) == len(values)
    assert len({typed_key("1"), typed_key(1), typed_key(b"1")}) == 3


def test_keys_of_equal_typed_values_are_equal():
    assert typed_key({"a": [1, 2.5, None]}) == typed_key({"a": [1, 2.5, None]})
    assert typed_key(EQUAL_IN_PYTHON[4][0]) == typed_key(EQUAL_IN_PYTHON[4][1])
    assert typed_key(ResourcesPerGpu("1")) != typed_key(ResourcesPerGpu(1))  # type: ignore[arg-type]


def test_a_value_of_an_unknown_type_is_a_bug_not_a_shared_entry():
    with pytest.raises(TypeError):
        typed_key(object())


def _counted():
    calls = []

    @per_compile(limit=3)
    def double(value):
        calls.append(value)
        return value * 2

    return double, calls


def test_results_are_remembered_inside_a_compile_only():
    double, calls = _counted()
    double(2), double(2)
    assert calls == [2, 2]  # no compile: computed each time
    with one_compile():
        assert double(2) == double(2) == 4
        assert double(True) == 2 and double(1.0) == 2.0 and double(1) == 2
        assert [type(c) for c in calls[2:]] == [int, bool, float, int]
    with one_compile():
        double(2)
    assert calls[-1] == 2 and len(calls) == 7  # a new compile starts empty


def test_a_table_is_bounded():
    double, calls = _counted()
    with one_compile():
        for value in range(10):
            double(value)
        double(9)
        assert calls == list(range(10))  # the newest is kept
        double(0)
        assert calls[-1] == 0  # long dropped


def test_a_nested_scope_is_the_same_compile_and_threads_have_their_own():
    double, calls = _counted()
    seen = []
    with one_compile():
        double(5)
        with one_compile():
            double(5)
        assert calls == [5]
        thread = threading.Thread(target=lambda: seen.append(double(5)))
        thread.start()
        thread.join()
    assert calls == [5, 5] and seen == [10]


@cache
def _names() -> frozenset[tuple[str, ...]]:
    return frozenset({("vllm",), ("sglang",)})


@catalog_cache(_names)
def _read(engine: str) -> tuple[str, ...]:
    return (engine,)


def test_a_catalog_cache_takes_only_names_of_the_catalog():
    assert _read("vllm") is _read("vllm")
    for wrong in ("tgi", 1, True):
        with pytest.raises(ValueError):
            _read(wrong)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 1.5, float("inf")]),
              st.sampled_from(["", "1", "true", "0", "a"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
                            st.dictionaries(st.sampled_from(["a", "1"]), inner, max_size=2)), max_leaves=6)


def _same(a, b) -> bool:
    """Equal with the same type all the way down (and 0.0 is not -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return repr(a) == repr(b)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(json_values, json_values)
def test_two_values_share_a_key_exactly_when_they_are_the_same_typed_value(a, b):
    assert (typed_key(a) == typed_key(b)) == _same(a, b)


def test_a_record_memo_keys_records_by_identity_and_the_rest_by_type():
    from aimc.memo import per_compile_records

    calls = []

    @per_compile_records(limit=4)
    def scaled(record, factor):
        calls.append((record, factor))
        return (record.cpu, factor)

    one, twin = ResourcesPerGpu("1"), ResourcesPerGpu("1")
    with one_compile():
        assert scaled(one, 2) == scaled(one, 2) and len(calls) == 1
        scaled(twin, 2)  # equal, but another record: computed again (an identity key never finds another value)
        scaled(one, True)  # True is not 2, nor 1
        scaled(one, 1)
        assert [(r is one, f) for r, f in calls[1:]] == [(False, 2), (True, True), (True, 1)]
        assert [type(f) for _, f in calls[2:]] == [bool, int]
    scaled(one, 2)
    assert len(calls) == 5  # outside a compile: computed each time


def test_interned_records_share_one_identity_per_typed_value_for_the_compile():
    from aimc.memo import interned

    first, same, other_type = ResourcesPerGpu("1"), ResourcesPerGpu("1"), ResourcesPerGpu(1)  # type: ignore[arg-type]
    assert interned(same) is same  # outside a compile: itself
    with one_compile():
        assert interned(first) is first and interned(same) is first
        assert interned(other_type) is other_type  # 1 is not "1"
    with one_compile():
        assert interned(same) is same  # a new compile starts empty
