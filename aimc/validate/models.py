"""validate: the repository's AIMModel documents (schema-checked already) -> the build's `ModelCatalog`: the
built-in facts, each overridden by a document describing the same model. Built once per compile, here, with every
problem reported; resolve and render read the same catalog."""

from __future__ import annotations

from collections.abc import Iterable

from aimc.catalog.model_facts import builtin_catalog, from_spec
from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.model.facts import ModelCatalog, ModelFacts


def model_catalog(documents: Iterable[Document], collector: Collector) -> ModelCatalog:
    """The built-in facts overridden by these schema-valid AIMModel documents; a document with a problem is reported
    and left out."""
    local: list[ModelFacts] = []
    seen: dict[str, str] = {}
    for doc in documents:
        spec = doc.data["spec"]
        origin = f"{doc.file}:{doc.line}"
        key = spec["id"].lower()
        if key in seen:
            collector.error(doc.file, doc.line, "spec.id", f"model '{spec['id']}' is also described at {seen[key]}")
            continue
        seen[key] = origin
        problem = _problem(spec)
        if problem:
            collector.error(doc.file, doc.line, "spec", problem)
            continue
        local.append(from_spec(spec, origin))
    builtin = builtin_catalog()
    return ModelCatalog(builtin.models + tuple(local)) if local else builtin


def _problem(spec: dict) -> str | None:
    """What the schema cannot say about one AIMModel spec."""
    if "headDim" not in spec and "hiddenSize" not in spec and "kvLatentDim" not in spec:
        return "give headDim (or hiddenSize, from which headDim = hiddenSize / attentionHeads) or kvLatentDim"
    local_layers = spec.get("slidingWindowLayers", 0) + spec.get("chunkedAttentionLayers", 0)
    if local_layers > spec["layers"]:
        return f"slidingWindowLayers + chunkedAttentionLayers is {local_layers}, more than the {spec['layers']} layers"
    return None
