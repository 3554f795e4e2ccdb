"""Compile a list of Kubernetes resources handed over by another tool (Kustomize, a KRM orchestrator).

The Kustomize plugin and the KRM function share this: they receive resources (AIMEndpoints patched by overlays,
a ClusterInventory, any other object), compile aimc's own documents among them, pass everything else through, and
may read more inputs from `paths` given in their configuration object (`kind: AimcCompiler`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from aimc import pipeline
from aimc.load.documents import API_GROUP
from aimc.emit.output import ordered, plain as _plain
from aimc.errors import Diagnostic, UserError

CONFIG_API_VERSION = "aimc.amd.com/v1"
CONFIG_KIND = "AimcCompiler"
CONFIG_FIELDS = {"paths": list, "inventory": str, "recipes": list, "namespace": str, "strict": bool, "exclude": list}
MANAGED_BY = "app.kubernetes.io/managed-by"

# Annotations Kustomize and KRM orchestrators add to track resources. They must not reach the objects aimc renders
# (rendered objects copy an endpoint's annotations), or the plugin path would differ from `kubectl kustomize | aimc build -`.
INTERNAL_ANNOTATION_PREFIXES = ("internal.config.kubernetes.io/", "config.kubernetes.io/", "config.k8s.io/",
                                "kustomize.config.k8s.io/")


@dataclass(frozen=True)
class PluginConfig:
    """What an `AimcCompiler` object asks for. Paths are relative to `base_dir` (the kustomization folder)."""

    name: str = "aimc"
    paths: tuple[str, ...] = ()
    inventory: str | None = None
    recipes: tuple[str, ...] = ()
    namespace: str | None = None
    strict: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Compiled:
    objects: tuple[dict, ...]
    warnings: tuple[Diagnostic, ...]


def is_config(obj) -> bool:
    return isinstance(obj, dict) and obj.get("apiVersion") == CONFIG_API_VERSION and obj.get("kind") == CONFIG_KIND


def parse_config(data, where: str) -> PluginConfig:
    """An `AimcCompiler` object (or a ConfigMap whose `data` holds the same fields as strings, for KRM orchestrators
    that only pass ConfigMaps)."""
    if not isinstance(data, dict):
        raise UserError([Diagnostic(where, 0, "", f"expected a {CONFIG_KIND} object ({CONFIG_API_VERSION})")])
    if data.get("kind") == "ConfigMap":
        fields = _fields_from_config_map(data.get("data") or {})
    elif is_config(data):
        fields = {k: v for k, v in data.items() if k not in ("apiVersion", "kind", "metadata")}
        fields.update((data.get("spec") or {}) if isinstance(data.get("spec"), dict) else {})
        fields.pop("spec", None)
    else:
        raise UserError([Diagnostic(where, 0, "kind", f"expected apiVersion: {CONFIG_API_VERSION}, kind: {CONFIG_KIND}")])
    problems = []
    for key, value in fields.items():
        expected = CONFIG_FIELDS.get(key)
        if expected is None:
            problems.append(Diagnostic(where, _line(data, key), key, "unknown field; known fields: "
                                       + ", ".join(sorted(CONFIG_FIELDS))))
        elif expected is list and isinstance(value, str):
            fields[key] = [value]
        elif not isinstance(value, expected) or (expected is list and not all(isinstance(v, str) for v in value)):
            what = {list: "a list of strings", str: "a string", bool: "true or false"}[expected]
            problems.append(Diagnostic(where, _line(data, key), key, f"expected {what}"))
    if problems:
        raise UserError(problems)
    name = ((data.get("metadata") or {}).get("name")) or "aimc"
    return PluginConfig(name=str(name), paths=tuple(fields.get("paths", ())), inventory=fields.get("inventory"),
                        recipes=tuple(fields.get("recipes", ())), namespace=fields.get("namespace"),
                        strict=bool(fields.get("strict", False)), exclude=tuple(fields.get("exclude", ())))


def _fields_from_config_map(data: dict) -> dict:
    fields: dict = {}
    for key, value in data.items():
        if CONFIG_FIELDS.get(key) is list:
            fields[key] = [part for part in str(value).replace(",", " ").split() if part]
        elif CONFIG_FIELDS.get(key) is bool:
            fields[key] = str(value).strip().lower() in ("true", "1", "yes")
        else:
            fields[key] = value
    return fields


def _line(data, key) -> int:
    return getattr(data, "key_lines", {}).get(key, getattr(data, "line", 0))


def compile_resources(resources: list[dict], config: PluginConfig, base_dir: str = ".") -> Compiled:
    """Compile aimc's documents among `resources` (plus the files under `config.paths`); other objects pass through.

    Objects aimc rendered earlier (labelled managed-by: aimc, e.g. by this plugin in a base kustomization) pass
    through unchanged: `aimc build` ignores them as inputs, which here would silently drop them.
    """
    earlier = [_plain(r) for r in resources if not is_config(r) and _rendered_by_aimc(r)]
    inputs = [_without_internal_annotations(r) if _is_own(r) else r
              for r in resources if not is_config(r) and not _rendered_by_aimc(r)]
    if not inputs and not config.paths:
        if earlier:
            return Compiled(tuple(earlier), ())
        raise UserError([Diagnostic(f"{CONFIG_KIND}/{config.name}", 0, "", "no resources and no paths to compile: "
                                    "refusing to output an empty stream")])
    text, starts = to_stream(inputs)
    options = pipeline.Options(
        paths=("-",) + tuple(_under(base_dir, p) for p in config.paths),
        inventory=_under(base_dir, config.inventory) if config.inventory else None,
        recipe_dirs=tuple(_under(base_dir, p) for p in config.recipes),
        stdin_text=text, default_namespace=config.namespace, strict=config.strict,
        exclude=config.exclude, allow_empty=bool(earlier))
    try:
        result = pipeline.compile(options)
    except UserError as error:
        raise UserError([name_stdin_place(d, inputs, starts) for d in error.diagnostics]) from None
    rendered = [item.obj for item in ordered(list(result.objects))]
    warnings = tuple(name_stdin_place(d, inputs, starts) for d in result.warnings)
    return Compiled(tuple(_plain(o) for o in rendered) + tuple(earlier), warnings)


def to_stream(resources: list[dict]) -> tuple[str, list[int]]:
    """A YAML stream of the resources with sorted keys (the way `kubectl kustomize` prints them, so a line number
    within an object matches what the user sees), and the first line of each document."""
    parts, starts, line = [], [], 1
    for resource in resources:
        body = yaml.safe_dump(_plain(resource), sort_keys=True, default_flow_style=False, width=1 << 30)
        starts.append(line + 1)  # after the `---` line
        parts.append("---\n" + body)
        line += 1 + body.count("\n")
    return "".join(parts), starts


def name_stdin_place(diagnostic: Diagnostic, resources: list[dict], starts: list[int]) -> Diagnostic:
    """`<stdin>:57` means nothing to a Kustomize user: name the object instead, with the line within it."""
    if diagnostic.file != "<stdin>" or not starts:
        return diagnostic
    if not diagnostic.line:
        return Diagnostic("<resources>", 0, diagnostic.field, diagnostic.message, diagnostic.severity)
    index = max((i for i, start in enumerate(starts) if start <= diagnostic.line), default=0)
    resource = resources[index]
    meta = resource.get("metadata") or {}
    place = f"{resource.get('kind', 'object')}/{meta.get('name', '?')}"
    line = max(diagnostic.line - starts[index] + 1, 1)
    return Diagnostic(place, line, diagnostic.field, diagnostic.message, diagnostic.severity)


def resource_index(diagnostic_file: str, resources: list[dict]) -> int | None:
    """Index of the resource a diagnostic's `Kind/name` place names, if any."""
    for index, resource in enumerate(resources):
        meta = resource.get("metadata") or {}
        if diagnostic_file == f"{resource.get('kind', 'object')}/{meta.get('name', '?')}":
            return index
    return None


def _under(base_dir: str, path: str) -> str:
    return path if os.path.isabs(path) or base_dir in ("", ".") else os.path.join(base_dir, path)


def _is_own(resource) -> bool:
    return isinstance(resource, dict) and str(resource.get("apiVersion", "")).rpartition("/")[0] == API_GROUP


def _rendered_by_aimc(resource) -> bool:
    labels = ((resource.get("metadata") or {}).get("labels") or {}) if isinstance(resource, dict) else {}
    return isinstance(labels, dict) and labels.get(MANAGED_BY) == "aimc"


def _without_internal_annotations(resource: dict) -> dict:
    meta = resource.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return resource
    kept = {k: v for k, v in meta["annotations"].items() if not str(k).startswith(INTERNAL_ANNOTATION_PREFIXES)}
    new_meta = {k: v for k, v in meta.items() if k != "annotations"}
    if kept:
        new_meta["annotations"] = kept
    return {**resource, "metadata": new_meta}
