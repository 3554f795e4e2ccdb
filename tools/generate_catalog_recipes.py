"""Write the built-in recipes of newer hardware (MI325X, MI355X) from the MI300X ones with `aimc recipes generate`'s
generator: the same model, precision, engines and weights (`huggingface_id`), every GPU count that fits.

A pre-quantized checkpoint (the MI300X recipe loads e.g. amd/...-FP8-KV or Qwen/...-FP8) carries its own quantization,
so `--quantization` is dropped; the KV cache stays 16-bit (as the arithmetic in the comments assumes).
Run from the repository root: `python tools/generate_catalog_recipes.py`, then check each file by hand.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aimc.catalog import model_facts as facts
from aimc.reports import generated_recipe
from aimc.resolve import generate
from aimc.validate.recipes import builtin_catalog

TARGETS = ("MI325X", "MI355X")


def main() -> None:
    models = facts.builtin_catalog()
    for recipe in builtin_catalog().recipes:
        if recipe.hardware != "MI300X" or recipe.format != "recipe":
            continue
        model = models.lookup(recipe.model_id)
        engines = tuple(e for e in ("vllm", "sglang") if any(c.engine == e and c.enabled for c in recipe.configs))
        for name in TARGETS:
            gpu = facts.gpu(name)
            target = generate.Target(gpu.name, gpu.memory_gib, gpu.arch)
            generation = generate.generate(model, (target,), engines, (recipe.precision,), recipe.model_id)
            pre_quantized = recipe.huggingface_id != recipe.model_id
            recipes = tuple(_load(g, recipe.huggingface_id, pre_quantized) for g in generation.recipes)
            generation = replace(generation, recipes=recipes)
            for generated in recipes:
                path = Path("recipes") / f"{generated.id}.yaml"
                path.write_text(generated_recipe.recipes_text(replace(generation, recipes=(generated,)),
                                                              "the built-in model catalog"))
                print(path)


def _load(generated, huggingface_id: str, pre_quantized: bool):
    if not pre_quantized:
        return replace(generated, huggingface_id=huggingface_id)
    proposals = tuple(replace(p, args=tuple(a for a in p.args if a[0] != "--quantization"))
                      for p in generated.proposals)
    return replace(generated, huggingface_id=huggingface_id, quantized_online=False, proposals=proposals)


if __name__ == "__main__":
    main()
