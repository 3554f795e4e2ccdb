"""The KV cache of one sequence on one GPU, shared by both engines' fit arithmetic.

Per GPU, for tensor parallelism T and pipeline parallelism P:
- each layer holds 2 × KV heads × head dim × bytes per token (MLA: the latent, kvLatentDim × bytes), its KV heads
  split S = min(T, KV heads) ways (the engines replicate KV heads beyond that; the MLA latent is not split, S = 1);
- a pipeline stage holds layers / P of them;
- full-attention layers keep every token of the sequence; sliding-window layers keep the last window − 1 tokens plus
  one scheduled batch, chunked-attention layers one chunk plus one batch (vLLM's `SlidingWindowSpec` /
  `ChunkedLocalAttentionSpec.max_memory_usage_bytes`), never more than the sequence.
"""

from __future__ import annotations

from aimc.catalog.model_facts import ModelFacts
from aimc.records import Record

GIB = 2 ** 30
ONE_BYTE_KV = ("fp8", "fp8_e4m3", "fp8_e5m2", "int8", "fp8_inc")


class SequenceKV(Record):
    gib: float  # per GPU
    split: int
    windowed: str  # "" when every layer keeps the whole sequence


def kv_bytes(kv_dtype: str | None) -> int:
    return 1 if (kv_dtype or "").lower() in ONE_BYTE_KV else 2


def sequence_kv(model: ModelFacts, max_len: int, kv_dtype: str | None, tp: int, pp: int,
                batched_tokens: int) -> SequenceKV:
    split = model.kv_split(tp)
    per_layer = model.kv_bytes_per_token_and_layer(kv_bytes(kv_dtype)) / split
    tokens = model.full_attention_layers * max_len
    notes = []
    if model.sliding_window_layers:
        assert model.sliding_window is not None  # the facts give the window with its layers
        kept = min(model.sliding_window - 1 + batched_tokens, max_len)
        tokens += model.sliding_window_layers * kept
        notes.append(f"{model.sliding_window_layers} of {model.layers} layers keep {kept} tokens "
                     f"({model.sliding_window}-token window)")
    if model.chunked_attention_layers:
        assert model.attention_chunk_size is not None  # the facts give the chunk size with its layers
        kept = min(model.attention_chunk_size + batched_tokens, max_len)
        tokens += model.chunked_attention_layers * kept
        notes.append(f"{model.chunked_attention_layers} of {model.layers} layers keep {kept} tokens "
                     f"({model.attention_chunk_size}-token chunks)")
    return SequenceKV(tokens * per_layer / pp / GIB, split, ", ".join(notes))
