"""Official AIM profiles (AMD's format: `engine_args` and `metadata.engine`) -> a one-configuration `Recipe`."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from aimc.load.documents import Document
from aimc.model.inputs import ArgValue, Recipe, RecipeConfig
from aimc.validate.convert import origin_of, scalar_text, str_pairs


def parse_profile(doc: Document, builtin: bool) -> Recipe:
    """An official AIM profile is a recipe with exactly one configuration."""
    data, origin = doc.data, origin_of(doc)
    meta = data["metadata"]
    stem = PurePosixPath(doc.source).stem
    args: list[tuple[str, ArgValue]] = []
    for name, value in (data.get("engine_args") or {}).items():
        flag = name if name.startswith("-") else f"--{name}"
        if value is False:
            continue  # false: the flag is omitted
        if value is None or value is True:
            args.append((flag, None))
        elif isinstance(value, list):
            args.append((flag, tuple(scalar_text(v) for v in value)))
        elif isinstance(value, dict):
            args.append((flag, json.dumps(value, sort_keys=True, separators=(",", ":"))))
        else:
            args.append((flag, scalar_text(value)))
    config = RecipeConfig(
        engine=meta["engine"], gpu_count=meta["gpu_count"], enabled=True, args=tuple(args),
        env=str_pairs(data.get("env_vars")), path=("engine_args",),
    )
    model = data.get("aim_id") or data.get("model_id") or ""
    custom = "custom" in PurePosixPath(doc.source).parts[:-1]
    return Recipe(
        id=profile_id(stem, model, custom), model_id=model, huggingface_id=data.get("model_id") or "",
        hardware=str(meta["gpu"]).upper(), precision=meta["precision"], configs=(config,), env=(), origin=origin,
        builtin=builtin, format="profile",
        metric=meta.get("metric"), profile_type=meta.get("type"),
        manual_selection_only=bool(meta.get("manual_selection_only", False)),
        search_order=0 if custom else (2 if not model else 1), profile_name=stem,
    )


def profile_id(stem: str, model: str, custom: bool) -> str:
    """Profiles of different models share file names (vllm-mi300x-fp16-tp1-latency.yaml), so the id carries the
    model as AMD's folder layout does: `<model>/<stem>`, `general/<stem>`, `custom/<model>/<stem>`."""
    prefix = model or "general"
    return f"custom/{prefix}/{stem}" if custom else f"{prefix}/{stem}"
