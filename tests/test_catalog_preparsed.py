"""aimc/catalog/preparsed.json: the built-in catalog's YAML parsed ahead of time (issue 24). It must be current, give
exactly what parsing the YAML gives (values, types, lines), and never be used for a text it was not made from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from aimc.catalog import files, preparsed
from aimc.errors import Collector
from aimc.load.documents import SourceFile, load_file
from aimc.load.yaml_positions import PosDict, PosList
from aimc.validate import recipes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import gen_preparsed  # tools/ is no package: the generator is a script with a main

CATALOG_YAML = sorted(name for name in os.listdir(files.CATALOG_DIR) if name.endswith(".yaml"))


def same(a, b, where="") -> None:
    """a and b are equal, of the same types all the way down (1, 1.0 and True are not), with the same lines."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, PosDict):
        assert (a.line, a.key_lines) == (b.line, b.key_lines), where
    if isinstance(a, PosList):
        assert (a.line, a.item_lines) == (b.line, b.item_lines), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def test_the_file_is_current():
    assert gen_preparsed.main(["--check"]) == 0, "run `python3 tools/gen_preparsed.py` and commit the result"


@pytest.mark.parametrize("name", CATALOG_YAML)
def test_catalog_files_read_as_pyyaml_reads_them(name):
    text = (files.CATALOG_DIR / name).read_text(encoding="utf-8")
    entry = files.preparsed_entry(f"catalog/{name}", text)
    assert entry is not None, f"{name} has no current entry"
    stored = entry["documents"]
    same(stored, list(yaml.load_all(text, Loader=yaml.CSafeLoader)), name)
    same(files.read_yaml_documents(name), stored, name)


def test_every_builtin_recipe_reads_as_the_loader_reads_it():
    source_files = recipes._builtin_files()
    assert len(source_files) > 20
    for source_file in source_files:
        stored = preparsed.recipe_documents(source_file)
        assert stored is not None, f"{source_file.source} has no current entry"
        parsed = load_file(source_file, Collector())
        assert stored == parsed  # file, source, index, line, kind
        for mine, theirs in zip(stored, parsed):
            same(mine.data, theirs.data, source_file.source)


def test_a_changed_recipe_is_parsed_from_its_text():
    source_file = recipes._builtin_files()[0]
    changed = source_file.text.replace("enabled: true", "enabled: false", 1)
    assert changed != source_file.text
    edited = SourceFile(source_file.path, source_file.source, changed)
    assert preparsed.recipe_documents(edited) is None
    assert preparsed.recipe_documents(SourceFile(source_file.path, "not-shipped.yaml", source_file.text)) is None


def test_a_changed_catalog_file_is_parsed_from_its_text(monkeypatch):
    text = (files.CATALOG_DIR / "hardware.yaml").read_text(encoding="utf-8")
    changed = text + "\nextra_key_for_the_test: 1\n"
    assert files.preparsed_entry("catalog/hardware.yaml", changed) is None
    monkeypatch.setattr(files, "_catalog_text", lambda name: changed)
    assert files.read_yaml("hardware.yaml")["extra_key_for_the_test"] == 1


def test_objects_are_not_shared_between_readers():
    first = files.read_yaml("hardware.yaml")
    first.clear()
    assert files.read_yaml("hardware.yaml")


@pytest.mark.parametrize("content", [None, b'{"format":999,"entries":{}}'])
def test_a_missing_or_foreign_file_means_parsing(monkeypatch, tmp_path, content):
    path = tmp_path / "preparsed.json"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setattr(files, "PREPARSED", path)
    files._preparsed_entries.cache_clear()
    try:
        assert preparsed.recipe_documents(recipes._builtin_files()[0]) is None
        assert files.read_yaml("hardware.yaml")["gpus"]
    finally:
        files._preparsed_entries.cache_clear()
