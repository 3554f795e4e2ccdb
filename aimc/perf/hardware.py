"""Per-GPU peaks the performance model starts from, read from the hardware catalog's `performance` blocks
(aimc/catalog/hardware.yaml, which cites SemiAnalysisAI/InferenceX-app packages/app/src/lib/gpu-specs.ts)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from aimc.catalog.files import read_yaml
from aimc.records import Record

# Weight precision -> the tensor-core dtype its matrix products run in, best first. FP8 runs FP8 products (vLLM's
# and SGLang's FP8 linear methods quantize activations per token); MXFP4 runs FP4 products where the GPU has them
# (CDNA4), else it is dequantized to 16 bits. int8/int4 checkpoints are taken as weight-only (W8A16/W4A16): their
# products run in 16 bits. A dtype absent from the GPU's peaks falls to the next.
COMPUTE_DTYPES = {"fp4": ("fp4", "bf16"), "fp8": ("fp8", "bf16"), "int8": ("bf16",), "int4": ("bf16",),
                  "bf16": ("bf16",), "fp16": ("fp16", "bf16"), "fp32": ("bf16",)}


class Peaks(Record):
    gpu: str
    hbm_tb_s: float  # HBM bandwidth, TB/s
    dense_tflops: tuple[tuple[str, float], ...]  # (dtype, dense TFLOP/s)
    scale_up_gb_s: float  # Infinity Fabric bandwidth to the node's other GPUs, GB/s one way

    def compute_dtype(self, precision: str) -> str:
        have = dict(self.dense_tflops)
        return next((d for d in COMPUTE_DTYPES.get(precision, ("bf16",)) if d in have), "bf16")

    def flops(self, precision: str) -> float:
        """Dense FLOP/s of the products a checkpoint of `precision` runs."""
        return dict(self.dense_tflops)[self.compute_dtype(precision)] * 1e12

    @property
    def hbm_bytes_s(self) -> float:
        return self.hbm_tb_s * 1e12


@cache
def all_peaks() -> Mapping[str, Peaks]:
    """GPU name (upper case) -> peaks, for the GPUs whose catalog entry has a `performance` block."""
    out = {}
    for entry in read_yaml("hardware.yaml")["gpus"]:
        perf = entry.get("performance")
        if perf:
            out[entry["name"].upper()] = Peaks(entry["name"], float(perf["hbmTBs"]),
                                               tuple(sorted((k, float(v)) for k, v in perf["denseTflops"].items())),
                                               float(perf["scaleUpGBs"]))
    return MappingProxyType(out)


def peaks(gpu: str) -> Peaks | None:
    return all_peaks().get(gpu.upper())
