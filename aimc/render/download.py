"""Download once: with a shared (ReadWriteMany) model cache, one Job per namespace, checkpoint and revision fills the
cache, and the serving pods wait for it instead of downloading themselves.

- The Job runs `huggingface_hub.snapshot_download` in the engine's image (which has the package: both engines
  download with it), with the engine's HF_HOME on the cache claim, the token from the same Secret as the engine's
  (render/secrets.py; never written inline) and the same hardened pod. It skips `original/**/*` (vLLM's default
  `--ignore-patterns`, vllm/config/load.py LoadConfig.ignore_patterns: "to avoid repeated loading of llama's
  checkpoints") and, where the repository has safetensors, the `.bin`/`.pt`/`.pth` copies of the weights (vLLM loads the
  safetensors then: model_loader/default_loader.py `_prepare_weights`). Then it writes a marker file on the cache.
- The serving pods get an init container that waits for the marker, and HF_HUB_OFFLINE=1 (huggingface_hub docs,
  package_reference/environment_variables.md: no HTTP call to the Hub, the cache only): they never download.
- Order under Argo CD: the Job and the cache claims are in sync wave -1, the serving objects in the default wave 0,
  so Argo CD applies the claims and the Job, waits for the Job to complete (its health), then rolls out the pods. The
  claims and the Job share the wave so that a claim whose StorageClass binds on first use (WaitForFirstConsumer) binds
  for the Job's pod. Without Argo CD the init container is the ordering.
- The revision is the engine's `--revision` (vLLM and SGLang both accept it), else `main` (huggingface_hub's
  DEFAULT_REVISION). The Job's name holds a hash of the checkpoint, revision and image: a Job's pod template is
  immutable, so a change is a new Job (and the old one is pruned).

Values from the inputs reach the Job only as arguments of the script (never inside it), with `$` doubled so that
Kubernetes expands no `$(VAR)` in them.
"""

from __future__ import annotations

import re

from aimc.digest import sha256_hex
from aimc.model.inputs import Inventory
from aimc.model.origin import Origin
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.records import thawed
from aimc.render import cache, secrets
from aimc.resolve import model_source
from aimc.resolve.model_source import checkpoint, revision

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
WAVE = "-1"  # before the serving objects (wave 0)
MODEL_ANNOTATION, REVISION_ANNOTATION = "aim.engine.amd.com/model", "aim.engine.amd.com/revision"
NAME_PREFIX = "model-download-"
MAX_NAME = 63
MARKER_FOLDER = "aimc-downloads"
CONTAINER = "download"
WAIT_CONTAINER = "wait-for-model"
WAIT_SECONDS = 10
OFFLINE_ENV = {"name": "HF_HUB_OFFLINE", "value": "1"}
RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}  # a download: I/O, little memory
WAIT_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}}
DOWNLOAD_SCRIPT = """\
import os, sys
from huggingface_hub import HfApi, snapshot_download
repo, revision, marker = sys.argv[1:4]
files = HfApi().list_repo_files(repo, revision=revision)
ignore = ["original/**/*"]
if any(name.endswith(".safetensors") for name in files):
    ignore += ["*.bin", "*.pt", "*.pth"]
snapshot_download(repo_id=repo, revision=revision, ignore_patterns=ignore)
os.makedirs(os.path.dirname(marker), exist_ok=True)
with open(marker, "w") as done:
    done.write(repo + "@" + revision + "\\n")
"""
WAIT_SCRIPT = 'until [ -f "$1" ]; do echo "waiting for the model download ($1)"; sleep ' + str(WAIT_SECONDS) + "; done"


def applies(resolved: ResolvedEndpoint, inventory: Inventory | None) -> bool:
    """The endpoint mounts the shared cache claim and that cache is ReadWriteMany (a per-pod cache: each pod
    downloads, as before): resolve/model_source.py decides, for explain too."""
    return model_source.shared_download(resolved.endpoint, inventory)


def _hash(*parts: str) -> str:
    return sha256_hex("\0".join(parts))[:8]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def marker_path(engine: ResolvedEngine) -> str:
    """The file the Job writes when the checkpoint's revision is complete (aimc's name: nothing from the inputs)."""
    name = f"{_slug(checkpoint(engine))[:80]}-{_hash(checkpoint(engine), revision(engine))}.done"
    return f"{cache.HF_HOME[engine.engine]}/{MARKER_FOLDER}/{name}"


