"""Compile a list of Kubernetes resources handed over by another tool (Kustomize, a KRM orchestrator).

The Kustomize plugin and the KRM function share this: they receive resources (AIMEndpoints patched by overlays,
a ClusterInventory, any other object), compile aimc's own documents among them, pass everything else through, and
may read more inputs from `paths` given in their configuration object (`kind: AimcCompiler`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aimc import pipeline
from aimc.emit.output import ordered, plain
from aimc.errors import Diagnostic, UserError
from aimc.load import parsed
from aimc.load.documents import API_GROUP
from aimc.load.parsed import ParsedObject
from aimc.records import Record, replace

CONFIG_API_VERSION = "aimc.amd.com/v1"
CONFIG_KIND = "AimcCompiler"
CONFIG_FIELDS = {"paths": list, "inventory": str, "recipes": list, "namespace": str, "strict": bool, "exclude": list}
MANAGED_BY = "app.kubernetes.io/managed-by"

# Annotations Kustomize and KRM orchestrators add to track resources. They must not reach the objects aimc renders
# (rendered objects copy an endpoint's annotations), or the plugin path would differ from
# `kubectl kustomize | aimc build -`.
INTERNAL_ANNOTATION_PREFIXES = ("internal.config.kubernetes.io/", "config.kubernetes.io/", "config.k8s.io/",
                                "kustomize.config.k8s.io/")


class HandedOver(Record):
    """The resources a tool handed over, sorted out: aimc's inputs (with their origins) and objects aimc rendered
    in an earlier pass."""

    inputs: tuple[ParsedObject, ...]
    earlier: tuple[dict, ...]


class Compiled(Record):
    objects: tuple[Mapping, ...]  # rendered objects (read-only FrozenTrees), then the objects passed on as they came
    warnings: tuple[Diagnostic, ...]


def is_config(obj) -> bool:
    return isinstance(obj, dict) and obj.get("apiVersion") == CONFIG_API_VERSION and obj.get("kind") == CONFIG_KIND


def config_place(data) -> str:
    """How errors name an `AimcCompiler` object: `AimcCompiler/<name>`."""
    name = ((data.get("metadata") or {}).get("name") if isinstance(data, dict) else None) or "aimc"
    return f"{CONFIG_KIND}/{name}"


def parse_config(data, where: str) -> pipeline.Options:
    """An `AimcCompiler` object (or a ConfigMap whose `data` holds the same fields as strings, for KRM orchestrators
    that only pass ConfigMaps). Its paths stay as written: relative to the kustomization folder."""
    if not isinstance(data, dict):
        raise UserError([Diagnostic(where, 0, "", f"expected a {CONFIG_KIND} object ({CONFIG_API_VERSION})")])
    if data.get("kind") == "ConfigMap":
        fields = _fields_from_config_map(data.get("data") or {})
    elif is_config(data):
        fields = {k: v for k, v in data.items() if k not in ("apiVersion", "kind", "metadata")}
        fields.update((data.get("spec") or {}) if isinstance(data.get("spec"), dict) else {})
        fields.pop("spec", None)
    else:
        raise UserError([Diagnostic(where, 0, "kind",
                                    f"expected apiVersion: {CONFIG_API_VERSION}, kind: {CONFIG_KIND}")])
    problems = []
    for key, value in fields.items():
        expected = CONFIG_FIELDS.get(key)
        if expected is None:
            problems.append(Diagnostic(where, _line(data, key), key, "unknown field; known fields: "
                                       + ", ".join(sorted(CONFIG_FIELDS))))
        elif expected is list and isinstance(value, str):
            fields[key] = [value]
        elif not isinstance(value, expected) or (isinstance(value, list)
                                                 and not all(isinstance(v, str) for v in value)):
            what = {list: "a list of strings", str: "a string", bool: "true or false"}[expected]
            problems.append(Diagnostic(where, _line(data, key), key, f"expected {what}"))
    if problems:
        raise UserError(problems)
    return default_config(paths=tuple(fields.get("paths", ())), inventory=fields.get("inventory"),
                          recipe_dirs=tuple(fields.get("recipes", ())), default_namespace=fields.get("namespace"),
                          strict=bool(fields.get("strict", False)), exclude=tuple(fields.get("exclude", ())))


def default_config(**fields) -> pipeline.Options:
    """The options of an `AimcCompiler` that asks for nothing: compile only what is handed over."""
    return pipeline.Options(**{"paths": (), **fields})


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


def hand_over(resources: list[dict], base_dir: str = ".") -> HandedOver:
    """Sort out what a tool handed over; paths in its annotations are relative to `base_dir`.

    Objects aimc rendered earlier (labelled managed-by: aimc, e.g. by this plugin in a base kustomization) pass
    through unchanged: `aimc build` ignores them as inputs, which here would silently drop them.
    """
    earlier = tuple(plain(r) for r in resources if not is_config(r) and _rendered_by_aimc(r))
    wanted = [not is_config(r) and not _rendered_by_aimc(r) for r in resources]
    located = parsed.locate(resources, base_dir, wanted)
    inputs = tuple(replace(o, data=parsed.without_annotations(o.data, INTERNAL_ANNOTATION_PREFIXES))
                   if _is_own(o.data) else o for o in located)
    return HandedOver(inputs, earlier)


def compile_resources(resources: list[dict], config: pipeline.Options, base_dir: str = ".",
                      place: str = f"{CONFIG_KIND}/aimc") -> Compiled:
    """Compile aimc's documents among `resources` (plus the files under `config.paths`); other objects pass
    through. `place` names the config object in errors."""
    return compile_handed_over(hand_over(resources, base_dir), config, base_dir, place)


def compile_handed_over(handed: HandedOver, config: pipeline.Options, base_dir: str = ".",
                        place: str = f"{CONFIG_KIND}/aimc") -> Compiled:
    if not handed.inputs and not config.paths:
        if handed.earlier:
            return Compiled(handed.earlier, ())
        raise UserError([Diagnostic(place, 0, "", "no resources and no paths to compile: refusing to output an "
                                                  "empty stream")])
    options = replace(
        config, objects=handed.inputs, paths=tuple(_under(base_dir, p) for p in config.paths),
        inventory=_under(base_dir, config.inventory) if config.inventory else None,
        recipe_dirs=tuple(_under(base_dir, p) for p in config.recipe_dirs), allow_empty=bool(handed.earlier))
    result = pipeline.compile(options)
    # The rendered objects as the pipeline made them (read-only): the writers read them where they are.
    rendered = [item.obj for item in ordered(list(result.objects))]
    return Compiled(tuple(rendered) + handed.earlier, result.warnings)


def input_of(diagnostic: Diagnostic, inputs: tuple[ParsedObject, ...]) -> ParsedObject | None:
    """The handed-over object a diagnostic is about: the one named by its file, and when a file holds several,
    the last that starts at or before its line."""
    same_file = [o for o in inputs if o.file == diagnostic.file]
    if len(same_file) <= 1:
        return same_file[0] if same_file else None
    if not diagnostic.line:
        return None
    before = [o for o in same_file if 0 < o.line <= diagnostic.line]
    return max(before, key=lambda o: o.line) if before else None


def _under(base_dir: str, path: str) -> str:
    return path if os.path.isabs(path) or base_dir in ("", ".") else os.path.join(base_dir, path)


def _is_own(resource) -> bool:
    return isinstance(resource, dict) and str(resource.get("apiVersion", "")).rpartition("/")[0] == API_GROUP


def _rendered_by_aimc(resource) -> bool:
    labels = ((resource.get("metadata") or {}).get("labels") or {}) if isinstance(resource, dict) else {}
    return isinstance(labels, dict) and labels.get(MANAGED_BY) == "aimc"
