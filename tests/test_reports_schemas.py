"""aimc schema: the shipped JSON Schemas, printed or exported for editors."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from conftest import REPO


@pytest.mark.parametrize("name,file", [("AIMEndpoint", "aimendpoint.json"), ("clusterinventory", "clusterinventory.json"),
                                       ("recipe", "aimrecipe.json"), ("aimprofile.json", "aimprofile.json")])
def test_prints_the_schema_byte_for_byte(aimc, name, file):
    result = aimc("schema", name)
    assert result.code == 0
    assert result.out == (REPO / "schemas" / file).read_text()


def test_list_names_every_schema_and_the_modeline(aimc):
    result = aimc("schema", "--list")
    assert result.code == 0
    for name in ("AIMEndpoint", "ClusterInventory", "AIMModel", "recipe", "profile"):
        assert name in result.out
    assert "# yaml-language-server: $schema=https://aimc.dev/schemas/aimendpoint.json" in result.out
    assert aimc("schema").out == result.out


def test_unknown_kind_is_a_user_error_with_the_valid_names(aimc):
    result = aimc("schema", "AIMEndpiont")
    assert result.code == 1
    assert "unknown schema 'AIMEndpiont' (did you mean 'AIMEndpoint'?); valid: AIMEndpoint," in result.err


def test_output_dir_exports_schemas_that_validate_the_examples(aimc, tmp_path):
    result = aimc("schema", "--output-dir", str(tmp_path / "schemas"))
    assert result.code == 0
    exported = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert exported == sorted(p.name for p in (REPO / "schemas").glob("*.json"))
    endpoint_schema = json.loads((tmp_path / "schemas" / "aimendpoint.json").read_text())
    for path in (REPO / "examples/endpoints").glob("*.yaml"):
        jsonschema.Draft202012Validator(endpoint_schema).validate(yaml.safe_load(path.read_text()))
    one = aimc("schema", "ClusterInventory", "-o", str(tmp_path / "one"))
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["clusterinventory.json"]
    assert one.code == 0


def test_readme_documents_the_editor_modeline():
    page = (REPO / "docs" / "integrations" / "editors.md").read_text()
    assert page.startswith("# Editor support")
    assert "# yaml-language-server: $schema=" in page


def test_list_documents_the_local_path_form_first(aimc):
    out = aimc("schema", "--list").out
    local = out.index("$schema=../.schemas/aimendpoint.json")
    assert local < out.index("$schema=https://aimc.dev/schemas/aimendpoint.json")
    assert "only where the schemas are served" in out
