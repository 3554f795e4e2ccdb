"""`aimc models import`: the facts of a config.json as an `AIMModel` document, each value commented with the config
key it came from."""

from __future__ import annotations

import re

from aimc.catalog.hf_config import ImportedModel

ORDER = ("architecture", "parametersB", "activeParametersB", "layers", "hiddenSize", "attentionHeads", "kvHeads",
         "headDim", "kvLatentDim", "maxContextLength", "nativePrecision", "nativeWeightBits", "quantization",
         "experts", "expertsPerToken", "slidingWindow", "attentionChunkSize")


def document_name(model_id: str) -> str:
    """A DNS-1123 label for metadata.name: `mistralai/Mistral-7B-Instruct-v0.3` -> mistral-7b-instruct-v0-3."""
    name = re.sub(r"[^a-z0-9]+", "-", model_id.rsplit("/", 1)[-1].lower()).strip("-")
    return name[:63].rstrip("-") or "model"


def aimmodel_text(imported: ImportedModel) -> str:
    rows = [("id", _scalar(imported.id), imported.id_source)]
    by_field = {fact.field: fact for fact in imported.facts}
    rows += [(field, _scalar(by_field[field].value), by_field[field].source) for field in ORDER if field in by_field]
    width = max(len(f"  {field}: {value}") for field, value, _ in rows) + 2
    lines = [f"# Facts of {imported.id} for aimc's memory fit, imported by `aimc models import` from",
             f"# {imported.config_file}; each comment names the config key a value came from.",
             "apiVersion: aim.engine.amd.com/v1alpha1", "kind: AIMModel", "metadata:",
             f"  name: {document_name(imported.id)}", "spec:"]
    lines += [f"  {field}: {value}".ljust(width) + f"# {source}" for field, value, source in rows]
    return "\n".join(lines) + "\n"


def _scalar(value) -> str:
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z_][\w./-]*", value):
        return "'" + value.replace("'", "''") + "'"
    return str(value)
