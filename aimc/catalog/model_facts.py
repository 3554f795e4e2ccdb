"""Built-in facts: GPUs (aimc/catalog/hardware.yaml) and models (aimc/catalog/models.yaml), plus the `AIMModel`
documents a repository adds. The data files are read (by `catalog.files`, the one loader) once per process.

Model aliases exist for looking facts up (a pre-quantized checkpoint has the architecture of its original); they never
make a recipe for one model serve another.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from aimc.catalog.files import read_yaml
from aimc.errors import Collector
from aimc.records import Record, compared_on, field, force_setattr

# Bytes per parameter of stored weights, by precision. One table for every use: the memory fit (weights in GPU
# memory, resolve/fit.py) and sizing (weights to download and cache, render/sizing.py) count the same bytes. fp32
# occurs only in official AIM profiles (their schema allows it). A precision missing here counts as 16-bit.
BYTES_PER_PARAMETER = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5}


# nativeWeightBits -> the precision a checkpoint of that width is taken to be (16-bit: either; bf16 is the usual one).
NATIVE_PRECISION_OF_BITS = {32: "fp32", 16: "bf16", 8: "fp8", 4: "fp4"}


def bytes_per_parameter(precision: str) -> float:
    return BYTES_PER_PARAMETER.get(precision, 2)


# Compute partition modes of AMD Instinct GPUs -> logical GPUs per device (each gets 1/n of the device's memory).
COMPUTE_PARTITIONS = {"SPX": 1, "DPX": 2, "QPX": 4, "CPX": 8}


class GPU(Record):
    name: str
    memory_gib: float  # per amd.com/gpu unpartitioned (one GCD on MI250/MI250X)
    arch: str
    product_name: str | None = None  # node label amd.com/gpu.product-name, where known
    partitions: tuple[str, ...] = ()  # compute partition modes the device supports
    shared_memory: bool = False  # memory shared with the CPU (MI300A): the GPU gets less than memory_gib


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
    def full_attention_layers(self) -> int:
        return self.layers - self.sliding_window_layers - self.chunked_attention_layers


class ModelCatalog(Record):
    models: tuple[ModelFacts, ...]
    _index: dict = field(default_factory=dict)  # derived from `models` (below), so equality ignores it

    __eq__, __ne__, __hash__ = compared_on("models")

    def __post_init__(self):
        # A fresh index for every record, `replace` included (which would otherwise share the original's dict).
        index = {}
        for facts in self.models:  # later entries (repository AIMModel documents) win
            for name in (facts.id, *facts.aliases):
                index[name.lower()] = facts
        force_setattr(self, "_index", index)

    def lookup(self, *ids: str) -> ModelFacts | None:
        """Facts of the first id known (case-insensitive, aliases included)."""
        for model_id in ids:
            if model_id and model_id.lower() in self._index:
                return self._index[model_id.lower()]
        return None


# -- hardware -----------------------------------------------------------------------------------------------

@cache
def hardware() -> Mapping[str, GPU]:
    """GPU name (upper case) -> facts; read-only, as every caller shares it."""
    data = read_yaml("hardware.yaml")
    return MappingProxyType({entry["name"].upper(): GPU(entry["name"], float(entry["memoryGiB"]), entry["arch"],
                                                        entry.get("productName"),
                                                        tuple(entry.get("partitions") or ()),
                                                        bool(entry.get("sharedMemory", False)))
                             for entry in data["gpus"]})


def gpu(name: str) -> GPU | None:
    return hardware().get(name.upper())


# -- models -------------------------------------------------------------------------------------------------

@cache
def builtin_models() -> tuple[ModelFacts, ...]:
    return tuple(_facts(entry, "built-in") for entry in read_yaml("models.yaml")["models"])


def model_catalog(documents=(), collector: Collector | None = None) -> ModelCatalog:
    """The built-in facts overridden by the repository's `AIMModel` documents (schema-valid Documents)."""
    local: list[ModelFacts] = []
    seen: dict[str, str] = {}
    for doc in documents:
        spec = doc.data["spec"]
        origin = f"{doc.file}:{doc.line}"
        key = spec["id"].lower()
        if key in seen and collector is not None:
            collector.error(doc.file, doc.line, "spec.id", f"model '{spec['id']}' is also described at {seen[key]}")
            continue
        seen[key] = origin
        if "headDim" not in spec and "hiddenSize" not in spec and "kvLatentDim" not in spec:
            if collector is not None:
                collector.error(doc.file, doc.line, "spec", "give headDim (or hiddenSize, from which headDim = "
                                                            "hiddenSize / attentionHeads) or kvLatentDim")
            continue
        local_layers = spec.get("slidingWindowLayers", 0) + spec.get("chunkedAttentionLayers", 0)
        if local_layers > spec["layers"]:
            if collector is not None:
                collector.error(doc.file, doc.line, "spec", f"slidingWindowLayers + chunkedAttentionLayers is "
                                                            f"{local_layers}, more than the {spec['layers']} layers")
            continue
        local.append(_facts(spec, origin))
    return ModelCatalog(builtin_models() + tuple(local))


def from_spec(spec: dict, source: str) -> ModelFacts:
    """Facts from an AIMModel spec (a mapping with its field names), e.g. one `aimc models import` just read."""
    return _facts(spec, source)


def _facts(entry: dict, source: str) -> ModelFacts:
    latent = entry.get("kvLatentDim")
    heads = int(entry["attentionHeads"])
    head_dim = entry.get("headDim")
    if head_dim is None and entry.get("hiddenSize"):
        head_dim = int(entry["hiddenSize"]) // heads
    return ModelFacts(
        id=entry["id"],
        aliases=tuple(entry.get("aliases") or ()),
        parameters_b=float(entry["parametersB"]),
        layers=int(entry["layers"]),
        attention_heads=heads,
        kv_heads=None if latent else int(entry.get("kvHeads", heads)),
        head_dim=None if latent else head_dim,
        kv_latent_dim=int(latent) if latent else None,
        max_context=int(entry["maxContextLength"]),
        source=source,
        sliding_window=entry.get("slidingWindow"),
        sliding_window_layers=int(entry.get("slidingWindowLayers", 0)),
        attention_chunk_size=entry.get("attentionChunkSize"),
        chunked_attention_layers=int(entry.get("chunkedAttentionLayers", 0)),
        architecture=entry.get("architecture"),
        native_precision=entry.get("nativePrecision") or NATIVE_PRECISION_OF_BITS.get(entry.get("nativeWeightBits", 0)),
    )

