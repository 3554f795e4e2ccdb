"""diff: what changes between two renders, per object and field by field. Pure: objects in, a Report out.

Objects are matched by kind, namespace and name. Before comparing, lists whose order Kubernetes ignores are made
order-free, and nothing else is, because order often matters (container `args`, `command`):

- lists of named items (`containers`, `env`, `ports`, `volumes`, `volumeMounts`, ...) whose items all carry a
  distinct `name` become mappings by name — the API server merges them by name, and a path like
  `containers[vllm].env[HIP_VISIBLE_DEVICES].value` reads better than an index;
- `tolerations` and a Service's `ports` without names are sets: they are sorted.

deepdiff is imported here, so only `aimc diff` pays for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aimc.emit.output import dump_yaml, plain
from aimc.emit.scalars import markdown_block, markdown_code, markdown_text
from aimc.errors import comment_text
from aimc.records import Record, serialisable
from aimc.reports.typed_compare import missed_by_deepdiff

# Lists the API server merges by the items' `name` (patchMergeKey: name) or treats as keyed by name.
NAMED_LISTS = frozenset({
    "containers", "initContainers", "ephemeralContainers", "env", "ports", "volumes", "volumeMounts",
    "volumeDevices", "imagePullSecrets", "hostAliases", "resourceClaims",
})
# Lists whose order has no meaning at all.
SET_LISTS = frozenset({"tolerations", "ports", "finalizers"})


class FieldChange(Record):
    path: str  # e.g. spec.template.spec.containers[vllm].args[3]
    change: str  # changed | added | removed
    old: object = None
    new: object = None


class ObjectDiff(Record):
    kind: str
    namespace: str
    name: str
    status: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()
    old: dict | None = None
    new: dict | None = None

    @property
    def title(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


class Report(Record):
    base: str  # labels of the two sides, e.g. "origin/main" and "working tree"
    head: str
    objects: tuple[ObjectDiff, ...]
    unchanged: int

    @property
    def differs(self) -> bool:
        return bool(self.objects)

    def count(self, status: str) -> int:
        return sum(1 for o in self.objects if o.status == status)

    def summary(self) -> str:
        if not self.objects:
            return f"no changes ({self.unchanged} objects unchanged)"
        parts = [f"{self.count(s)} {s}" for s in ("added", "removed", "changed") if self.count(s)]
        return f"{', '.join(parts)} ({self.unchanged} unchanged)"


def object_key(obj: Mapping) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def compare(base: list[Mapping], head: list[Mapping], base_label: str, head_label: str) -> Report:
    """Every added, removed and changed object, in the order aimc emits objects (kind, namespace, name)."""
    old_by_key = {object_key(o): o for o in base}
    new_by_key = {object_key(o): o for o in head}
    diffs, unchanged = [], 0
    for key in sorted(old_by_key.keys() | new_by_key.keys(), key=_emit_order):
        old, new = old_by_key.get(key), new_by_key.get(key)
        if old is None:
            diffs.append(ObjectDiff(*key, "added", new=plain(new)))
        elif new is None:
            diffs.append(ObjectDiff(*key, "removed", old=plain(old)))
        elif _canonical(old) == _canonical(new):
            unchanged += 1
        else:
            old, new = plain(old), plain(new)
            changes = field_changes(old, new)
            if changes:
                diffs.append(ObjectDiff(*key, "changed", changes, old, new))
            else:
                unchanged += 1
    return Report(base_label, head_label, tuple(diffs), unchanged)


def _canonical(obj: Mapping) -> bytes:
    """The object as JSON with sorted keys: equal bytes mean equal objects, YAML types included (`true`, `1`, `1.0`
    and `"1"` encode differently, where Python's `==` takes `True == 1 == 1.0`). Objects with equal forms need no
    field-by-field comparison; DeepDiff, about 50x slower, runs only on the few that differ (issue 24)."""
    import msgspec

    return msgspec.json.encode(serialisable(obj), order="sorted")  # a serialiser: reads the tree, never writes


def _emit_order(key: tuple[str, str, str]):
    from aimc.emit.output import KIND_ORDER

    kind = key[0]
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER),) + key


def field_changes(old: dict, new: dict) -> tuple[FieldChange, ...]:
    from aimc.reports.deepdiff_import import deepdiff_module

    keyed: set[tuple] = set()
    old_n, new_n = normalise(old, (), keyed), normalise(new, (), keyed)
    delta = deepdiff_module().DeepDiff(old_n, new_n, view="tree")
    changes, reported = [], []
    for report_type, levels in delta.items():
        change = _CHANGE_OF.get(report_type)
        if change is None:  # pragma: no cover - other report types (e.g. repetition) need ignore_order
            continue
        for level in levels:
            elements = level.path(output_format="list")
            reported.append(tuple(elements))
            old_value = None if change == "added" else _value(level.t1)
            new_value = None if change == "removed" else _value(level.t2)
            changes.append(FieldChange(format_path(elements, keyed) + _flag_of(level), change, old_value, new_value))
    for elements, old_value, new_value, flag in missed_by_deepdiff(old_n, new_n, reported):  # 1 / 1.0 / true
        changes.append(FieldChange(format_path(list(elements), keyed) + flag, "changed", old_value, new_value))
    return tuple(sorted(changes, key=lambda c: (_path_sort_key(c.path), c.change)))


_CHANGE_OF = {
    "values_changed": "changed", "type_changes": "changed",
    "dictionary_item_added": "added", "iterable_item_added": "added",
    "dictionary_item_removed": "removed", "iterable_item_removed": "removed",
}


def _flag_of(level) -> str:
    """For a value on a command line, the flag it belongs to: `args[7] (--tensor-parallel-size)`."""
    path = level.path(output_format="list")
    index = path[-1] if path else None
    if not isinstance(index, int) or index == 0 or level.up is None:
        return ""
    value = _value(level.t2) if _value(level.t2) is not None else _value(level.t1)
    items = level.up.t2 if isinstance(level.up.t2, list) else level.up.t1
    before = items[index - 1] if isinstance(items, list) and index - 1 < len(items) else None
    if isinstance(before, str) and before.startswith("--") and not str(value).startswith("--"):
        return f" ({before})"
    return ""


def _value(value):
    from deepdiff.helper import NotPresent

    return None if isinstance(value, NotPresent) else value


def normalise(value, path: tuple, keyed: set):
    """The object with order-free lists made order-free (see the module docstring). `keyed` collects the paths of
    lists turned into mappings by name, so that `format_path` writes `[name]` rather than `.name` for them."""
    if isinstance(value, dict):
        return {k: normalise(v, path + (k,), keyed) for k, v in value.items()}
    if isinstance(value, list):
        name = path[-1] if path else None
        if name in NAMED_LISTS and _all_named(value):
            keyed.add(path)
            return {item["name"]: normalise(item, path + (item["name"],), keyed) for item in value}
        items = [normalise(v, path + (i,), keyed) for i, v in enumerate(value)]
        if name in SET_LISTS:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
        return items
    return value


def _all_named(items: list) -> bool:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    return len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(elements: list, keyed: set) -> str:
    """`spec.template.spec.containers[vllm].resources.limits["amd.com/gpu"]`."""
    out = ""
    prefix: tuple = ()
    for element in elements:
        if prefix in keyed or isinstance(element, int):
            out += f"[{element}]"
        elif _PLAIN_KEY.match(str(element)):
            out += f".{element}" if out else str(element)
        else:
            out += f'["{element}"]'
        prefix += (element,)
    return out


def _path_sort_key(path: str):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\[\]\"]+", path) if p]


# -- formats ------------------------------------------------------------------------------------------------

# GitHub refuses comments longer than 65,536 characters; keep a margin for what a workflow adds around it.
MARKDOWN_LIMIT = 60_000
STATUS_MARK = {"added": "+", "removed": "-", "changed": "~"}
STATUS_COLOUR = {"added": "green", "removed": "red", "changed": "yellow"}


def show(value) -> str:
    """A value on one line: strings bare, everything else as compact JSON."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if value and "\n" not in value and value.strip() == value else json.dumps(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=str)


def to_text(report: Report, colour: bool) -> str:
    import click

    def paint(text: str, status: str) -> str:
        # One printable line: a revision, a path or a value holding a line break or an escape sequence is escaped
        # before aimc's own colour is added.
        text = text if text.isprintable() else comment_text(text)
        return click.style(text, fg=STATUS_COLOUR[status]) if colour and status else text

    lines = [paint(f"aimc diff {report.base} → {report.head}", "")]
    for obj in report.objects:
        lines.append(paint(f"{STATUS_MARK[obj.status]} {obj.title} ({obj.status})", obj.status))
        for change in obj.fields:
            if change.change == "changed":
                lines.append(paint(f"    {change.path}: {show(change.old)} → {show(change.new)}", ""))
            elif change.change == "added":
                lines.append(paint(f"    + {change.path}: {show(change.new)}", "added"))
            else:
                lines.append(paint(f"    - {change.path}: {show(change.old)}", "removed"))
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> str:
    document = {
        "base": report.base,
        "head": report.head,
        "differs": report.differs,
        "summary": {s: report.count(s) for s in ("added", "removed", "changed")} | {"unchanged": report.unchanged},
        "objects": [_object_json(o) for o in report.objects],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def _object_json(obj: ObjectDiff) -> dict:
    out: dict[str, object] = {"kind": obj.kind, "namespace": obj.namespace, "name": obj.name, "status": obj.status}
    if obj.status == "changed":
        out["changes"] = [{"path": c.path, "change": c.change, "old": c.old, "new": c.new} for c in obj.fields]
    else:
        out["object"] = obj.new if obj.status == "added" else obj.old
    return out


def to_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment, from the template shipped in aimc/reports/templates/diff.md.j2, as detailed as fits in
    LIMIT characters."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("aimc.reports", "templates"), autoescape=False,
                                     keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    # Text from the inputs (revisions, object titles, field paths, values) reaches the comment only through these
    # filters: code spans and fences that it cannot close, Markdown escaped (emit/scalars.markdown_text).
    environment.filters["cell"] = _markdown_cell
    environment.filters["code"] = markdown_code
    environment.filters["text"] = markdown_text
    environment.filters["fenced_yaml"] = lambda obj: markdown_block(dump_yaml(obj).rstrip("\n"), "yaml")
    template = environment.get_template("diff.md.j2")
    for detail in ("full", "fields", "summary"):
        text = template.render(report=report, mark=MARKDOWN_MARK, detail=detail).rstrip("\n") + "\n"
        if len(text) <= limit:
            break
    return text


MARKDOWN_MARK = {"added": "➕", "removed": "➖", "changed": "✏️"}


def _markdown_cell(value, present: bool = True) -> str:
    """A value inside a table cell: code-formatted, pipes escaped, on one line."""
    return markdown_code(show(value), in_table=True) if present else ""
