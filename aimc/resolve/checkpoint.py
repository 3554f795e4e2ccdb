"""A recipe may load another checkpoint than the model the endpoint names (e.g. `Qwen/Qwen3-32B-FP8` for
`Qwen/Qwen3-32B`, when only the FP8 configuration fits): that is a different model id, with different weights and
quality, so it is never silent unless the endpoint's `precision` asked for exactly that."""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.model.inputs import Endpoint, Recipe


def different_checkpoint(endpoint: Endpoint, recipe: Recipe) -> Diagnostic | None:
    loaded = recipe.huggingface_id
    if not loaded or loaded.lower() == endpoint.model.lower():
        return None
    if endpoint.precision is not None and endpoint.precision == recipe.precision:
        return None  # the endpoint asked for this precision: its checkpoint is the expected one
    origin = endpoint.origin
    return Diagnostic(origin.file, origin.line_of("spec", "model"), "spec.model",
                      f"serves the checkpoint '{loaded}' (recipe {recipe.id}, {recipe.precision}), not "
                      f"'{endpoint.model}': set spec.precision: {recipe.precision} to accept it, or give the "
                      "configuration you want (spec.precision, spec.gpuCount, spec.recipe) to keep the named model",
                      "warning")
