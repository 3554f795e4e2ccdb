"""Parameter count of a Hugging Face model from its config.json, for architectures whose layout aimc knows
(`architectures.yaml`): embeddings, attention (grouped-query or MLA), and the feed-forward block (dense gated MLP or
routed experts). Norms and biases are left out (well under 0.1 % of any model here).

Checked against the published totals: Qwen3-32B 32.8B, Qwen3-30B-A3B 30.5B, gpt-oss-120b 117B, DeepSeek-V3/R1 671B
(the multi-token-prediction layer of the checkpoint is not served and not counted), Mistral-7B 7.25B.

Active parameters are the ones a token computes with: attention, the experts it is routed to, the output head — not
the input embedding, a table lookup. That is OpenAI's count for gpt-oss-120b (5.13B active; the model card's
arithmetic leaves the embedding out, ours: 5.13B); Qwen (3.3B for Qwen3-30B-A3B, ours 3.04B) and DeepSeek (36.7B for
V3 "including 0.9B for Embedding", README_WEIGHTS.md; ours 36.6B) count the embedding in.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeGuard

from aimc.catalog.files import read_yaml
from aimc.records import Record, frozen


class Count(Record):
    total: int
    active: int  # per token: the routed experts a token uses, not all of them, and not the input embedding
    how: str  # the arithmetic, for the comment of parametersB


@cache
def architectures() -> Mapping[str, Mapping[str, Any]]:
    """Architecture name -> its entry of architectures.yaml; read-only, as every caller shares it."""
    return frozen({entry["name"]: entry for entry in read_yaml("architectures.yaml")["architectures"]})


def first(config: dict, *keys: str):
    """(value, key) of the first key present with a value, else (None, None)."""
    for key in keys:
        if config.get(key) is not None:
            return config[key], key
    return None, None


EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts")
EXPERTS_PER_TOKEN_KEYS = ("num_experts_per_tok", "experts_per_token", "moe_topk")


def _is_count(value) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def count(config: dict, architecture: str, hidden: int, layers: int, heads: int, kv_heads: int,
          head_dim: int) -> Count | None:
    """None when the architecture's layout is unknown or a key it needs is missing or not a count."""
    entry = architectures().get(architecture)
    vocab = config.get("vocab_size")
    # Counts only: `"32" * n` is a string of n copies (a "32" in config.json used to build one of 445 MB).
    if entry is None or not _is_count(vocab) or not all(_is_count(v) for v in (hidden, layers, heads)):
        return None
    if not all(v is None or _is_count(v) for v in (kv_heads, head_dim, config.get("intermediate_size"))):
        return None
    if config.get("kv_lora_rank") and not (config.get("qk_rope_head_dim") and config.get("qk_nope_head_dim")):
        return None  # an MLA config without its head sizes: reported as missing by the caller
    tied = bool(config.get("tie_word_embeddings", False))
    embeddings = vocab * hidden * (1 if tied else 2)
    attention, attention_how = _attention(config, hidden, heads, kv_heads, head_dim)
    intermediate = config.get("intermediate_size")
    if entry["mlp"] == "gated":
        if not intermediate:
            return None
        mlp = 3 * hidden * intermediate
        total = embeddings + layers * (attention + mlp)
        how = (f"embeddings {vocab} x {hidden} x {1 if tied else 2} + {layers} layers x ({attention_how} + "
               f"MLP 3 x {hidden} x {intermediate})")
        return Count(total, total, how)
    experts, _ = first(config, *EXPERT_KEYS)
    per_token, _ = first(config, *EXPERTS_PER_TOKEN_KEYS)
    expert_size, _ = first(config, "moe_intermediate_size", "intermediate_size")
    if not all(_is_count(v) for v in (experts, per_token, expert_size)):
        return None
    shared = int(config.get("n_shared_experts") or 0)
    dense_layers = int(config.get("first_k_dense_replace") or 0) + len(config.get("mlp_only_layers") or ())
    expert = 3 * hidden * expert_size
    router = hidden * experts
    moe_total = experts * expert + shared * expert + router
    moe_active = per_token * expert + shared * expert + router
    dense = 3 * hidden * (intermediate or 0)
    moe_layers = layers - dense_layers
    if moe_layers < 0:  # more dense layers than layers: the config contradicts itself
        return None
    total = embeddings + layers * attention + moe_layers * moe_total + dense_layers * dense
    lookup = 0 if tied else vocab * hidden  # the input embedding: gathered, not multiplied
    active = embeddings - lookup + layers * attention + moe_layers * moe_active + dense_layers * dense
    how = (f"embeddings {vocab} x {hidden} x {1 if tied else 2} + {layers} layers x {attention_how} + "
           f"{moe_layers} MoE layers x ({experts}{f' + {shared} shared' if shared else ''} experts x 3 x {hidden} x "
           f"{expert_size} + router)")
    if dense_layers:
        how += f" + {dense_layers} dense layers x MLP 3 x {hidden} x {intermediate}"
    return Count(total, active, how)


def tensor_groups(config: dict, hidden: int, layers: int, heads: int, kv_heads: int, head_dim: int) -> dict[str, int]:
    """Parameters of the tensor groups a quantized checkpoint may keep at 16 bits, by the module names of
    `quantization_config.modules_to_not_convert` (Hugging Face's `model.embed_tokens`, `lm_head`,
    `model.layers.*.self_attn`, `model.layers.*.mlp.router` / `.mlp.gate`)."""
    vocab = int(config.get("vocab_size") or 0)
    experts, _ = first(config, *EXPERT_KEYS)
    dense_layers = int(config.get("first_k_dense_replace") or 0) + len(config.get("mlp_only_layers") or ())
    router = (layers - dense_layers) * hidden * int(experts) if experts else 0
    return {"embed_tokens": vocab * hidden,
            "lm_head": 0 if config.get("tie_word_embeddings") else vocab * hidden,
            "self_attn": layers * _attention(config, hidden, heads, kv_heads, head_dim)[0],
            "router": router}


def _attention(config: dict, hidden: int, heads: int, kv_heads: int, head_dim: int) -> tuple[int, str]:
    latent = config.get("kv_lora_rank")
    if latent:  # MLA: queries and keys/values go through low-rank projections
        rope, nope = config["qk_rope_head_dim"], config["qk_nope_head_dim"]
        value = config.get("v_head_dim") or nope
        q_rank = config.get("q_lora_rank")
        q = hidden * q_rank + q_rank * heads * (nope + rope) if q_rank else hidden * heads * (nope + rope)
        kv = hidden * (latent + rope) + latent * heads * (nope + value)
        return q + kv + heads * value * hidden, f"MLA attention (kv_lora_rank {latent}, {heads} heads)"
    q_and_o = 2 * hidden * heads * head_dim
    kv = 2 * hidden * kv_heads * head_dim
    return q_and_o + kv, f"attention {hidden} x ({heads} + {kv_heads} x 2 + {heads}) x {head_dim}"


def parsers(architecture: str | None, engine: str) -> dict[str, str]:
    """{"tool": ..., "reasoning": ...} for an architecture and engine; empty when unknown."""
    entry = architectures().get(architecture or "")
    return dict(((entry or {}).get("parsers") or {}).get(engine) or {})
