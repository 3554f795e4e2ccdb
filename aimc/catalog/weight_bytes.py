"""The bytes of a model's weights, per tensor group: a quantized checkpoint is not all of one width.

FP8 and MXFP4 checkpoints keep some tensors at 16 bits and store scales beside the quantized ones. DeepSeek-V3/R1
(FP8): the embedding, the output head and the MoE routers are bf16, every other linear weight is FP8 with one float32
`weight_scale_inv` per 128 × 128 block (DeepSeek-V3 README_WEIGHTS.md; inference/model.py builds the embedding, the
head and the gate in the default bf16). gpt-oss (MXFP4): `quantization_config.modules_to_not_convert` names attention,
routers, embedding and head (bf16); the experts are 4-bit with one 8-bit scale per 32 weights (the MX format). A model's
`quantizedLayout` records this for the checkpoint of one precision; other precisions count parameters × bytes.
"""

from __future__ import annotations

from aimc.catalog.model_facts import bytes_per_parameter
from aimc.model.facts import ModelFacts
from aimc.records import Record


class WeightGroup(Record):
    name: str
    parameters_b: float
    bytes_per_parameter: float

    @property
    def gb(self) -> float:
        return self.parameters_b * self.bytes_per_parameter


class WeightBytes(Record):
    groups: tuple[WeightGroup, ...]

    @property
    def gb(self) -> float:
        """10^9 bytes: what the checkpoint's weights take, in memory and on disk."""
        return sum(group.gb for group in self.groups)

    def describe(self) -> str:
        """`673.12 GB: bf16 1.96B × 2 B + fp8 669.04B × 1 B + scales 0.16 GB`; empty when every weight is one width."""
        if len(self.groups) < 2:
            return ""
        parts = [f"scales {g.gb:.2f} GB" if g.name == "scales" else
                 f"{g.name} {g.parameters_b:.2f}B × {g.bytes_per_parameter:g} B" for g in self.groups]
        return f"{self.gb:.2f} GB: " + " + ".join(parts)


def weight_bytes(model: ModelFacts, precision: str) -> WeightBytes:
    width = bytes_per_parameter(precision)
    layout = model.quantized_layout
    if layout is None or layout.precision != precision or width >= layout.kept_bytes_per_parameter:
        return WeightBytes((WeightGroup(precision, model.parameters_b, width),))
    quantized = model.parameters_b - layout.kept_parameters_b
    groups = [WeightGroup(layout.kept_dtype, layout.kept_parameters_b, layout.kept_bytes_per_parameter),
              WeightGroup(precision, quantized, width)]
    if layout.scale_bytes_per_weight:
        groups.append(WeightGroup("scales", quantized, layout.scale_bytes_per_weight))
    return WeightBytes(tuple(groups))


def weight_gb(model: ModelFacts, precision: str) -> float:
    """`weight_bytes(model, precision).gb`, without building the groups when every weight is one width (render asks
    about seven times per engine: ~10 ms at 1,000 endpoints, bench/generate.py)."""
    layout = model.quantized_layout
    width = bytes_per_parameter(precision)
    if layout is None or layout.precision != precision or width >= layout.kept_bytes_per_parameter:
        return model.parameters_b * width  # the one group's figure, as its sum
    return weight_bytes(model, precision).gb
