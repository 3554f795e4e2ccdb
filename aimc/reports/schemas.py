"""`aimc schema`: the JSON Schemas aimc validates with, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

import json
from pathlib import Path

from aimc.catalog.files import data_text
from aimc.errors import Diagnostic, UserError, did_you_mean
from aimc.records import Record

# The name users pass (a kind, or what the document is), and the shipped file. Order: what users edit most first.
SCHEMAS = (
    ("AIMEndpoint", "aimendpoint.json"),
    ("ClusterInventory", "clusterinventory.json"),
    ("AIMModel", "aimmodel.json"),
    ("AIMBenchmarkScenario", "aimbenchmarkscenario.json"),
    ("recipe", "aimrecipe.json"),
    ("profile", "aimprofile.json"),
)


class SchemaFile(Record):
    name: str
    file: str
    schema_id: str
    title: str

    def modeline(self, location: str | None = None) -> str:
        return f"# yaml-language-server: $schema={location or self.schema_id}"


def available() -> list[SchemaFile]:
    out = []
    for name, file in SCHEMAS:
        schema = json.loads(text_of(file))
        out.append(SchemaFile(name, file, schema.get("$id", ""), schema.get("title", name)))
    return out


def find(name: str) -> SchemaFile:
    """By kind (`AIMEndpoint`), short name (`recipe`) or file name (`aimrecipe`, `aimrecipe.json`), any case."""
    wanted = name.lower().removesuffix(".json")
    for schema in available():
        if wanted in (schema.name.lower(), schema.file.removesuffix(".json")):
            return schema
    names = [n for n, _ in SCHEMAS]
    raise UserError([Diagnostic("aimc schema", 0, "", f"unknown schema '{name}'{did_you_mean(name, names)}; "
                                                      f"valid: {', '.join(names)}")])


def text_of(file: str) -> str:
    return data_text("schemas", file)


def list_text() -> str:
    rows = [("NAME", "FILE", "$ID")] + [(s.name, s.file, s.schema_id) for s in available()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = "".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n" for row in rows)
    # The local form first: it works offline and today; the $id form only where the schemas are served there.
    first = available()[0]
    return table + ("\nEditors with yaml-language-server validate a file against a schema exported with\n"
                    "`aimc schema --output-dir .schemas`, named by a path relative to the YAML file, e.g.:\n"
                    f"  # yaml-language-server: $schema=../.schemas/{first.file}\n"
                    "The $id form works only where the schemas are served at that address:\n"
                    f"  {first.modeline()}\n")


def export(directory: str, schemas: list[SchemaFile]) -> list[str]:
    """Write the schemas, byte for byte as shipped, into DIRECTORY; returns the paths written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for schema in schemas:
        path = root / schema.file
        path.write_text(text_of(schema.file), encoding="utf-8")
        written.append(path.as_posix())
    return written
