"""The Hugging Face token of an engine's pod: only ever from a Secret (validate/secrets.py refuses a token written
inline in the inputs)."""

from __future__ import annotations

from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint

HF_TOKEN_ENV = "HF_TOKEN"
DEFAULT_SECRET_KEY = "token"


def token_env(resolved: ResolvedEndpoint, inventory: Inventory | None) -> list[dict]:
    """`HF_TOKEN` from the endpoint's spec.hfTokenSecret, else the inventory's spec.defaults.hfTokenSecret."""
    ref = resolved.endpoint.hf_token_secret
    if ref is None and inventory is not None:
        ref = inventory.hf_token_secret
    if ref is None:
        return []
    selector = {"name": ref.name, "key": ref.key if ref.key is not None else DEFAULT_SECRET_KEY}
    return [{"name": HF_TOKEN_ENV, "valueFrom": {"secretKeyRef": selector}}]
