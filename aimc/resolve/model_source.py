"""Where an endpoint's engines load the model from: an OCI model image (spec.modelSource, else the inventory's
spec.defaults.modelSources entry for the endpoint's model), or None for a download from Hugging Face.

An OCI model image is mounted read-only as an `image` volume (render/model_image.py) at `MOUNT_PATH`, and the
engine's model argument (vLLM `--model`, SGLang `--model-path`) names that folder: both engines load a local folder
given there (vLLM vllm/config/model.py, ModelConfig.model: "Name or path of the Hugging Face model to use"; SGLang
server_args.py `--model-path`: "The path of the model weights. This can be a local folder or a Hugging Face repo
ID").
"""

from __future__ import annotations

from aimc.model.inputs import Endpoint, Inventory, ModelSource
from aimc.model.plan import ResolvedEngine

# The model's folder in the engine container: a fixed path (nothing from the inputs reaches the command line here).
MOUNT_PATH = "/models/model"


def source_for(endpoint: Endpoint, inventory: Inventory | None) -> ModelSource | None:
    """The endpoint's own source, else the inventory's default for its model (the id as written, or any case of it:
    Hugging Face ids are matched without case, as the catalogs do)."""
    if endpoint.model_source is not None:
        return endpoint.model_source
    if inventory is None or not inventory.model_sources:
        return None
    wanted = endpoint.model.lower()
    for model, source in inventory.model_sources:
        if model.lower() == wanted:
            return source
    return None


def model_argument(endpoint: Endpoint, inventory: Inventory | None, huggingface_id: str) -> str:
    """What the engine's model flag names: the mounted folder of an OCI model image, else the checkpoint to download."""
    return MOUNT_PATH if source_for(endpoint, inventory) is not None else huggingface_id


# -- the shared cache's download (render/download.py renders it; explain reads it without the renderers) ----------

SHARED_ACCESS_MODE = "ReadWriteMany"  # pods on several nodes share one claim: the one cache a Job can fill for all
DEFAULT_REVISION = "main"  # huggingface_hub's DEFAULT_REVISION


def shared_download(endpoint: Endpoint, inventory: Inventory | None) -> bool:
    """The endpoint loads its model from the inventory's ReadWriteMany cache (the default access mode), which one
    download Job fills; a per-pod cache, an opted-out endpoint or an OCI model image download nothing shared."""
    settings = inventory.model_cache if inventory is not None else None
    return (settings is not None and endpoint.use_model_cache and source_for(endpoint, inventory) is None
            and (settings.access_mode or SHARED_ACCESS_MODE) == SHARED_ACCESS_MODE)


def checkpoint(engine: ResolvedEngine) -> str:
    return engine.recipe.huggingface_id or engine.endpoint.model


def revision(engine: ResolvedEngine) -> str:
    """The engine's `--revision` (vLLM and SGLang both accept it), as its command line has it, else `main`."""
    args = engine.args
    for index, arg in enumerate(args):
        if arg == "--revision" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--revision="):
            return arg.split("=", 1)[1]
    return DEFAULT_REVISION
