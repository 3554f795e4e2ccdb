"""Write aimc/catalog/preparsed.json: the built-in catalog's YAML files, parsed ahead of time (aimc/catalog/preparsed.py).

    python3 tools/gen_preparsed.py            # rewrite the file from aimc/catalog/*.yaml and recipes/
    python3 tools/gen_preparsed.py --check    # exit 1 when the file differs (tests/test_catalog_preparsed.py runs it)

Run it after changing a built-in recipe or a YAML file of the catalog package. A stale entry is only slower, never
wrong: aimc parses a file whose text does not match its entry's SHA-256 from the YAML, as before.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
import yaml  # noqa: E402

from aimc.catalog import preparsed  # noqa: E402
from aimc.catalog.files import CATALOG_DIR, PREPARSED, PREPARSED_FORMAT, data_dir  # noqa: E402
from aimc.digest import sha256_hex  # noqa: E402
from aimc.errors import Collector  # noqa: E402
from aimc.load.documents import discover, load_file  # noqa: E402


def catalog_entry(name: str) -> dict:
    """`name`'s documents as files.read_yaml_documents reads them (PyYAML's safe loader, C where available)."""
    text = (CATALOG_DIR / name).read_text(encoding="utf-8")
    documents = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    _check_json_exact(documents, name)
    return {"sha256": sha256_hex(text), "documents": documents}


def recipe_entries() -> dict[str, dict]:
    """Each built-in recipe file's documents as load.documents.load_file reads them, keyed by its path under
    recipes/."""
    collector = Collector()
    files = discover([str(data_dir("recipes"))], collector)
    out = {}
    for source_file in files:
        documents = load_file(source_file, collector)
        encoded = [[doc.index, doc.line, doc.kind, preparsed.encode_tree(doc.data)] for doc in documents]
        _check_json_exact(encoded, source_file.source)
        out[f"recipes/{source_file.source}"] = {"sha256": sha256_hex(source_file.text), "documents": encoded}
    if collector.errors:
        raise SystemExit("the built-in recipes do not load:\n" + "\n".join(d.format() for d in collector.errors))
    return out


def _check_json_exact(value, where: str) -> None:
    """JSON keeps every value of these files as it is (no dates, no non-string keys, floats exact)."""
    if not _same(msgspec.json.decode(msgspec.json.encode(value)), value):
        raise SystemExit(f"{where}: holds a value JSON cannot keep exactly (a date, a non-string key...); quote it")


def _same(a, b) -> bool:
    if type(a) is not type(b):  # 1 and 1.0 and True are equal in Python, not here
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def content() -> str:
    """The file's text: one entry per line, so that a change to one file is one changed line."""
    entries = {f"catalog/{name}": catalog_entry(name)
               for name in sorted(os.listdir(CATALOG_DIR)) if name.endswith(".yaml")}
    entries.update(recipe_entries())
    lines = [msgspec.json.encode(key).decode() + ":" + msgspec.json.encode(entry).decode()
             for key, entry in sorted(entries.items())]
    return f'{{"format":{PREPARSED_FORMAT},"entries":{{\n' + ",\n".join(lines) + "\n}}\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is not current")
    args = parser.parse_args(argv)
    text = content()
    if args.check:
        current = PREPARSED.read_text(encoding="utf-8") if PREPARSED.is_file() else ""
        if current != text:
            print(f"{PREPARSED.relative_to(ROOT)} is stale: run `python3 tools/gen_preparsed.py`",
                  file=sys.stderr)
            return 1
        return 0
    PREPARSED.write_text(text, encoding="utf-8")
    print(f"wrote {PREPARSED.relative_to(ROOT)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
