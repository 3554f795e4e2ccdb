"""Environment in a recipe that contradicts the hardware it runs on.

`PYTORCH_ROCM_ARCH` and `GPU_ARCHS` name the GPU architectures kernels are built or selected for; a list without the
node pool's architecture (gfx90a on an MI300X, which is gfx942) makes kernels fail to load or fall back silently.
`HSA_OVERRIDE_GFX_VERSION` makes the runtime treat the GPU as another one. Device-visibility variables fight the
Kubernetes device plugin, which already exposes exactly the GPUs the pod was given.
"""

from __future__ import annotations

from aimc.catalog.model_facts import hardware as hardware_facts
from aimc.errors import Diagnostic
from aimc.model.inputs import Recipe, RecipeConfig

ARCH_LIST_VARIABLES = ("PYTORCH_ROCM_ARCH", "GPU_ARCHS")
DEVICE_VARIABLES = ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")


def gpu_arches() -> dict[str, str]:
    """Hardware name (upper case) -> gfx architecture, from the built-in hardware catalog (parsed once, there)."""
    return {name: gpu.arch for name, gpu in hardware_facts().items()}


def gfx_version(arch: str) -> str | None:
    """gfx942 -> 9.4.2, gfx90a -> 9.0.10: the form HSA_OVERRIDE_GFX_VERSION takes."""
    digits = arch[3:]
    if not arch.startswith("gfx") or len(digits) != 3:
        return None
    try:
        return f"{int(digits[0], 16)}.{int(digits[1], 16)}.{int(digits[2], 16)}"
    except ValueError:
        return None


def env_problem(name: str, value: str, hardware: str) -> tuple[str, str] | None:
    """(message, severity) when one variable contradicts the hardware, else None."""
    known = hardware_facts().get(str(hardware).upper())
    arch = known.arch if known else None
    if name in DEVICE_VARIABLES:
        return ((f"{name} is set to {value!r}, but on Kubernetes the device plugin already exposes exactly the GPUs "
                 "the pod was given; remove it"), "warning")
    if arch is None:
        return None
    if name in ARCH_LIST_VARIABLES:
        listed = [part.split(":")[0].strip() for part in value.replace(",", ";").replace(" ", ";").split(";")]
        listed = [part for part in listed if part]
        if listed and arch not in listed:
            return ((f"{name}={value} does not include {arch}, the architecture of {hardware}: "
                     f"set it to {arch} (or remove it)"), "error")
    if name == "HSA_OVERRIDE_GFX_VERSION":
        expected = gfx_version(arch)
        if expected and value.strip() != expected:
            return ((f"{name}={value} makes the runtime treat the GPU as another architecture; {hardware} is {arch} "
                     f"({expected}): remove it"), "error")
    return None


def check_config_env(recipe: Recipe, config: RecipeConfig, hardware: str) -> list[Diagnostic]:
    """The environment a configuration runs with (the recipe's, then its own) against its hardware."""
    if recipe.format == "profile":
        return check_env(recipe, ("env_vars",), config.env, hardware)
    return check_env(recipe, ("env",), recipe.env, hardware) + check_env(recipe, (*config.path, "env"), config.env,
                                                                          hardware)


def check_env(recipe: Recipe, path: tuple, env, hardware: str) -> list[Diagnostic]:
    out = []
    for name, value in env:
        problem = env_problem(name, str(value), hardware)
        if problem:
            full = (*path, name)
            out.append(Diagnostic(recipe.origin.file, recipe.origin.line_of(*full), ".".join(map(str, full)),
                                  problem[0], problem[1]))
    return out
