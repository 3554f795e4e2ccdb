"""`aimc krm`: a KRM function (ResourceList in, ResourceList out) for `kustomize build --enable-alpha-plugins
--enable-exec`, kpt and other orchestrators.

Under `generators:` the function receives its own config as the only item and compiles the files its `paths` name;
under `transformers:` it receives every resource and compiles the AIMEndpoints (and ClusterInventory) among them.
Problems are `results` (severity, resourceRef, field.path, file.path/index); any error also makes the function exit 1,
because Kustomize does not fail a build on results alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from aimc.adapters import stream
from aimc.emit.output import plain
from aimc.errors import Diagnostic, UserError
from aimc.load.parsed import ParsedObject, read_yaml

RESOURCE_LIST = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}


def read_resource_list(text: str) -> dict:
    documents = [data for _, data in read_yaml(text, "<stdin>")]
    if len(documents) != 1 or not isinstance(documents[0], dict) or documents[0].get("kind") != "ResourceList":
        raise UserError([Diagnostic("<stdin>", 0, "", "expected one ResourceList (config.kubernetes.io/v1) on stdin")])
    items = documents[0].get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UserError([Diagnostic("<stdin>", 0, "items", "expected a list of objects")])
    return documents[0]


def run(text: str, base_dir: str = ".") -> tuple[dict, bool, list[tuple[str, str]]]:
    """(ResourceList to print, ok, (severity, line) per result for stderr). On failure the list carries the input items
    and error results."""
    try:
        resource_list = read_resource_list(text)
    except UserError as error:
        return _output([], error.diagnostics, ()), False, _lines(error.diagnostics)
    config_data = resource_list.get("functionConfig")
    # Under `generators:` the function's own config arrives as an item: it is not a resource to pass on.
    items = [i for i in resource_list.get("items") or [] if not _same_object(i, config_data)]
    handed = stream.hand_over(items, base_dir)
    try:
        config = stream.parse_config(config_data, "functionConfig") if config_data else stream.default_config()
        place = stream.config_place(config_data)
        compiled = stream.compile_handed_over(handed, config, base_dir, place)
    except UserError as error:
        plain_items = [plain(i) for i in items]  # handed back as they came (copied only then)
        return (_output(plain_items, error.diagnostics, handed.inputs, plain_items), False,
                _lines(error.diagnostics))
    return (_output(list(compiled.objects), compiled.warnings, handed.inputs, items), True,
            _lines(compiled.warnings))


def _same_object(item, config) -> bool:
    if not isinstance(config, dict):
        return False
    key = lambda o: (o.get("apiVersion"), o.get("kind"), (o.get("metadata") or {}).get("name"))  # noqa: E731
    return key(item) == key(config)


def _output(items: list, diagnostics, inputs: tuple[ParsedObject, ...], handed_items: Sequence = ()) -> dict:
    out: dict[str, object] = dict(RESOURCE_LIST)
    out["items"] = items
    results = [to_result(d, inputs, handed_items) for d in diagnostics]
    if results:
        out["results"] = results
    return out


def to_result(diagnostic: Diagnostic, inputs: tuple[ParsedObject, ...], handed_items: Sequence) -> dict:
    """A KRM result: severity, message, the resource it is about (`resourceRef`, `file` as the orchestrator tracks
    it), the field, and the line (`tags.line`) within the file the diagnostic names."""
    result: dict = {"message": diagnostic.message, "severity": diagnostic.severity}
    source = stream.input_of(diagnostic, inputs)
    if source is not None:
        resource = handed_items[source.item]  # as handed over: with the orchestrator's annotations
        meta = resource.get("metadata") or {}
        ref = {"apiVersion": resource.get("apiVersion"), "kind": resource.get("kind"), "name": meta.get("name")}
        if meta.get("namespace"):
            ref["namespace"] = meta["namespace"]
        result["resourceRef"] = ref
        if source.tracked_path:
            result["file"] = {"path": source.tracked_path, "index": source.tracked_index or 0}
    elif diagnostic.file and not diagnostic.file.startswith("<"):
        result["file"] = {"path": diagnostic.file, "index": 0}
    if diagnostic.field:
        result["field"] = {"path": diagnostic.field}
    if diagnostic.line:
        result["tags"] = {"line": str(diagnostic.line)}
    return result


def _lines(diagnostics) -> list[tuple[str, str]]:
    """(severity, `file:line: field: message`) for stderr: the file is the object's source file when known, else
    `Kind/name` (lines within the object)."""
    return [(d.severity, ": ".join(part for part in (_place(d), d.field, d.message) if part)) for d in diagnostics]


def _place(diagnostic: Diagnostic) -> str:
    if diagnostic.file.startswith("<"):  # <stdin>: the ResourceList itself, which the user never saw
        return ""
    return f"{diagnostic.file}:{diagnostic.line}" if diagnostic.line else diagnostic.file


def dump(resource_list: dict, as_json: bool) -> str:
    """The ResourceList's text (emit/resource_list.py)."""
    from aimc.emit import resource_list as resource_list_text

    return resource_list_text.text(resource_list, as_json)