def job_name(engine: ResolvedEngine) -> str:
    digest = _hash(checkpoint(engine), revision(engine), engine.image)
    stem = (NAME_PREFIX + _slug(checkpoint(engine)))[:MAX_NAME - len(digest) - 1].rstrip("-")
    return f"{stem}-{digest}"


def _escaped(text: str) -> str:
    return text.replace("$", "$$")  # Kubernetes reads $$ as a literal $: no $(VAR) expansion


def _hardened() -> dict:
    """The engines' container hardening, without what only an engine may need (IPC_LOCK for RDMA)."""
    return {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]}}


def init_container(engine: ResolvedEngine) -> dict:
    """Waits until the Job's marker is on the cache; runs in the engine's image (pulled for the pod anyway)."""
    return {
        "name": WAIT_CONTAINER,
        "image": engine.image,
        "command": ["sh", "-c", WAIT_SCRIPT, WAIT_CONTAINER, marker_path(engine)],
        "resources": {part: dict(values) for part, values in WAIT_RESOURCES.items()},
        "volumeMounts": [cache.mount(engine)],
        "securityContext": _hardened(),
    }


def render_jobs(endpoints, inventory: Inventory | None) -> list[tuple[dict, Origin]]:
    """One Job per (namespace, checkpoint, revision). Of the engines that need it, the one of the first endpoint and
    engine by name runs it (its image, pool and token): the same Job whatever the order of the inputs."""
    chosen: dict = {}
    for resolved in endpoints:
        if not applies(resolved, inventory):
            continue
        for engine in resolved.engines:
            key = (resolved.namespace or "", checkpoint(engine), revision(engine))
            rank = (resolved.endpoint.name, engine.engine)
            if key not in chosen or rank < chosen[key][0]:
                chosen[key] = (rank, resolved, engine)
    return [(_job(resolved, engine, inventory), resolved.endpoint.origin)
            for _, resolved, engine in (chosen[key] for key in sorted(chosen))]


def _job(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None) -> dict:
    labels = {"app.kubernetes.io/name": "aim-model-download", "app.kubernetes.io/component": "model-download",
              "app.kubernetes.io/part-of": "aim-inference", "app.kubernetes.io/managed-by": "aimc"}
    metadata: dict = {"name": job_name(engine)}
    if resolved.namespace:
        metadata["namespace"] = resolved.namespace
    metadata["labels"] = labels
    metadata["annotations"] = {SYNC_WAVE: WAVE, MODEL_ANNOTATION: checkpoint(engine),
                               REVISION_ANNOTATION: revision(engine)}
    container = {
        "name": CONTAINER,
        "image": engine.image,
        "command": ["python3", "-c", DOWNLOAD_SCRIPT, _escaped(checkpoint(engine)), _escaped(revision(engine)),
                    marker_path(engine)],
        "env": cache.env(engine) + secrets.token_env(resolved, inventory),
        "resources": {part: dict(values) for part, values in RESOURCES.items()},
        "volumeMounts": [cache.mount(engine)],
        "securityContext": _hardened(),
    }
    pod: dict = {
        "restartPolicy": "OnFailure",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": cache.VOLUME_NAME,
                     "persistentVolumeClaim": {"claimName": cache.claim_name(checkpoint(engine))}}],
    }
    pool = engine.pool  # on the pool's nodes: the engine image the Job pulls is then there for the serving pods
    if pool.node_selector:
        pod["nodeSelector"] = {k: str(v) for k, v in pool.node_selector}
    if pool.tolerations:
        pod["tolerations"] = [thawed(t) for t in pool.tolerations]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": {"backoffLimit": 6, "template": {"metadata": {"labels": dict(labels)}, "spec": pod}}}


def in_download_wave(claims: list[tuple[dict, Origin]], jobs: list[tuple[dict, Origin]]) -> list[tuple[dict, Origin]]:
    """The cache claims a Job fills join its sync wave (see the module's docstring)."""
    filled = {(job["metadata"].get("namespace"), volume["persistentVolumeClaim"]["claimName"])
              for job, _ in jobs for volume in job["spec"]["template"]["spec"]["volumes"]}
    out = []
    for claim, origin in claims:
        if (claim["metadata"].get("namespace"), claim["metadata"]["name"]) in filled:
            claim["metadata"]["annotations"] = {SYNC_WAVE: WAVE, **claim["metadata"].get("annotations", {})}
        out.append((claim, origin))
    return out
