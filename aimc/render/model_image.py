"""An OCI model image mounted into the engine's pod: an `image` volume, read-only, at the folder the engine's model
argument names (resolve/model_source.py). No download, no token: the kubelet pulls the image like a container image
(once per node, cached with the node's images) and the engine reads the files from the mount.

- `image.reference` and `pullPolicy` are the ImageVolumeSource's fields (Kubernetes API reference, "Volume",
  `image`); the volume is always mounted read-only ("The volume will be mounted read-only (ro)", same reference), and
  `readOnly: true` on the mount says so in the manifest. `IfNotPresent`: the reference is pinned (a tag other than
  latest, or a digest: validate/convert.py), so an image a node already has is the right one.
- `subPath` mounts a folder of the image (Kubernetes docs, "Use an Image Volume With a Pod": sub path mounts of image
  volumes from v1.33).
- `HF_HUB_OFFLINE=1`: huggingface_hub (which both engines use) makes no HTTP call to the Hub
  (huggingface_hub docs, package_reference/environment_variables.md, HF_HUB_OFFLINE): nothing downloads behind the
  image's back, and a missing file fails at once instead of fetching it.
"""

from __future__ import annotations

from aimc.model.inputs import ModelSource
from aimc.resolve.model_source import MOUNT_PATH

VOLUME_NAME = "model-image"
PULL_POLICY = "IfNotPresent"
OFFLINE_ENV = {"name": "HF_HUB_OFFLINE", "value": "1"}


def volume(source: ModelSource) -> dict:
    return {"name": VOLUME_NAME, "image": {"reference": source.image, "pullPolicy": PULL_POLICY}}


def mount(source: ModelSource) -> dict:
    out: dict = {"name": VOLUME_NAME, "mountPath": MOUNT_PATH, "readOnly": True}
    if source.path:
        out["subPath"] = source.path
    return out


def env() -> list[dict]:
    return [dict(OFFLINE_ENV)]
