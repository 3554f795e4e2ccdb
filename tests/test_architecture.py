"""Rules of the layout (see /work/shared/design.md) that a grep can check."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aimc"
SOURCES = {path: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_no_global_state():
    assert [_relative(p) for p, text in SOURCES.items() if re.search(r"^\s*global\s", text, re.M)] == []


def test_bytes_per_parameter_is_defined_once():
    defined = [_relative(p) for p, text in SOURCES.items() if re.search(r"^BYTES_PER_PARAMETER\s*=", text, re.M)]
    assert defined == ["aimc/catalog/model_facts.py"]


def test_built_in_data_is_read_only_through_the_catalog_loader():
    """hardware.yaml, models.yaml and the flag sets are read with catalog.files.read_yaml / read_json only."""
    calls = [(_relative(p), m.group(1)) for p, text in SOURCES.items()
             for m in re.finditer(r"(\w+)\(\s*f?[\"'](?:hardware\.yaml|models\.yaml|engines/)", text)]
    assert calls and {function for _, function in calls} <= {"read_yaml", "read_json"}, calls


def test_the_plan_and_the_inputs_hand_out_typed_fields_only():
    for name in ("inputs", "plan"):
        text = SOURCES[PACKAGE / "model" / f"{name}.py"]
        assert not re.search(r"def (spec|setting|fact)\(", text), name
        assert "Pairs = tuple\n" not in text


def test_every_module_fits_on_a_screen_or_two():
    assert [(_relative(p), n) for p in SOURCES if (n := SOURCES[p].count("\n")) > 300] == []


def test_the_second_schema_engine_is_gone():
    assert not (PACKAGE / "validate" / "schemacheck.py").exists()
