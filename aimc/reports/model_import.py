"""`aimc models import`: the facts of a config.json as an `AIMModel` document, each value commented with the config
key it came from.

The document is built as data, checked against the AIMModel schema (a value the schema refuses is an error naming
the config key it came from, never a document that `aimc build` would then refuse), and written through the one
escaping path (emit/commented.py): a folder name or a config string cannot add a document or a line."""

from __future__ import annotations

import re

from aimc.catalog.hf_config import ImportedModel
from aimc.emit.commented import Notes, block, check_printed
from aimc.errors import Diagnostic, UserError

API_VERSION = "aim.engine.amd.com/v1alpha1"
ORDER = ("architecture", "parametersB", "activeParametersB", "layers", "hiddenSize", "attentionHeads", "kvHeads",
         "headDim", "kvLatentDim", "maxContextLength", "nativePrecision", "nativeWeightBits", "quantization",
         "intermediateSize", "experts", "expertsPerToken", "moeIntermediateSize", "sharedExperts", "denseLayers",
         "slidingWindow", "slidingWindowLayers", "attentionChunkSize",
         "chunkedAttentionLayers", "quantizedLayout")


def document_name(model_id: str) -> str:
    """A DNS-1123 label for metadata.name: `mistralai/Mistral-7B-Instruct-v0.3` -> mistral-7b-instruct-v0-3."""
    name = re.sub(r"[^a-z0-9]+", "-", model_id.rsplit("/", 1)[-1].lower()).strip("-")
    return name[:63].rstrip("-") or "model"


def aimmodel_document(imported: ImportedModel) -> dict:
    by_field = {fact.field: fact.value for fact in imported.facts}
    spec = {"id": imported.id, **{field: by_field[field] for field in ORDER if field in by_field}}
    return {"apiVersion": API_VERSION, "kind": "AIMModel", "metadata": {"name": document_name(imported.id)},
            "spec": spec}


def checked_document(imported: ImportedModel) -> dict:
    """The AIMModel document, once its schema accepts it; UserError naming the config keys otherwise."""
    document = aimmodel_document(imported)
    _check_schema(document, imported)
    return document


def aimmodel_text(imported: ImportedModel) -> str:
    document = checked_document(imported)
    notes = Notes()
    notes.add_above(("apiVersion",), f"Facts of {imported.id} for aimc's memory fit, imported by `aimc models "
                    f"import` from", f"{imported.config_file}; each comment names the config key a value came from.")
    notes.beside[("spec", "id")] = imported.id_source
    for fact in imported.facts:
        notes.beside[("spec", fact.field)] = fact.source
    return check_printed("\n".join(block(document, notes)) + "\n", [document])


def _check_schema(document: dict, imported: ImportedModel) -> None:
    """Every AIMModel aimc prints is one its schema accepts: a refusal names the config key behind the field."""
    from aimc.validate import schema

    problems = schema.validate("model", document, imported.config_file, 0)
    if not problems:
        return
    sources = {"id": imported.id_source, **{fact.field: fact.source for fact in imported.facts}}
    out = []
    if any("required field" not in problem.message for problem in problems):  # a field that is missing because
        problems = [p for p in problems if "required field" not in p.message]  # another is wrong: say the cause
    for problem in problems:
        field = problem.field.removeprefix("spec.")
        source = sources.get(field, "")
        out.append(Diagnostic(imported.config_file, imported.line_of(source), source.split(" ", 1)[0] or field,
                              f"the AIMModel would not be valid: {problem.field}"
                              f"{f' (from {source})' if source else ''}: {problem.message}"))
    raise UserError(out)
