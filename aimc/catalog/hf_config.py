"""A Hugging Face checkpoint's `config.json` (and `model.safetensors.index.json` beside it) -> the model facts the
memory fit uses, each with the config key it came from (`aimc models import`).

Works offline on the files alone. Multimodal configs keep the language model under `text_config`; its keys are read
from there. What cannot be found is reported, one line per missing fact, naming the keys that were looked for.
"""

from __future__ import annotations

import re
from pathlib import Path

from aimc.catalog import hf_layout, hf_mlp, hf_parameters, hf_values
from aimc.catalog.hf_parameters import first
from aimc.errors import Diagnostic, UserError, comment_text
from aimc.load import limits
from aimc.records import Record

INDEX_FILE = "model.safetensors.index.json"
# torch_dtype (newer transformers write "dtype") -> aimc precision
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4, "fp4": 4}
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5}
MAX_CHECKPOINT_BYTES = 2**60  # an exbibyte: far above any checkpoint, far below a float's range
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length")


class Fact(Record):
    field: str  # the AIMModel spec field
    value: int | float | str | dict
    source: str  # the config key it came from, or how it was computed


class ImportedModel(Record):
    id: str
    id_source: str
    facts: tuple[Fact, ...]
    config_file: str  # as given on the command line
    key_lines: tuple[tuple[str, int], ...] = ()  # (config key, its line in config_file)

    def line_of(self, source: str) -> int:
        """The line of the config key a fact came from (its source starts with the key), else 1."""
        key = source.split(" ", 1)[0]
        return dict(self.key_lines).get(key, 1)

    def value(self, field: str):
        return next((f.value for f in self.facts if f.field == field), None)


def import_model(path: str, name: str | None = None) -> ImportedModel:
    """Read PATH (a checkpoint folder or a config.json) and return its facts, or raise UserError."""
    given = Path(path)
    config_path = given / "config.json" if given.is_dir() else given
    shown = str(config_path)
    if not config_path.is_file():
        raise UserError([Diagnostic(path, 0, "", "no config.json there: give a checkpoint folder or its config.json")])
    config, lines = _read_json(config_path, shown)
    index_path = config_path.parent / INDEX_FILE
    index = _read_index(index_path) if index_path.is_file() else None
    model_id, id_source = _model_id(config, config_path, name, shown)
    _check_id(model_id, id_source, shown)
    return ImportedModel(model_id, id_source, facts_of(config, index, shown), shown, tuple(sorted(lines.items())))


def _read_json(path: Path, shown: str) -> tuple[dict, dict[str, int]]:
    data, text = hf_values.parse(_read_bytes(path, shown), shown)
    return hf_values.checked(data, shown, text)


def _read_index(path: Path) -> dict:
    """The safetensors index, reduced to what aimc reads: {"metadata": {"total_size": bytes}} or {}."""
    shown = str(path)
    data, text = hf_values.parse(_read_bytes(path, shown), shown)
    metadata = data.get("metadata")
    size = metadata.get("total_size") if isinstance(metadata, dict) else None
    if size is None:
        return {}
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_CHECKPOINT_BYTES:
        line = text.count("\n", 0, max(text.find('"total_size"'), 0)) + 1
        raise UserError([Diagnostic(shown, line, "metadata.total_size", f"{hf_values.shown(size)} is not valid: "
                                    f"expected the checkpoint's size in bytes, a whole number from 1 to "
                                    f"{MAX_CHECKPOINT_BYTES:,}")])
    return {"metadata": {"total_size": size}}


def _read_bytes(path: Path, shown: str) -> bytes:
    # The bounded reader: a FIFO, a device or a file past the checkpoint limit is refused, never read whole.
    return limits.read_or_fail(path, "checkpoint", shown)


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


def _check_id(model_id: str, id_source: str, shown: str) -> None:
    """A model id is one line of printable Unicode: it becomes a label value, a header value, a recipe's model_id."""
    if not model_id.isprintable() or any(0xD800 <= ord(char) <= 0xDFFF for char in model_id):
        where = "--name" if id_source == "--name" else "model id"
        raise UserError([Diagnostic(shown, 0, where, f"'{comment_text(model_id)}' ({id_source}) is not a model id: it "
                                                     "holds a line break, a control character or bytes that are not "
                                                     "UTF-8; pass --name ORG/MODEL")])


