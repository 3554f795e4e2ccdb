"""The one loader of aimc's built-in data.

Two places hold it, both found from this file's own folder, which is the package's folder in a wheel, an editable
install and a source checkout alike (aimc is not importable from a zip file). Not through `importlib.resources`:
importing it (with `tempfile`, `shutil`, `zipfile` behind it) cost ~5 ms of every start-up (issue 24).

- the catalog files inside this package (`aimc/catalog/hardware.yaml`, `models.yaml`, `engines/*.json`), read with
  `read_yaml` / `read_json`;
- the folders users edit at the top of the repository (`recipes/`, `schemas/`), which the wheel carries as
  `aimc/_data/<name>`; `data_dir` finds them.

Parsing is not memoised here: each typed view of the data (`model_facts.hardware()`, `model_facts.builtin_models()`,
`flag_sets.read_flag_set()`, `validate.recipes.builtin_catalog()`) is cached over these readers, as a function of no
argument (`functools.cache`) or of catalog names only (`memo.catalog_cache`), so every file is parsed once per
process, the same for every compile, and no module keeps a mutable global that tests would have to reset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).parent  # the package aimc.catalog
PACKAGE_DIR = CATALOG_DIR.parent  # the package aimc


def _catalog_text(name: str) -> str:
    return (CATALOG_DIR / name).read_text(encoding="utf-8")


def read_yaml(name: str) -> Any:
    """A YAML file of the catalog package (e.g. `hardware.yaml`), parsed with PyYAML's C loader where available."""
    import yaml  # imported on first use: the commands that never read the catalog do not pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(_catalog_text(name), Loader=loader)


def read_yaml_documents(name: str) -> list[Any]:
    """Every document of a multi-document YAML file of the catalog package (e.g. `benchmark-scenarios.yaml`)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(_catalog_text(name), Loader=loader))


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
