"""Values the JSON schemas let through but Kubernetes (or what aimc pastes them into) would refuse or misread.

- label keys and values, annotation keys, node selectors: Kubernetes' qualified-name and label-value rules;
- integers written as floats (`replicas: 2.0`): JSON Schema counts 2.0 as an integer, the API server does not;
- image references: the grammar of github.com/distribution/reference (what the kubelet's runtime parses);
- autoscaling metric names: a Prometheus metric name, since the name is pasted into a PromQL query;
- `$(VAR)` in a flag or environment value: Kubernetes replaces it with the container's variable VAR (an API key,
  the Hugging Face token), so it is a warning naming the variable (an error under --strict). The documented way
  to hand a Secret to a credential flag (`--api-key: "$(API_KEY)"`, the whole value) is the exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from aimc.errors import Diagnostic, quote
from aimc.load.yaml_positions import format_path, line_of
from aimc.validate.secrets import SECRET_FLAGS

_LABEL_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(f"(?:{_LABEL_NAME})?")
_QUALIFIED_NAME_RULE = ("a qualified name: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, "
                        "'-', '_' or '.', starting and ending with a letter or digit")
_PROMETHEUS_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# $(NAME) is expanded by the kubelet in command, args and env values; $$(NAME) is the escape for the literal text.
_VARIABLE_REFERENCE = re.compile(r"(?<!\$)(?:\$\$)*\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")

# github.com/distribution/reference, regexp.go
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = f"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_REFERENCE = re.compile(rf"({_NAME})(?::([\w][\w.-]{{0,127}}))?"
                        r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*)"
                        r":([0-9a-fA-F]{32,}))?")
NAME_TOTAL_LENGTH_MAX = 255
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def label_key_problem(key) -> str | None:
    if not isinstance(key, str):
        return None  # the schema reports keys that are not strings
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"key {quote(key)} is not valid: its prefix must be a DNS subdomain of at most 253 characters"
    if not re.fullmatch(_LABEL_NAME, name):
        return f"key {quote(key)} is not valid: expected {_QUALIFIED_NAME_RULE}"
    return None


def label_value_problem(value) -> str | None:
    if isinstance(value, str) and not _LABEL_VALUE.fullmatch(value):
        return (f"{quote(value)} is not a valid label value: at most 63 letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit (or empty)")
    return None


def image_reference_problem(image: str) -> str | None:
    """Why `image` is not a reference the container runtime can parse, or None."""
    match = _REFERENCE.fullmatch(image)
    if match is None:
        return (f"image {quote(image)} is not a valid image reference: expected [registry/]repository[:tag][@digest] "
                "with a lowercase repository (letters, digits, and '.', '_', '__' or '-' between them)")
    name, _, algorithm, digest = match.groups()
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        return f"image {quote(image)} is not valid: its name is {len(name)} characters, at most {NAME_TOTAL_LENGTH_MAX}"
    expected = _DIGEST_LENGTHS.get(algorithm or "")
    if expected and len(digest) != expected:
        return f"image {quote(image)} is not valid: a {algorithm} digest has {expected} hexadecimal digits"
    return None


def image_problem(image: str) -> str | None:
    """Images must be references the runtime parses (the distribution grammar), and pinned: a tag other than
    `latest`, or a digest."""
    malformed = image_reference_problem(image)
    if malformed:
        return malformed
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return f"image '{image}' has no tag: pin a version (e.g. '{image}:<version>') or a digest"
    if tag == "latest":
        return f"image '{image}' uses the 'latest' tag: pin a version or a digest so every sync runs the same bits"
    return None


def problems(kind: str, data, file: str, line: int, schema: dict) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Problems of one schema-valid document (endpoint, inventory, recipe or profile): first those of values later
    stages cannot use (a float where an integer belongs; a metric name that is no Prometheus name, which the
    autoscaling checks and objects are built from), then the others (a label, a `$(VAR)` reference), with which
    the record is still built and checked further."""
    unusable: list[Diagnostic] = []
    out: list[Diagnostic] = []

    def add(path: tuple, message: str, severity: str = "error", to: list[Diagnostic] = out) -> None:
        to.append(Diagnostic(file, line_of(data, path, line), format_path(path), message, severity))

    floats: set[int] = set()
    references: list[tuple[tuple, str]] = []
    _scan(data, (), floats, references)
    for path in sorted(set(_integral_floats(data, schema, schema, (), floats)), key=str):
        add(path, f"{_at(data, path)} is not valid; expected a whole number written without a decimal point "
                  "(Kubernetes reads integers only)", to=unusable)
    if kind == "endpoint":
        metadata = data.get("metadata") or {}
        for field in ("labels", "annotations"):
            for key, value in (metadata.get(field) or {}).items():
                problem = label_key_problem(key) or (label_value_problem(value) if field == "labels" else None)
                if problem:
                    add(("metadata", field, key), problem)
        for where in _autoscaling_paths(data):
            metric = (_at(data, where) or {}).get("metric") or {}
            name = metric.get("name")
            if isinstance(name, str) and not _PROMETHEUS_NAME.fullmatch(name):
                add((*where, "metric", "name"),
                    f"{quote(name)} is not a Prometheus metric name: letters, digits, '_' and ':', not starting "
                    "with a digit (e.g. vllm:num_requests_waiting)", to=unusable)
    if kind == "inventory":
        for index, pool in enumerate((data.get("spec") or {}).get("nodePools") or ()):
            for key, value in (pool.get("nodeSelector") or {}).items():
                problem = label_key_problem(key) or label_value_problem(value)
                if problem:
                    add(("spec", "nodePools", index, "nodeSelector", key), problem)
    if kind in ("endpoint", "recipe", "profile"):
        for path, text in references:
            if path and path[-1] in SECRET_FLAGS and _VARIABLE_REFERENCE.fullmatch(text):
                continue  # a credential flag reading a Secret through the environment: what the README advises
            for variable in dict.fromkeys(_VARIABLE_REFERENCE.findall(text)):
                add(path, f"'$({variable})' is replaced by Kubernetes with the container's environment variable "
                          f"{variable} when the pod defines it (e.g. a token): write '$$({variable})' for the literal "
                          "text", "warning")
    return unusable, out


