"""Checks of pass-through Kubernetes objects: what aimc relies on to order, name and write them."""

from __future__ import annotations

import re

from aimc.errors import Diagnostic, describe
from aimc.load.documents import Document
from aimc.load.yaml_positions import format_path, line_of

# What aimc itself relies on in an object it passes through: it sorts by kind, namespace and name, writes
# `<namespace>/<kind>-<name>.yaml` under --output-dir, and reads labels. Everything else is the cluster's business.
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+[a-z0-9]*$")
_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_FORBIDDEN_IN_NAME = re.compile(r"[/%\x00-\x20\x7f]")


def object_problems(doc: Document) -> list[Diagnostic]:
    """Problems of a pass-through Kubernetes object that would make aimc render it wrong (or write outside -o)."""
    data, problems = doc.data, []

    def problem(path: tuple, message: str) -> None:
        problems.append(doc.diag(line_of(data, path, doc.line), format_path(path), message))

    if not _API_VERSION.match(data["apiVersion"]):
        problem(("apiVersion",), f"{data['apiVersion']!r} is not a Kubernetes apiVersion (e.g. 'v1', 'apps/v1')")
    if not _KIND.match(data["kind"]):
        problem(("kind",), f"{data['kind']!r} is not a Kubernetes kind (letters and digits, e.g. 'ConfigMap')")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        problem(("metadata",), "missing or not a mapping: every Kubernetes object needs metadata.name")
        return problems
    name = metadata.get("name")
    if name is None and metadata.get("generateName") is None:
        problem(("metadata",), "missing required field 'name'")
    for key in ("name", "generateName"):
        value = metadata.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > 253
                                  or value in (".", "..") or _FORBIDDEN_IN_NAME.search(value)):
            problem(("metadata", key), f"{value!r} is not a valid object name: a non-empty string of at most 253 "
                                       "characters without '/', '%', spaces or control characters")
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or len(namespace) > 63
                                  or not _DNS_1123_LABEL.match(namespace)):
        problem(("metadata", "namespace"), f"{namespace!r} is not a valid namespace: a DNS-1123 label (lowercase "
                                           "letters, digits and '-', at most 63 characters)")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            problem(("metadata", key), f"{describe(value)} is not valid; expected a mapping of strings to strings")
            continue
        for item_key, item in value.items():
            if not isinstance(item, str):
                problem(("metadata", key, item_key), f"{describe(item)} is not valid; expected a string (quote it)")
    return problems


def is_previous_output(data: dict) -> bool:
    """Objects aimc rendered earlier (a committed render folder among the inputs) are not inputs."""
    labels = (data.get("metadata") or {}).get("labels") or {}
    return isinstance(labels, dict) and labels.get("app.kubernetes.io/managed-by") == "aimc"
