"""The one loader of aimc's built-in data.

Two places hold it, both found from this file's own folder, which is the package's folder in a wheel, an editable
install and a source checkout alike (aimc is not importable from a zip file). Not through `importlib.resources`:
importing it (with `tempfile`, `shutil`, `zipfile` behind it) cost ~5 ms of every start-up (issue 24).

- the catalog files inside this package (`aimc/catalog/hardware.yaml`, `models.yaml`, `engines/*.json`), read with
  `read_yaml` / `read_json`;
- the folders users edit at the top of the repository (`recipes/`, `schemas/`), which the wheel carries as
  `aimc/_data/<name>`; `data_dir` finds them.

The YAML files (and the built-in recipes) are read from `preparsed.json` when it holds an entry made from their
current text (catalog/preparsed.py). Parsing is not memoised here: each typed view of the data
(`model_facts.hardware()`, `model_facts.builtin_models()`, `flag_sets.read_flag_set()`,
`validate.recipes.builtin_catalog()`) is cached over these readers, as a function of no argument (`functools.cache`)
or of catalog names only (`memo.catalog_cache`), so every file is parsed once per process, the same for every
compile, and no module keeps a mutable global that tests would have to reset.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from aimc.digest import sha256_hex

CATALOG_DIR = Path(__file__).parent  # the package aimc.catalog
PACKAGE_DIR = CATALOG_DIR.parent  # the package aimc
# The built-in catalog's YAML files parsed ahead of time (catalog/preparsed.py, tools/gen_preparsed.py).
PREPARSED = CATALOG_DIR / "preparsed.json"
PREPARSED_FORMAT = 1  # bumped when the encoding changes: a file of another format is not read


def _catalog_text(name: str) -> str:
    return (CATALOG_DIR / name).read_text(encoding="utf-8")


def read_yaml(name: str) -> Any:
    """A YAML file of the catalog package (e.g. `hardware.yaml`), parsed with PyYAML's C loader where available
    (or read from catalog/preparsed.json, made from the same text)."""
    text = _catalog_text(name)
    documents = _preparsed(name, text)
    if documents is not None and len(documents) == 1:
        return documents[0]
    import yaml  # imported on first use: the commands that never read the catalog do not pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def read_yaml_documents(name: str) -> list[Any]:
    """Every document of a multi-document YAML file of the catalog package (e.g. `benchmark-scenarios.yaml`)."""
    text = _catalog_text(name)
    documents = _preparsed(name, text)
    if documents is not None:
        return documents
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))


def _preparsed(name: str, text: str) -> list[Any] | None:
    entry = preparsed_entry(f"catalog/{name}", text)
    return None if entry is None else entry["documents"]


def preparsed_entry(key: str, text: str) -> dict | None:
    """The entry of catalog/preparsed.json for `key` (`catalog/<name>`, `recipes/<path>`), freshly decoded, if it
    was made from `text` (its SHA-256); else None, and the caller parses the text. See catalog/preparsed.py."""
    import msgspec

    raw = _preparsed_entries().get(key)
    if raw is None:
        return None
    entry = msgspec.json.decode(raw)
    return entry if entry["sha256"] == sha256_hex(text) else None


@cache
def _preparsed_entries() -> dict:
    """Each entry's undecoded JSON, read once per process: aimc's own data, the same for every compile. An entry
    is decoded at each use, so no caller shares (and could change) another's objects. A missing file, or one of
    another format: no entries (everything is parsed)."""
    import msgspec

    try:
        raw = PREPARSED.read_bytes()
    except OSError:
        return {}
    content = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    if "format" not in content or msgspec.json.decode(content["format"]) != PREPARSED_FORMAT:
        return {}
    return msgspec.json.decode(content["entries"], type=dict[str, msgspec.Raw])


def catalog_names(folder: str) -> list[str]:
    """The file names in a folder of the catalog package (e.g. `engines`)."""
    return sorted(os.listdir(CATALOG_DIR / folder))


def read_json(name: str) -> Any:
    """A JSON file of the catalog package (e.g. `engines/vllm-0.11.1.json`)."""
    return json.loads(_catalog_text(name))


def data_text(folder: str, name: str) -> str:
    """A file of shipped data (e.g. `data_text("schemas", "aimendpoint.json")`): aimc's own, not input, so it is
    not read through the bounded reader of load/limits.py."""
    return (data_dir(folder) / name).read_text(encoding="utf-8")


def data_dir(name: str) -> Path:
    """Folder of shipped data (`recipes` or `schemas`): inside the wheel, else at the top of a source checkout."""
    packaged = PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / name
