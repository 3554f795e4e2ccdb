"""Gated models without a token: the pod starts, then its download fails (401 from the Hugging Face Hub) and it
crash-loops. aimc knows which built-in models are gated (`gated: true` in catalog/models.yaml, with the source there;
an AIMModel document may say so too) and which endpoints give the pod a token.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.facts import ModelCatalog
from aimc.model.inputs import Endpoint, Inventory
from aimc.resolve.model_source import source_for

# Variables the Hugging Face Hub client reads a token from (huggingface_hub constants: HF_TOKEN, and the older
# HUGGING_FACE_HUB_TOKEN); an endpoint that sets one itself (from a Secret, as validate/secrets.py requires) has one.
TOKEN_VARIABLES = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})


def has_token(endpoint: Endpoint, inventory: Inventory | None) -> bool:
    if endpoint.hf_token_secret is not None or (inventory is not None and inventory.hf_token_secret is not None):
        return True
    return any(entry.get("name") in TOKEN_VARIABLES for entry in endpoint.env)


def token_warnings(endpoints, models: ModelCatalog, inventory: Inventory | None) -> list[Diagnostic]:
    """A warning (an error under --strict) per endpoint whose engines download a gated repository without a token."""
    out = []
    for resolved in endpoints:
        endpoint = resolved.endpoint
        if has_token(endpoint, inventory) or source_for(endpoint, inventory) is not None:
            continue  # a token, or the model in an OCI image (nothing downloads from the Hub)
        gated = sorted({repository for engine in resolved.engines
                        for repository in (engine.recipe.huggingface_id or endpoint.model,)
                        if _is_gated(models, repository)})
        if gated:
            origin = endpoint.origin
            out.append(Diagnostic(origin.file, origin.line_of("spec", "model"), "spec.model", (
                f"{', '.join(gated)} is gated on Hugging Face (its licence must be accepted) and no token is "
                "configured: the engine's download would fail with 401 and the pod crash-loop; set spec.hfTokenSecret "
                "(or the inventory's spec.defaults.hfTokenSecret) to a Secret holding a token of an account that "
                "accepted the licence"), "warning"))
    return out


def _is_gated(models: ModelCatalog, repository: str) -> bool:
    facts = models.lookup(repository)
    return facts is not None and facts.is_gated_repository(repository)