def facts_of(config: dict, index: dict | None, shown: str) -> tuple[Fact, ...]:
    """Every fact of one config.json (pure: the index is the parsed model.safetensors.index.json, or None)."""
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else None
    view, prefix = (text, "text_config.") if text and "num_hidden_layers" not in config else (config, "")
    architecture = (config.get("architectures") or view.get("architectures") or [None])[0]
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
    if latent and not view.get("qk_rope_head_dim"):
        missing.append(Diagnostic(shown, 1, prefix + "qk_rope_head_dim", "missing: an MLA config (kv_lora_rank "
                                  f"{latent}) gives qk_rope_head_dim, the rotary part of the cached latent"))
    elif latent:
        if not view.get("qk_nope_head_dim"):
            missing.append(Diagnostic(shown, 1, prefix + "qk_nope_head_dim", "missing: an MLA config (kv_lora_rank "
                                      f"{latent}) gives qk_nope_head_dim, the per-head size the parameters count "
                                      "uses"))
        facts.append(Fact("kvLatentDim", latent + view["qk_rope_head_dim"],
                          f"{prefix}kv_lora_rank {latent} + {prefix}qk_rope_head_dim {view['qk_rope_head_dim']} (MLA)"))
    elif heads:
        kv_heads, key = first(view, "num_key_value_heads", "num_kv_heads")
        source = prefix + key if key else f"{prefix}num_attention_heads (no num_key_value_heads: multi-head attention)"
        facts.append(Fact("kvHeads", kv_heads or heads, source))
        kv_heads = kv_heads or heads
        head_dim, key = first(view, "head_dim")
        if head_dim is None and hidden and hidden < heads:
            missing.append(Diagnostic(shown, 1, prefix + "head_dim", f"missing: hidden_size {hidden} is smaller than "
                                      f"num_attention_heads {heads}, so the head size is not hidden_size / heads: the "
                                      "config must give head_dim"))
        elif head_dim is None and hidden:
            head_dim, key = hidden // heads, f"hidden_size {hidden} / num_attention_heads {heads}"
        if head_dim:
            facts.append(Fact("headDim", head_dim, prefix + key if key == "head_dim" else key))
    need("maxContextLength", "the maximum context", *CONTEXT_KEYS)
    precision, precision_source = native_precision(config, view)
    if layers and hidden and heads:
        facts.extend(_parameters(view, prefix, architecture, index, precision, precision_source, layers, hidden,
                                 heads, kv_heads or heads, head_dim or hidden // heads, missing, shown))
    facts.extend(_layout(view, prefix, layers, missing, shown))
    if precision:
        facts.append(Fact("nativePrecision", precision, precision_source))
        facts.append(Fact("nativeWeightBits", BITS[precision], precision_source))
    quant = config.get("quantization_config") or view.get("quantization_config") or {}
    if quant.get("quant_method"):
        facts.append(Fact("quantization", str(quant["quant_method"]), "quantization_config.quant_method"))
    if precision in ("fp8", "fp4", "int8", "int4") and layers and hidden and heads:
        facts.extend(Fact(*fact) for fact in hf_layout.quantized_layout(
            view, quant, precision, layers, hidden, heads, kv_heads or heads, head_dim or hidden // heads))
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
        value = _billions(total_size / BYTES[precision])
        out.append(Fact("parametersB", value, f"{INDEX_FILE} metadata.total_size {total_size} bytes / "
                                              f"{BYTES[precision]} bytes per parameter ({precision_source})"))
    elif counted is not None:
        out.append(Fact("parametersB", _billions(counted.total), f"counted from config.json: {counted.how}"))
    else:
        known = ", ".join(sorted(hf_parameters.architectures()))
        why = (f"the {architecture} layout needs keys this config lacks (vocab_size, intermediate_size, the "
               "experts) or has dense layers beyond num_hidden_layers" if architecture in hf_parameters.architectures()
               else f"'{architecture}' is not an architecture whose layout aimc knows ({known})")
        missing.append(Diagnostic(shown, 1, "architectures", f"missing: the parameter count (parametersB): {why}; "
                                  f"put {INDEX_FILE} beside config.json (its metadata.total_size gives the checkpoint "
                                  "size) or write parametersB into the AIMModel by hand"))
        return out
    if counted is not None and counted.active != counted.total:
        out.append(Fact("activeParametersB", _billions(counted.active),
                        "counted: the experts one token uses, without the input embedding (a lookup)"))
    return out


def _billions(count: float) -> float:
    """Parameters in billions, to 3 decimals; a model under a million parameters keeps 3 significant digits (0 is
    not a parameter count)."""
    return round(count / 1e9, 3) or float(f"{count / 1e9:.3g}")


def _layout(view: dict, prefix: str, layers: int | None, missing: list, shown: str) -> list[Fact]:
    """MoE, and the layers that keep only a window (sliding or chunked attention) in the KV cache: always with their
    number of layers, which the fit needs (a window without it would count every layer at full length)."""
    out = []
    experts, key = first(view, *hf_parameters.EXPERT_KEYS)
    if experts:
        out.append(Fact("experts", experts, prefix + key))
        per_token, key = first(view, *hf_parameters.EXPERTS_PER_TOKEN_KEYS)
        if per_token:
            out.append(Fact("expertsPerToken", per_token, prefix + key))
    out += [Fact(*fact) for fact in hf_mlp.mlp_facts(view, prefix, layers)]
    if layers:
        out += [Fact(*fact) for fact in hf_layout.sliding_window(view, prefix, layers, missing, shown)]
        out += [Fact(*fact) for fact in hf_layout.chunked_attention(view, prefix, layers)]
    return out
