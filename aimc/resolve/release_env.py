"""Engine switches in the environment whose effect depends on the engine release and on the GPU's platform.

SGLANG_ENABLE_POST_CAPTURE_KV_SIZING (SGLang 0.5.16 on, off by default; sglang/srt/environ.py:337 of 0.5.16, :640 of
0.5.23) is meant to size the KV pool from the memory left after graph capture. With it set and no
--mem-fraction-static, SGLang plans the default fraction with only a floor as reserve (512 MiB + TP × PP / 8 GiB in
0.5.16, server_args.py:4058; 1536 MiB in 0.5.23, arg_groups/memory_hook.py:294), because the plan asks whether the
torch device is "cuda" — which it is under ROCm's torch. The resize after capture asks `current_platform.is_cuda()`
instead (`is_post_capture_kv_active`, model_executor/model_runner_components/kv_pool_runtime.py:22 of 0.5.16, :34
of 0.5.23), which is false on ROCm (platforms/rocm.py: `_enum = PlatformEnum.ROCM`). So on an AMD GPU the pool is
allocated before capture at about 99 % of memory, and the graphs and activations that the heuristic reserve was for
have no room.
"""

from __future__ import annotations

from collections.abc import Mapping

from aimc.catalog.runtime import version_key
from aimc.errors import Diagnostic
from aimc.model.inputs import Endpoint, Recipe, RecipeConfig

POST_CAPTURE = "SGLANG_ENABLE_POST_CAPTURE_KV_SIZING"
AITER_KEEPS_FRACTION = "SGLANG_AITER_HONOR_EXPLICIT_MEM_FRACTION"  # read by the fit (fit_defaults)
POST_CAPTURE_SINCE = "0.5.16"
_TRUE = ("true", "1", "yes", "y")  # SGLang's EnvBool.parse (environ.py)


def post_capture_message(engine: str, version: str | None, value: object, args: tuple[str, ...]) -> str | None:
    """Why the switch hurts on ROCm with this release and command line, or None when it does not apply."""
    if engine != "sglang" or version is None or version_key(version) < version_key(POST_CAPTURE_SINCE):
        return None  # older releases have no such switch: it does nothing
    if str(value).strip().lower() not in _TRUE:
        return None
    if any(arg == "--mem-fraction-static" or arg.startswith("--mem-fraction-static=") for arg in args):
        return None  # a fraction given on the command line is not planned around the switch
    return (f"{POST_CAPTURE}={value} shrinks SGLang {version}'s default --mem-fraction-static to a bare floor "
            "(it plans for the KV pool to be resized after graph capture, because the torch device is 'cuda' under "
            "ROCm), but SGLang resizes the pool only on CUDA (is_post_capture_kv_active, "
            "model_runner_components/kv_pool_runtime.py): on an AMD GPU the pool takes the memory HIP graphs and "
            "activations need; remove it, or set --mem-fraction-static")


def post_capture_warnings(engine: str, version: str | None, args: tuple[str, ...], recipe: Recipe,
                          config: RecipeConfig, endpoint: Endpoint) -> list[Diagnostic]:
    """The switch set in the recipe's, the configuration's or the endpoint's environment, at the line that sets it."""
    out = []
    sources: tuple[tuple[tuple, tuple], ...]
    if recipe.format == "profile":  # as env_checks.check_config_env: a profile's variables are its env_vars
        sources = ((("env_vars",), config.env),)
    else:
        sources = ((("env",), recipe.env), ((*config.path, "env"), config.env))
    for path, env in sources:
        for name, value in env:
            message = post_capture_message(engine, version, value, args) if name == POST_CAPTURE else None
            if message:
                full = (*path, name)
                out.append(Diagnostic(recipe.origin.file, recipe.origin.line_of(*full), ".".join(map(str, full)),
                                      message, "warning"))
    for index, entry in enumerate(endpoint.env):
        if isinstance(entry, Mapping) and entry.get("name") == POST_CAPTURE:
            message = post_capture_message(engine, version, entry.get("value"), args)
            if message:
                out.append(Diagnostic(endpoint.origin.file, endpoint.origin.line_of("spec", "env", index),
                                      f"spec.env[{index}]", message, "warning"))
    return out


def switched_on(name: str, recipe: Recipe, config: RecipeConfig, endpoint: Endpoint | None) -> bool:
    """Whether the pod's environment sets the engine switch `name` true: the recipe's, the configuration's, then the
    endpoint's variables, the last one written winning as in the rendered container."""
    value = None
    for key, written in (*recipe.env, *config.env):
        if key == name:
            value = written
    for entry in endpoint.env if endpoint is not None else ():
        if isinstance(entry, Mapping) and entry.get("name") == name:
            value = entry.get("value")
    return value is not None and str(value).strip().lower() in _TRUE
