"""A Hugging Face checkpoint's `config.json` (and `model.safetensors.index.json` beside it) -> the model facts the
memory fit uses, each with the config key it came from (`aimc models import`).

Works offline on the files alone. Multimodal configs keep the language model under `text_config`; its keys are read
from there. What cannot be found is reported, one line per missing fact, naming the keys that were looked for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from aimc.catalog import hf_parameters
from aimc.catalog.hf_parameters import first
from aimc.errors import Diagnostic, UserError
from aimc.records import Record

INDEX_FILE = "model.safetensors.index.json"
# torch_dtype (newer transformers write "dtype") -> aimc precision
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4, "fp4": 4}
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5}
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length")


class Fact(Record):
    field: str  # the AIMModel spec field
    value: int | float | str
    source: str  # the config key it came from, or how it was computed


class ImportedModel(Record):
    id: str
    id_source: str
    facts: tuple[Fact, ...]
    config_file: str  # as given on the command line

    def value(self, field: str):
        return next((f.value for f in self.facts if f.field == field), None)


def import_model(path: str, name: str | None = None) -> ImportedModel:
    """Read PATH (a checkpoint folder or a config.json) and return its facts, or raise UserError."""
    given = Path(path)
    config_path = given / "config.json" if given.is_dir() else given
    shown = str(config_path)
    if not config_path.is_file():
        raise UserError([Diagnostic(path, 0, "", "no config.json there: give a checkpoint folder or its config.json")])
    config = _read_json(config_path, shown)
    index_path = config_path.parent / INDEX_FILE
    index = _read_json(index_path, str(index_path)) if index_path.is_file() else None
    model_id, id_source = _model_id(config, config_path, name, shown)
    return ImportedModel(model_id, id_source, facts_of(config, index, shown), shown)


def _read_json(path: Path, shown: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError([Diagnostic(shown, getattr(exc, "lineno", 0), "", f"cannot read it as JSON: {exc}")]) from exc
    if not isinstance(data, dict):
        raise UserError([Diagnostic(shown, 1, "", "expected a JSON object")])
    return data


def _model_id(config: dict, config_path: Path, name: str | None, shown: str) -> tuple[str, str]:
    if name:
        return name, "--name"
    declared = config.get("_name_or_path")
    if isinstance(declared, str) and re.fullmatch(r"[\w.-]+/[\w.-]+", declared):
        return declared, "_name_or_path"
    folder = config_path.resolve().parent
    cached = next((p.name for p in (folder, *folder.parents) if p.name.startswith("models--")), None)
    if cached:  # the Hugging Face cache: models--<org>--<name>/snapshots/<revision>/config.json
        return "/".join(cached.split("--")[1:3]), "the Hugging Face cache folder name"
    if folder.parent.name and folder.name:
        return f"{folder.parent.name}/{folder.name}", "the folder names (<org>/<model>); --name sets another id"
    raise UserError([Diagnostic(shown, 0, "", "cannot tell the model id from the folder: pass --name ORG/MODEL")])


def facts_of(config: dict, index: dict | None, shown: str) -> tuple[Fact, ...]:
    """Every fact of one config.json (pure: the index is the parsed model.safetensors.index.json, or None)."""
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else None
    view, prefix = (text, "text_config.") if text and "num_hidden_layers" not in config else (config, "")
    architecture = (config.get("architectures") or [None])[0]
    missing: list[Diagnostic] = []
    facts: list[Fact] = []

    def need(field: str, what: str, *keys: str):
        value, key = first(view, *keys)
        if value is None:
            missing.append(Diagnostic(shown, 1, prefix + keys[0],
                                      f"missing: {what} ({field}) is read from {_alternatives(prefix, keys)}"))
            return None
        facts.append(Fact(field, value, prefix + key))
        return value

    if architecture:
        facts.append(Fact("architecture", architecture, "architectures[0]"))
    layers = need("layers", "the number of layers", "num_hidden_layers", "n_layer", "num_layers")
    hidden = need("hiddenSize", "the hidden size", "hidden_size", "n_embd", "d_model")
    heads = need("attentionHeads", "the number of attention heads", "num_attention_heads", "n_head")
    kv_heads = head_dim = None
    latent = view.get("kv_lora_rank")
    if latent and view.get("qk_rope_head_dim") is not None:
        facts.append(Fact("kvLatentDim", latent + view["qk_rope_head_dim"],
                          f"{prefix}kv_lora_rank {latent} + {prefix}qk_rope_head_dim {view['qk_rope_head_dim']} (MLA)"))
    elif heads:
        kv_heads, key = first(view, "num_key_value_heads", "num_kv_heads")
        source = prefix + key if key else f"{prefix}num_attention_heads (no num_key_value_heads: multi-head attention)"
        facts.append(Fact("kvHeads", kv_heads or heads, source))
        kv_heads = kv_heads or heads
        head_dim, key = first(view, "head_dim")
        if head_dim is None and hidden:
            head_dim, key = hidden // heads, f"hidden_size {hidden} / num_attention_heads {heads}"
        if head_dim:
            facts.append(Fact("headDim", head_dim, prefix + key if key == "head_dim" else key))
    need("maxContextLength", "the maximum context", *CONTEXT_KEYS)
    precision, precision_source = native_precision(config, view)
    if layers and hidden and heads:
        facts.extend(_parameters(view, prefix, architecture, index, precision, precision_source, layers, hidden,
                                 heads, kv_heads or heads, head_dim or hidden // heads, missing, shown))
    facts.extend(_layout(view, prefix))
    if precision:
        facts.append(Fact("nativePrecision", precision, precision_source))
        facts.append(Fact("nativeWeightBits", BITS[precision], precision_source))
    quant = config.get("quantization_config") or view.get("quantization_config") or {}
    if quant.get("quant_method"):
        facts.append(Fact("quantization", str(quant["quant_method"]), "quantization_config.quant_method"))
    if missing:
        raise UserError(missing)
    return tuple(facts)


def _alternatives(prefix: str, keys) -> str:
    names = [prefix + k for k in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def native_precision(config: dict, view: dict) -> tuple[str | None, str]:
    """The checkpoint's precision: from quantization_config when quantized, else torch_dtype."""
    quant = config.get("quantization_config") or view.get("quantization_config") or {}
    method = str(quant.get("quant_method") or "").lower()
    if method:
        if method == "mxfp4":
            return "fp4", "quantization_config.quant_method mxfp4"
        if method in ("fp8", "fbgemm_fp8", "ptpc_fp8"):
            return "fp8", f"quantization_config.quant_method {method}"
        bits = quant.get("bits") or quant.get("w_bit")
        if bits in (4, 8):
            return f"int{bits}", f"quantization_config.quant_method {method}, bits {bits}"
        return None, ""
    dtype, key = first(config, "torch_dtype", "dtype")
    if dtype is None:
        dtype, key = first(view, "torch_dtype", "dtype")
    return (DTYPES.get(str(dtype)), key) if dtype else (None, "")


