"""Checks of a recipe on its own, independent of any endpoint (used by `aimc recipes validate`)."""

from __future__ import annotations

from .engine_args import TP_FLAGS, normalise_flag
from .errors import Diagnostic
from .model import Recipe


def check_recipe(recipe: Recipe) -> list[Diagnostic]:
    out = []
    origin = recipe.origin
    for config in recipe.configs:
        for flag, value in config.args:
            if normalise_flag(flag, config.engine) in TP_FLAGS and value is not None and str(value) != str(config.gpu_count):
                out.append(Diagnostic(origin.file, origin.line_of(*config.path, "args", flag),
                                      ".".join(config.path) + f".args.{flag}",
                                      f"tensor-parallel size {value} differs from the configuration's GPU count "
                                      f"{config.gpu_count}; they must be equal"))
    return out
