"""Where package data lives: inside the wheel (aimc/_data) or, from a source checkout, at the repository top."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """Folder of shipped data (`recipes` or `schemas`)."""
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name


def catalog_file(name: str) -> Path:
    return _PACKAGE_DIR / "catalog" / name
