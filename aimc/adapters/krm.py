"""`aimc krm`: a KRM function (ResourceList in, ResourceList out) for `kustomize build --enable-alpha-plugins
--enable-exec`, kpt and other orchestrators.

Under `generators:` the function receives its own config as the only item and compiles the files its `paths` name;
under `transformers:` it receives every resource and compiles the AIMEndpoints (and ClusterInventory) among them.
Problems are `results` (severity, resourceRef, field.path, file.path/index); any error also makes the function exit 1,
because Kustomize does not fail a build on results alone.
"""

from __future__ import annotations

import json

import yaml

from aimc.emit.scalars import SafeDumper
from aimc.errors import Diagnostic, UserError
from aimc.adapters import stream
from aimc.adapters.kustomize import _load

RESOURCE_LIST = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}


def read_resource_list(text: str) -> dict:
    documents = [data for _, data in _load(text, "<stdin>")]
    if len(documents) != 1 or not isinstance(documents[0], dict) or documents[0].get("kind") != "ResourceList":
        raise UserError([Diagnostic("<stdin>", 0, "", "expected one ResourceList (config.kubernetes.io/v1) on stdin")])
    items = documents[0].get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UserError([Diagnostic("<stdin>", 0, "items", "expected a list of objects")])
    return documents[0]


def run(text: str, base_dir: str = ".") -> tuple[dict, bool]:
    """(ResourceList to print, ok). On failure the list carries the input items and error results."""
    try:
        resource_list = read_resource_list(text)
    except UserError as error:
        return _output([], error.diagnostics, []), False
    config_data = resource_list.get("functionConfig")
    # Under `generators:` the function's own config arrives as an item: it is not a resource to pass on.
    items = [stream._plain(i) for i in resource_list.get("items") or [] if not _same_object(i, config_data)]
    try:
        config = stream.parse_config(config_data, "functionConfig") if config_data else stream.PluginConfig()
        compiled = stream.compile_resources(items, config, base_dir)
    except UserError as error:
        return _output(items, error.diagnostics, items), False
    return _output(list(compiled.objects), compiled.warnings, items), True


def _same_object(item, config) -> bool:
    if not isinstance(config, dict):
        return False
    key = lambda o: (o.get("apiVersion"), o.get("kind"), (o.get("metadata") or {}).get("name"))  # noqa: E731
    return key(item) == key(config)


def _output(items: list, diagnostics, inputs: list) -> dict:
    out = dict(RESOURCE_LIST)
    out["items"] = items
    results = [to_result(d, inputs) for d in diagnostics]
    if results:
        out["results"] = results
    return out


def to_result(diagnostic: Diagnostic, inputs: list) -> dict:
    result: dict = {"message": diagnostic.message, "severity": diagnostic.severity}
    index = stream.resource_index(diagnostic.file, inputs)
    if index is not None:
        resource = inputs[index]
        meta = resource.get("metadata") or {}
        ref = {"apiVersion": resource.get("apiVersion"), "kind": resource.get("kind"), "name": meta.get("name")}
        if meta.get("namespace"):
            ref["namespace"] = meta["namespace"]
        result["resourceRef"] = ref
        annotations = meta.get("annotations") or {}
        path = annotations.get("internal.config.kubernetes.io/path") or annotations.get("config.kubernetes.io/path")
        file_index = annotations.get("internal.config.kubernetes.io/index") or annotations.get("config.kubernetes.io/index")
        if path:
            result["file"] = {"path": path, "index": int(file_index) if str(file_index or "").isdigit() else 0}
    elif diagnostic.file and not diagnostic.file.startswith("<"):
        result["file"] = {"path": diagnostic.file, "index": 0}
    if diagnostic.field:
        result["field"] = {"path": diagnostic.field}
    if diagnostic.line:
        result["tags"] = {"line": str(diagnostic.line)}
    return result


def dump(resource_list: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(resource_list, indent=2, ensure_ascii=False) + "\n"
    # The Dumper that also quotes what go-yaml (Kustomize) reads as numbers or booleans, like every YAML aimc writes.
    return yaml.dump(resource_list, Dumper=SafeDumper, sort_keys=False, default_flow_style=False, width=1 << 30)


def describe(result: dict) -> str:
    """One line for stderr: `Kind/name: field: message`."""
    ref = result.get("resourceRef") or {}
    place = f"{ref['kind']}/{ref['name']}" if ref else (result.get("file") or {}).get("path", "")
    line = (result.get("tags") or {}).get("line")
    field = (result.get("field") or {}).get("path")
    return ": ".join(part for part in (f"{place}:{line}" if place and line else place, field, result["message"]) if part)
