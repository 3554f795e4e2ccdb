"""Labels, selectors and annotations shared by every rendered object."""

from __future__ import annotations

import json
import re

import msgspec

from aimc.digest import sha256_hex, sha256_hex_of_bytes
from aimc.memo import compile_table
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine

GROUP = "aim.engine.amd.com"
ENDPOINT_LABEL = f"{GROUP}/endpoint"
ENGINE_LABEL = f"{GROUP}/engine"
MAX_LABEL_VALUE = 63
_NOT_IN_LABEL = re.compile(r"[^A-Za-z0-9._-]")  # what a label value cannot hold
GROUP_PREFIX = f"{GROUP}/"
MODEL_LABEL, HARDWARE_LABEL = f"{GROUP}/model", f"{GROUP}/hardware"
PRECISION_LABEL, GPU_COUNT_LABEL = f"{GROUP}/precision", f"{GROUP}/gpu-count"
APP_KEYS = frozenset(f"app.kubernetes.io/{key}" for key in ("name", "instance", "component", "part-of", "managed-by"))


def selector(resolved: ResolvedEndpoint, engine: str | None = None) -> dict:
    """Pods of an endpoint (all engines) or of one of its engines. Selectors never change for a given endpoint."""
    labels = {ENDPOINT_LABEL: resolved.endpoint.name}
    if engine:
        labels[ENGINE_LABEL] = engine
    return labels


def labels(resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None, component: str | None = None) -> dict:
    """The user's metadata.labels, then ours (ours win: selectors must stay intact)."""
    endpoint = resolved.endpoint
    out = {k: str(v) for k, v in endpoint.labels}
    # Assigned one by one, in the order of `selector` and `fact_labels` (a user's key keeps its place, as with
    # dict.update): 4,811 objects on 1,000 endpoints are labelled here, so no intermediate dicts.
    out["app.kubernetes.io/name"] = "aim-endpoint"
    out["app.kubernetes.io/instance"] = endpoint.name
    out["app.kubernetes.io/component"] = component or (engine.engine if engine else "endpoint")
    out["app.kubernetes.io/part-of"] = "aim-inference"
    out["app.kubernetes.io/managed-by"] = "aimc"
    out[ENDPOINT_LABEL] = endpoint.name
    if engine:
        out[ENGINE_LABEL] = engine.engine
    out[MODEL_LABEL] = label_value(endpoint.model)
    if engine is not None:
        recipe = engine.recipe
        out[HARDWARE_LABEL] = label_value(recipe.hardware)
        out[PRECISION_LABEL] = recipe.precision
        out[GPU_COUNT_LABEL] = str(engine.gpu_count)
    return out


def pod_labels(resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None, component: str | None = None) -> dict:
    """Pod templates carry only the labels that select and identify them, never the endpoint's own labels: a
    pod-template change rolls every GPU pod (a full model load each), so a cosmetic label (`team`) must not cause one.
    The endpoint's labels stay on the objects' metadata."""
    return own_labels(labels(resolved, engine, component), resolved.endpoint.labels)


def own_labels(object_labels: dict, user_labels) -> dict:
    """`object_labels` without the keys that came from the endpoint's `metadata.labels` (aimc's keys always stay)."""
    user = {str(k) for k, _ in user_labels}
    return {k: v for k, v in object_labels.items()
            if k not in user or k in APP_KEYS or k.startswith(GROUP_PREFIX)}


def fact_labels(resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None) -> dict:
    """What runs, for `kubectl get -l` and dashboards; the full model id is in the `model` annotation."""
    out = {MODEL_LABEL: label_value(resolved.endpoint.model)}
    if engine is not None:
        out[HARDWARE_LABEL] = label_value(engine.recipe.hardware)
        out[PRECISION_LABEL] = engine.recipe.precision
        out[GPU_COUNT_LABEL] = str(engine.gpu_count)
    return out


def label_value(text: str) -> str:
    """A valid label value: `Qwen/Qwen3-32B` -> `Qwen_Qwen3-32B`; at most 63 characters, a short hash when cut.
    Remembered for the compile: every object of an endpoint labels the same model and hardware (8,614 values for
    ~20 distinct ones at 1,000 endpoints, bench/generate.py); a text is its own typed key."""
    if text.__class__ is not str:
        return _label_value(text)
    table = compile_table(label_value)
    found = table.get(text)
    if found is None:
        found = _label_value(text)
        if len(table) >= 4096:
            table.clear()
        table[text] = found
    return found


def _label_value(text: str) -> str:
    value = _NOT_IN_LABEL.sub("_", text).strip("._-")
    if len(value) <= MAX_LABEL_VALUE:
        return value
    digest = sha256_hex(text)[:8]
    return value[:MAX_LABEL_VALUE - len(digest) - 1].rstrip("._-") + "-" + digest


def metadata(name: str, resolved: ResolvedEndpoint, engine: ResolvedEngine | None = None,
             annotations: dict | None = None, component: str | None = None) -> dict:
    meta: dict = {"name": name}
    if resolved.namespace:
        meta["namespace"] = resolved.namespace
    meta["labels"] = labels(resolved, engine, component)
    merged = {k: str(v) for k, v in resolved.endpoint.annotations}
    merged.update(annotations or {})
    if merged:
        meta["annotations"] = merged
    return meta


def recipe_annotations(engine: ResolvedEngine) -> dict:
    return {
        f"{GROUP}/model": engine.endpoint.model,
        f"{GROUP}/recipe": engine.recipe.id,
        f"{GROUP}/configuration": f"{engine.engine}/{engine.config.key}",
        f"{GROUP}/node-pool": engine.pool.name,
    }


# What json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on every call, made once.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The same bytes from msgspec (C, ~7x faster: ~13 us of every Deployment at 10,000 endpoints), for a configuration of
# strings, integers, booleans and null under string keys: msgspec escapes and orders exactly as `json` does there
# (tests/test_render_labels.py compares both on generated trees), and writes some floats otherwise (`1e16` for
# Python's `1e+16`), so a configuration holding a float, or anything else, takes `json`.
_FAST_CANONICAL_JSON = msgspec.json.Encoder(order="sorted")


def checksum(configuration: dict) -> str:
    """sha256 of the canonical JSON of a resolved configuration."""
    if _without_floats(configuration.values()):
        try:
            return "sha256:" + sha256_hex_of_bytes(_FAST_CANONICAL_JSON.encode(configuration))
        except (TypeError, ValueError):  # (a lone surrogate, a type msgspec cannot write): `json` says what to do
            pass
    return "sha256:" + sha256_hex(_CANONICAL_JSON.encode(configuration))


def _without_floats(values) -> bool:
    """Whether the values, walked through lists, tuples and string-keyed dicts, hold only strings, integers, booleans
    and null. (Strings, nearly every item, are passed over without a call.)"""
    for value in values:
        kind = value.__class__
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is list or kind is tuple:
            for item in value:
                if item.__class__ is not str and not _without_floats((item,)):
                    return False
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.__class__ is not str or (item.__class__ is not str and not _without_floats((item,))):
                    return False
        else:
            return False
    return True


def engine_object_name(resolved: ResolvedEndpoint, engine: str) -> str:
    return f"{resolved.endpoint.name}-{engine}"
