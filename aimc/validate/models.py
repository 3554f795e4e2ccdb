"""validate: the repository's AIMModel documents (schema-checked already) -> the build's `ModelCatalog`: the
built-in facts, each overridden by a document describing the same model. Built once per compile, here, with every
problem reported; resolve and render read the same catalog."""

from __future__ import annotations

from collections.abc import Iterable

from aimc.catalog.model_facts import builtin_catalog, from_spec
from aimc.errors import Collector
from aimc.load.documents import Document
from aimc.load.yaml_positions import line_of
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
        field, problem = _problem(spec)
        if problem:
            collector.error(doc.file, line_of(doc.data, ("spec", *field.split(".")) if field else ("spec",), doc.line),
                            f"spec.{field}" if field else "spec", problem)
            continue
        local.append(from_spec(spec, origin))
    builtin = builtin_catalog()
    return ModelCatalog(builtin.models + tuple(local)) if local else builtin


def _problem(spec: dict) -> tuple[str, str | None]:
    """(field, what the schema cannot say about one AIMModel spec); the field is "" for the spec as a whole."""
    if "headDim" not in spec and "hiddenSize" not in spec and "kvLatentDim" not in spec:
        return "", "give headDim (or hiddenSize, from which headDim = hiddenSize / attentionHeads) or kvLatentDim"
    if "headDim" not in spec and "kvLatentDim" not in spec and spec["hiddenSize"] < spec["attentionHeads"]:
        # headDim = hiddenSize // attentionHeads would be 0 (a ZeroDivisionError in the KV-cache arithmetic).
        return "hiddenSize", (f"hiddenSize {spec['hiddenSize']} is smaller than attentionHeads "
                              f"{spec['attentionHeads']}, so headDim = hiddenSize / attentionHeads would be 0: give "
                              "the model's hidden_size (or headDim)")
    local_layers = spec.get("slidingWindowLayers", 0) + spec.get("chunkedAttentionLayers", 0)
    if local_layers > spec["layers"]:
        return "", (f"slidingWindowLayers + chunkedAttentionLayers is {local_layers}, more than the {spec['layers']} "
                    "layers")
    if spec.get("denseLayers", 0) >= spec["layers"]:
        return "denseLayers", (f"denseLayers is {spec['denseLayers']}, but a mixture-of-experts model of "
                               f"{spec['layers']} layers has fewer dense ones: give the layers without experts "
                               "(e.g. first_k_dense_replace of config.json)")
    kept = spec.get("quantizedLayout", {}).get("keptParametersB", 0)
    if kept > spec["parametersB"]:
        # The quantized weights are parametersB - keptParametersB (catalog/weight_bytes.py): more kept than there are
        # parameters would make the weights negative and the KV cache unbounded.
        return "quantizedLayout.keptParametersB", (
            f"keptParametersB is {kept}, more than the model's {spec['parametersB']} billion parameters: give the "
            "parameters (in billions) the checkpoint keeps at 16 bits, at most parametersB")
    return "", None
