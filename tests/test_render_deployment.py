"""The Deployment of one engine: its pieces."""

from __future__ import annotations


def test_fresh_dict_never_shares_a_nested_value_and_keeps_scalars():
    from aimc.render.deployment import fresh_dict

    flat = (("key", "gpu"), ("operator", "Exists"), ("tolerationSeconds", 30), ("effect", None))
    copied = fresh_dict(flat)
    assert copied == dict(flat) and fresh_dict(flat) is not copied
    nested = {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}
    first, second = fresh_dict(nested), fresh_dict(nested)
    assert first == nested and first is not nested
    first["valueFrom"]["secretKeyRef"]["name"] = "changed"  # a later change to one rendered object ...
    assert second["valueFrom"]["secretKeyRef"]["name"] == "hf"  # ... reaches no other
    assert nested["valueFrom"]["secretKeyRef"]["name"] == "hf"
