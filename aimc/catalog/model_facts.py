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
from aimc.model.facts import ModelCatalog, ModelFacts, QuantizedLayout
from aimc.records import Record

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
    return tuple(from_spec(entry, "built-in") for entry in read_yaml("models.yaml")["models"])


@cache
def builtin_catalog() -> ModelCatalog:
    """The facts shipped with aimc, without a repository's AIMModel documents (validate/models.py adds those)."""
    return ModelCatalog(builtin_models())


def from_spec(entry: dict, source: str) -> ModelFacts:
    """Facts from an AIMModel spec or a models.yaml entry (a mapping with its field names)."""
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
        gated=bool(entry.get("gated", False)),
        quantized_layout=_layout(entry.get("quantizedLayout")),
        active_parameters_b=float(entry["activeParametersB"]) if entry.get("activeParametersB") else None,
        hidden_size=int(entry["hiddenSize"]) if entry.get("hiddenSize") else None,
        intermediate_size=int(entry["intermediateSize"]) if entry.get("intermediateSize") else None,
        moe_intermediate_size=int(entry["moeIntermediateSize"]) if entry.get("moeIntermediateSize") else None,
        routed_experts=int(entry.get("experts", 0)),
        shared_experts=int(entry.get("sharedExperts", 0)),
        dense_layers=int(entry.get("denseLayers", 0)),
    )


def _layout(raw: dict | None) -> QuantizedLayout | None:
    if not raw:
        return None
    return QuantizedLayout(raw["precision"], float(raw["keptParametersB"]), raw.get("keptDtype", "bf16"),
                           float(raw.get("keptBytesPerParameter", 2)), float(raw.get("scaleBytesPerWeight", 0)),
                           raw.get("source", ""))