def _autoscaling_paths(data) -> list[tuple]:
    """Where an endpoint may hold an autoScaling (schema-valid already): spec's, and each disaggregated role's."""
    spec = data.get("spec") or {}
    paths: list[tuple] = [("spec", "autoScaling")] if isinstance(spec.get("autoScaling"), dict) else []
    roles = spec.get("disaggregation") or {}
    return paths + [("spec", "disaggregation", role, "autoScaling") for role in ("prefill", "decode")
                    if isinstance((roles.get(role) or {}).get("autoScaling"), dict)]


def _at(data, path):
    for part in path:
        data = data[part]
    return data


def _scan(value, path: tuple, floats: set[int], references: list) -> bool:
    """One walk of a document for both checks: whether `value` holds a float (the id of every mapping and list that
    does goes into `floats`, so the schema walk skips the others) and every string with `$(` (its path and text,
    appended to `references`, in document order). Paths are only built for collections."""
    if isinstance(value, str):
        if "$(" in value:
            references.append((path, value))
        return False
    if isinstance(value, float):
        return True
    items: Iterable[tuple[object, object]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return False
    found = False
    for key, child in items:
        if isinstance(child, str):
            if "$(" in child:
                references.append(((*path, key), child))
        elif isinstance(child, float) or (isinstance(child, (dict, list))
                                          and _scan(child, (*path, key), floats, references)):
            found = True
    if found:
        floats.add(id(value))
    return found


def _integral_floats(value, node, root: dict, path: tuple, floats: set[int]):
    """Paths of float values where the schema asks for an integer (JSON Schema's `integer` accepts 2.0). `floats`:
    the ids of the collections that hold a float (`_scan`); the walk does not enter the others, which have none."""
    if not isinstance(value, float) and id(value) not in floats:
        return
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if not isinstance(node, dict):
        return
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if isinstance(value, float) and "integer" in types and "number" not in types:
        yield path
    for combinator in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(combinator) or ():
            yield from _integral_floats(value, branch, root, path, floats)
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        for key, child in value.items():
            patterns = [sub for pattern, sub in (node.get("patternProperties") or {}).items()
                        if isinstance(key, str) and re.search(pattern, key)]
            if key in properties:
                yield from _integral_floats(child, properties[key], root, path + (key,), floats)
            elif patterns:
                for sub in patterns:
                    yield from _integral_floats(child, sub, root, path + (key,), floats)
            elif isinstance(node.get("additionalProperties"), dict):
                yield from _integral_floats(child, node["additionalProperties"], root, path + (key,), floats)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, child in enumerate(value):
            yield from _integral_floats(child, node["items"], root, path + (index,), floats)
