"""The values of a Hugging Face `config.json` that aimc reads, checked before any arithmetic touches them.

A config.json is whatever a file says: `"hidden_size": "4096"`, `"architectures": {"a": 1}`, a count of 5,000
digits, `NaN`, `-3`, a `quantization_config` that is a string. `checked` keeps the keys aimc reads (other keys are
not aimc's business and are left alone), each of the type the code after it relies on, and reports every other value
as an error at its `file:line` naming the key and what was expected. A key set to null counts as absent, as in
transformers.
"""

from __future__ import annotations

import json
import re

from aimc.errors import Diagnostic, UserError, quote

# The largest count aimc accepts: Kubernetes and the engines take int32 arguments (--max-model-len), and no layer,
# head, vocabulary or context of a real model comes near it (Llama 4 Scout: a context of 10,485,760 tokens).
MAX_COUNT = 2**31 - 1
# Keys holding a count: a whole number from 0 to MAX_COUNT (0 for a fact aimc needs is refused with the AIMModel's
# schema, naming the key; an optional one that is 0 is unused, as transformers reads it).
COUNT_KEYS = frozenset((
    "num_hidden_layers", "n_layer", "num_layers", "hidden_size", "n_embd", "d_model", "num_attention_heads",
    "n_head", "num_key_value_heads", "num_kv_heads", "head_dim", "max_position_embeddings", "n_positions",
    "max_seq_len", "seq_length", "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim",
    "q_lora_rank", "vocab_size", "intermediate_size", "moe_intermediate_size", "num_local_experts", "num_experts",
    "n_routed_experts", "num_experts_per_tok", "experts_per_token", "moe_topk", "n_shared_experts",
    "first_k_dense_replace", "sliding_window", "attention_chunk_size", "bits", "w_bit",
    "sliding_window_pattern", "no_rope_layer_interval", "moe_layer_freq", "interleave_moe_layer_step",
    "decoder_sparse_step", "intermediate_size_mlp",
))
FLAG_KEYS = frozenset(("tie_word_embeddings", "use_sliding_window"))
TEXT_KEYS = frozenset(("torch_dtype", "dtype", "_name_or_path", "quant_method", "model_type"))
TEXT_LIST_KEYS = frozenset(("architectures", "layer_types", "modules_to_not_convert"))
COUNT_LIST_KEYS = frozenset(("mlp_only_layers", "no_rope_layers", "weight_block_size", "moe_layers"))
NESTED_KEYS = frozenset(("text_config", "quantization_config"))
# Python's parser recurses once per level and stops at its recursion limit (about 1,000): the message says where a
# nesting too deep for it starts (real config.json files nest 3 levels).
MAX_DEPTH = 100


def parse(raw: bytes, shown: str) -> tuple[dict, str]:
    """(the JSON object, its text) of a config.json (or index) file, or UserError at the line where it stops being
    one."""
    from aimc.load.encodings import other_unicode

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        other = other_unicode(raw)
        line = 1 if other else raw[:exc.start].count(b"\n") + 1
        why = f"it is {other}: save it as UTF-8 (JSON is UTF-8)" if other else f"not UTF-8 text ({exc.reason})"
        raise UserError([Diagnostic(shown, line, "", f"cannot read it as JSON: {why}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError([Diagnostic(shown, exc.lineno, "", f"cannot read it as JSON: {exc.msg}")]) from None
    except RecursionError:
        why = f"nested too deeply (more than {MAX_DEPTH} levels here): not a config.json"
        raise UserError([Diagnostic(shown, _deep_line(text), "", why)]) from None
    except ValueError as exc:  # Python refuses to convert an integer of more than 4,300 digits
        long_number = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else 1
        raise UserError([Diagnostic(shown, line, "", "cannot read it as JSON: a number of more than 4,300 digits "
                                                     f"({exc})")]) from None
    if not isinstance(data, dict):
        raise UserError([Diagnostic(shown, 1, "", "expected a JSON object")])
    return data, text


def checked(config: dict, shown: str, text: str = "") -> tuple[dict, dict[str, int]]:
    """(the keys aimc reads, each of the expected type; the line of each, by dotted key); UserError listing every
    other value."""
    problems: list[Diagnostic] = []
    lines: dict[str, int] = {}
    out = _checked(config, "", shown, text, 0, problems, lines)
    if problems:
        raise UserError(problems)
    return out, lines


def _checked(data: dict, prefix: str, file: str, text: str, start: int, problems: list, lines: dict) -> dict:
    out: dict = {}
    for key, value in data.items():
        if value is None or not isinstance(key, str):
            continue
        problem, kept = _value_problem(key, value)
        if problem is None and key in NESTED_KEYS:
            kept = _checked(value, f"{prefix}{key}.", file, text, _position(text, key, start), problems, lines)
        if problem:
            problems.append(Diagnostic(file, _line(text, key, start), prefix + key,
                                       f"{shown(value)} is not valid: {problem}"))
        elif kept is not None:
            out[key] = kept
            lines[prefix + key] = _line(text, key, start)
    return out


def _value_problem(key: str, value) -> tuple[str | None, object]:
    """(what is wrong, None) or (None, the value to keep)."""
    if key in COUNT_KEYS:
        if not _is_whole(value) or not 0 <= value <= MAX_COUNT:
            return f"expected a whole number from 0 to {MAX_COUNT:,}", None
        return None, value
    if key in FLAG_KEYS:
        return (None, value) if isinstance(value, bool) else ("expected true or false", None)
    if key in TEXT_KEYS:
        return (None, value) if isinstance(value, str) else ("expected a string", None)
    if key in TEXT_LIST_KEYS:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return None, value
        return "expected a list of strings", None
    if key in COUNT_LIST_KEYS:
        if isinstance(value, list) and all(_is_whole(item) for item in value):
            return None, value
        return "expected a list of whole numbers", None
    if key in NESTED_KEYS:
        return (None, value) if isinstance(value, dict) else ("expected a JSON object", None)
    return None, None  # not a key aimc reads


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value) -> str:
    """A value as a message quotes it: cut when long, a huge number by its digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**20:
        return f"a number of {len(str(abs(value))):,} digits"
    return quote(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)


def _position(text: str, key: str, start: int) -> int:
    found = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, start)
    return found.start() if found else start


def _line(text: str, key: str, start: int) -> int:
    """The line of `"key":` at or after `start` (the first occurrence: good enough for a message), else 1."""
    return text.count("\n", 0, _position(text, key, start)) + 1 if text else 1


def _deep_line(text: str) -> int:
    """The line where the nesting passes MAX_DEPTH (brackets inside strings do not count)."""
    depth, in_string, escaped, line = 0, False, False, 1
    for char in text:
        if char == "\n":
            line += 1
        elif in_string:
            escaped, in_string = (not escaped and char == "\\"), in_string and (escaped or char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
    return 1
