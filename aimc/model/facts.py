"""Frozen records (aimc/records.py) of what aimc knows about models: one model's architecture (`ModelFacts`) and
the facts of one build (`ModelCatalog`: the built-in ones of catalog/model_facts.py, overridden by the repository's
AIMModel documents, which validate/models.py reads)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from aimc.records import Record, compared_on, field, force_setattr

_EMPTY: Mapping = MappingProxyType({})


class QuantizedLayout(Record):
    """How the model's checkpoint of `precision` stores its weights (catalog/weight_bytes.py): `kept_parameters_b`
    stay at 16 bits (embedding, head, routers, ...), the rest is quantized, with scales beside it."""

    precision: str
    kept_parameters_b: float
    kept_dtype: str = "bf16"
    kept_bytes_per_parameter: float = 2
    scale_bytes_per_weight: float = 0.0  # per quantized weight: FP8 128x128 blocks 4/16384, MXFP4 1/32
    source: str = ""


class ModelFacts(Record):
    id: str
    aliases: tuple[str, ...]
    parameters_b: float
    layers: int
    attention_heads: int
    kv_heads: int | None  # None for MLA models
    head_dim: int | None
    kv_latent_dim: int | None  # MLA: cached latent values per token and layer, not split by tensor parallelism
    max_context: int  # max_position_embeddings: the engines' maximum length when no flag sets one
    source: str  # "built-in" or "file:line" of the AIMModel document
    # Layers that keep only a window of the sequence in the KV cache (0 layers: none).
    sliding_window: int | None = None
    sliding_window_layers: int = 0
    attention_chunk_size: int | None = None
    chunked_attention_layers: int = 0
    architecture: str | None = None  # config.json's architectures[0]: parsers of generated recipes
    native_precision: str | None = None  # of the original checkpoint: what generation loads without quantizing
    gated: bool = False  # the publisher's Hugging Face repositories need a token of an account that accepted a licence
    quantized_layout: QuantizedLayout | None = None  # the quantized checkpoint's tensor groups, where known
    # Parameters each token runs through (MoE: the routed experts it picks plus the shared part); None: all of them.
    active_parameters_b: float | None = None
    hidden_size: int | None = None  # config.json's hidden_size: the width tensor parallelism all-reduces per token
    intermediate_size: int | None = None  # intermediate_size of a dense gated MLP (LoRA slots); None: not known
    # Mixture of experts (LoRA slots of the experts): each routed or shared expert is a gated MLP of
    # moe_intermediate_size; dense_layers keep a dense MLP of intermediate_size instead. 0 experts: a dense model.
    moe_intermediate_size: int | None = None
    routed_experts: int = 0
    shared_experts: int = 0
    dense_layers: int = 0

    @property
    def active_b(self) -> float:
        return self.active_parameters_b or self.parameters_b

    def is_gated_repository(self, repository: str) -> bool:
        """Whether downloading `repository` (this model's id or an alias) needs a token: the gate is the publisher's,
        so it covers the repositories of the id's organisation (a renamed one included), not a third party's
        re-publication (amd/...-FP8-KV)."""
        return self.gated and repository.split("/")[0].lower() == self.id.split("/")[0].lower()

    def kv_bytes_per_token(self, kv_bytes: float = 2) -> float:
        """KV cache of one token over all layers: K and V per KV head, or the MLA latent."""
        return self.layers * self.kv_bytes_per_token_and_layer(kv_bytes)

    def kv_bytes_per_token_and_layer(self, kv_bytes: float = 2) -> float:
        if self.kv_latent_dim:
            return self.kv_latent_dim * kv_bytes
        assert self.kv_heads is not None and self.head_dim is not None  # read so: without a latent, both are given
        return 2 * self.kv_heads * self.head_dim * kv_bytes

    def kv_split(self, tp: int) -> int:
        """How many ways tensor parallelism splits the KV cache: by KV head, at most one per rank; an MLA latent is
        not split."""
        if self.kv_latent_dim:
            return 1
        assert self.kv_heads is not None  # read so: without a latent, the KV heads are given
        return min(tp, self.kv_heads)

    @property
    def moe_layers(self) -> int:
        """Layers whose MLP is a mixture of experts (none in a dense model)."""
        return self.layers - self.dense_layers if self.routed_experts else 0

    @property
    def full_attention_layers(self) -> int:
        return self.layers - self.sliding_window_layers - self.chunked_attention_layers


class ModelCatalog(Record):
    models: tuple[ModelFacts, ...]
    # Lower-case id or alias -> facts, derived from `models` (below), so equality ignores it; read-only, like the
    # record holding it.
    _index: Mapping[str, ModelFacts] = field(default_factory=lambda: _EMPTY)

    __eq__, __ne__, __hash__ = compared_on("models")

    def __post_init__(self) -> None:
        # A fresh index for every record, `replace` included (which would otherwise keep the original's).
        index = {}
        for facts in self.models:  # later entries (repository AIMModel documents) win
            for name in (facts.id, *facts.aliases):
                index[name.lower()] = facts
        force_setattr(self, "_index", MappingProxyType(index))

    def lookup(self, *ids: str) -> ModelFacts | None:
        """Facts of the first id known (case-insensitive, aliases included)."""
        index = self._index
        for model_id in ids:
            if model_id:
                found = index.get(model_id.lower())
                if found is not None:
                    return found
        return None
