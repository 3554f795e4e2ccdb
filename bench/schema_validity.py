"""Time the schema validity check of aimc (jsonschema-rs) against jsonschema on the same ~1,000 documents, in one run.

    python3 bench/schema_validity.py [--endpoints 1000] [--repeat 5]

Generates a repository (bench/generate.py: N endpoints, their inventory and Namespace objects), loads it and the
shipped recipes as `aimc build` does, and times, on every schema-checked document: `aimc.validate.schema.is_valid` (jsonschema-rs on
the schema with Python's regular-expression dialect), jsonschema-rs on the schema as written (what the translation
costs), and jsonschema's `Draft202012Validator.is_valid` (the reference, and what writes messages). Each figure is
the best of --repeat passes, validators already compiled; the import of each engine is timed in a fresh process.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import generate  # bench/ is not a package: a script next to this one)

from aimc.errors import Collector
from aimc.load import documents
from aimc.validate import schema


def best_of(repeat: int, check, docs) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for doc in docs:
            check(doc.kind, doc.data)
        times.append(time.perf_counter() - start)
    return min(times)


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
               for _ in range(3))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import jsonschema_rs

    with tempfile.TemporaryDirectory() as tmp:
        repo = generate.generate(args.endpoints, Path(tmp) / "repo", generate.builtin_catalog())
        collector = Collector()
        shipped = Path(__file__).resolve().parent.parent / "recipes"  # the other kinds: recipes and profiles
        docs = [doc for doc in documents.load(documents.discover([str(repo), str(shipped)], collector), collector)
                if doc.kind in schema.SCHEMA_FILES]
    as_written = {kind: jsonschema_rs.Draft202012Validator(schema.load_schema(kind)) for kind in schema.SCHEMA_FILES}
    engines = {
        "aimc (jsonschema-rs, Python dialect)": schema.is_valid,
        "jsonschema-rs, schema as written": lambda kind, data: as_written[kind].is_valid(data),
        "jsonschema": lambda kind, data: schema.validator(kind).is_valid(data),
    }
    for check in engines.values():  # compile every validator and check that all answer "valid" before timing
        assert all(check(doc.kind, doc.data) for doc in docs)
    times = {name: best_of(args.repeat, check, docs) for name, check in engines.items()}
    reference = times["jsonschema"]
    print(f"{len(docs)} documents ({', '.join(f'{k}: {sum(d.kind == k for d in docs)}' for k in schema.SCHEMA_FILES)}),"
          f" best of {args.repeat}")
    for name, seconds in times.items():
        print(f"  {name:38} {seconds * 1000:8.1f} ms  {seconds / len(docs) * 1e6:7.1f} us/doc  "
              f"{seconds / reference:6.3f}x jsonschema  ({reference / seconds:5.0f}x faster)")
    for module in ("jsonschema_rs", "jsonschema"):
        print(f"  import {module:31} {import_time(module) * 1000:8.1f} ms (fresh process, best of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