def _parameters(view, prefix, architecture, index, precision, precision_source, layers, hidden, heads, kv_heads,
                head_dim, missing, shown) -> list[Fact]:
    counted = hf_parameters.count(view, architecture or "", hidden, layers, heads, kv_heads, head_dim)
    total_size = ((index or {}).get("metadata") or {}).get("total_size")
    quantized = precision in ("fp8", "int8", "int4", "fp4") and bool(view.get("quantization_config"))
    out = []
    if total_size and precision and (counted is None or not quantized):
        # An unquantized checkpoint's size is exact; a quantized one mixes widths, so the count wins when known.
        value = round(total_size / BYTES[precision] / 1e9, 3)
        out.append(Fact("parametersB", value, f"{INDEX_FILE} metadata.total_size {total_size} bytes / "
                                              f"{BYTES[precision]} bytes per parameter ({precision_source})"))
    elif counted is not None:
        out.append(Fact("parametersB", round(counted.total / 1e9, 3), f"counted from config.json: {counted.how}"))
    else:
        known = ", ".join(sorted(hf_parameters.architectures()))
        missing.append(Diagnostic(shown, 1, "architectures", f"missing: the parameter count (parametersB): "
                                  f"'{architecture}' is not an architecture whose layout aimc knows ({known}); put "
                                  f"{INDEX_FILE} beside config.json (its metadata.total_size gives the checkpoint "
                                  "size) or write parametersB into the AIMModel by hand"))
        return out
    if counted is not None and counted.active != counted.total:
        out.append(Fact("activeParametersB", round(counted.active / 1e9, 3), "counted: the experts one token uses"))
    return out


def _layout(view: dict, prefix: str) -> list[Fact]:
    """MoE, sliding-window and chunked attention: shown for the reader; the fit counts every layer's KV cache at
    full length, an upper bound for models that use a window on some layers."""
    out = []
    experts, key = first(view, *hf_parameters.EXPERT_KEYS)
    if experts:
        out.append(Fact("experts", experts, prefix + key))
        per_token, key = first(view, *hf_parameters.EXPERTS_PER_TOKEN_KEYS)
        if per_token:
            out.append(Fact("expertsPerToken", per_token, prefix + key))
    window = view.get("sliding_window")
    if window and view.get("use_sliding_window", True) is not False:
        kinds = view.get("layer_types") or []
        on = sum(1 for kind in kinds if kind == "sliding_attention")
        where = f" (on {on} of {len(kinds)} layers, layer_types)" if kinds else ""
        out.append(Fact("slidingWindow", window, prefix + "sliding_window" + where))
    chunk = view.get("attention_chunk_size")
    if chunk:
        out.append(Fact("attentionChunkSize", chunk, prefix + "attention_chunk_size"))
    return out
