"""Kubernetes quantities and resources per GPU, and their memos."""

from __future__ import annotations

from fractions import Fraction

import pytest

from aimc.model.inputs import ResourcesPerGpu
from aimc.render.sizing import DEFAULT_RESOURCES, merged_resources, quantity_value


def test_quantity_value_memo_keeps_every_quantity_apart():
    for _ in range(2):  # the second round comes from the memo
        assert quantity_value("32Gi") == 32 * 2**30
        assert quantity_value("48Gi") == 48 * 2**30
        assert quantity_value("500m") == Fraction(1, 2)
        assert quantity_value("1.5G") == 1_500_000_000
    with pytest.raises(ValueError):
        quantity_value("lots")


def test_merged_resources_layers_inventory_then_endpoint():
    inventory = ResourcesPerGpu(cpu="8", memory=None, memory_limit=None)
    endpoint = ResourcesPerGpu(cpu=None, memory="64Gi", memory_limit="96Gi")
    for _ in range(2):
        assert merged_resources(None, None) == DEFAULT_RESOURCES
        assert merged_resources(inventory, None) == ResourcesPerGpu(cpu="8", memory="32Gi", memory_limit="48Gi")
        assert merged_resources(None, endpoint) == ResourcesPerGpu(cpu="4", memory="64Gi", memory_limit="96Gi")
        assert merged_resources(inventory, endpoint) == ResourcesPerGpu(cpu="8", memory="64Gi", memory_limit="96Gi")


def test_quantity_memos_live_for_one_compile_and_keep_types_apart(monkeypatch):
    from aimc.memo import one_compile
    from aimc.render import sizing

    computed = []
    real = sizing._multiply
    monkeypatch.setattr(sizing, "_multiply", lambda q, f: computed.append((q, f)) or real(q, f))
    with one_compile():
        assert [sizing.multiply("32Gi", 4) for _ in range(3)] == ["128Gi"] * 3
        assert sizing.multiply(0.0, 2) == "0"
        with pytest.raises(ValueError):  # -0.0 == 0.0 in Python: a float is never looked up, so it is not "0"
            sizing.multiply(-0.0, 2)
        assert sizing.multiply("3", True) == sizing.multiply("3", 1) == "3"
        assert [sizing.quantity_value("1.5G") for _ in range(2)] == [1_500_000_000] * 2
    assert computed == [("32Gi", 4), (0.0, 2), (-0.0, 2), ("3", True), ("3", 1)]
    with one_compile():  # a new compile computes again
        sizing.multiply("32Gi", 4)
    assert computed[-1] == ("32Gi", 4) and len(computed) == 6
