r"""Add (or refresh) one engine release in aimc's catalog, in one command: extract its flag sets from the real wheel,
store them compactly, and print what changed against the previous known release and which recipes it affects.

    python tools/refresh_engine.py vllm 0.35.0 --python /tmp/eng/venv/bin/python --target /tmp/eng/t/vllm-0.35.0 \
        --wheel /tmp/eng/whl/vllm-0.35.0-cp38-abi3-manylinux_2_28_x86_64.whl

What it does:
  1. runs `tools/extract_flag_set.py ENGINE` with `--python` (a scratch venv holding torch and the engine's
     pure-Python requirements; see that script's docstring) and `--target` (a `pip install --no-deps --target DIR
     ENGINE==VERSION` of the release) on its PYTHONPATH, with `--previous` the newest stored release older than this
     one; `--stand-in torchvision` and extra `--pythonpath` folders are passed on (SGLang 0.5.1x needs both: its
     transformers pin and a torchvision it cannot load on a CPU-only machine);
  2. runs `tools/extract_bench_flags.py --installed` on `--wheel` (the same release's wheel: `pip download
     --no-deps`) in the same venv, for the benchmark client's flags;
  3. prints the flags added, removed and changed against the previous stored release, and every flag of a
     built-in recipe (recipes/) and of `--profiles` (AMD's official profiles) that the new release does not accept;
  4. rewrites aimc/catalog/engines/ (and bench/) in the stored layout (`aimc/catalog/flag_set_files.py`: the
     newest release whole, every other one as edits of the next newer) and adds the version to runtime.yaml's
     `flagSets`.
`--from-json FILE` skips step 1 and takes an already extracted flag set; `--dry-run` stops after step 3 (what the
test runs). Afterwards: set a default image in runtime.yaml if the release should become one, run the tests
(`tests/test_catalog_engine_versions.py` fails when a built-in recipe uses a flag the default image's version does
not accept), and add noOpWhenRemoved / renamedIn entries for flags that recipes or profiles still carry.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from aimc.catalog import flag_set_files  # noqa: E402 - after the path is set
from aimc.catalog.runtime import version_key  # noqa: E402

CATALOG = REPO / "aimc" / "catalog"


def stored_documents(folder: str, engine: str) -> dict[str, dict]:
    """version -> full document of every stored release of `engine` in `aimc/catalog/<folder>/`, rebuilt from the
    files as they are now (not through aimc's per-process cache: this tool writes them)."""
    stored = {path.name[len(engine) + 1:-len(".json")]: json.loads(path.read_text(encoding="utf-8"))
              for path in sorted((CATALOG / folder).glob(f"{engine}-*.json"))}

    def rebuild(version: str) -> dict:
        content = stored[version]
        if "base" not in content:
            return content
        out = {key: value for key, value in content.items() if key not in ("base", "edits")}
        out["flags"] = flag_set_files.apply_edits(rebuild(content["base"])["flags"], content["edits"])
        return out

    return {version: rebuild(version) for version in stored}


def previous_of(documents: dict[str, dict], version: str) -> dict | None:
    older = [v for v in documents if version_key(v) < version_key(version)]
    return documents[max(older, key=version_key)] if older else None


def options_of(flag: dict) -> list[str]:
    return [flag["name"], *flag.get("aliases", ()), *([flag["negation"]] if flag.get("negation") else []),
            *flag.get("negation_aliases", ())]


def diff(old: dict, new: dict) -> dict:
    """Flags added, removed (by name) and changed (same name, another definition) from `old` to `new`."""
    before = {flag["name"]: flag for flag in old["flags"]}
    after = {flag["name"]: flag for flag in new["flags"]}
    accepted = {option for flag in new["flags"] for option in options_of(flag)}
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(name for name in set(before) - set(after) if name not in accepted),
        "renamed": sorted(name for name in set(before) - set(after) if name in accepted),
        "changed": sorted(name for name in set(before) & set(after) if before[name] != after[name]),
    }


def recipe_flags(folders: list[Path], engine: str) -> list[tuple[str, str]]:
    """(file, flag) for every flag of `engine` that a recipe (`<engine>_serve` configurations) or an AMD profile
    (`engine_args`, written without dashes) sets."""
    import yaml

    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                continue
            if isinstance(data.get("engine_args"), dict) and data.get("metadata", {}).get("engine") == engine:
                out += [(str(path), "--" + str(key)) for key in data["engine_args"]]
            for config in (data.get(f"{engine}_serve") or {}).values():
                if isinstance(config, dict):
                    out += [(str(path), str(flag)) for flag in (config.get("args") or {})]
    return out


def affected(document: dict, flags: list[tuple[str, str]], older: dict[str, dict] | None = None
             ) -> list[tuple[str, str, str]]:
    """(file, flag, why) for each recipe flag the release does not accept, or accepts only in a changed form;
    `older` (version -> document) names the last release that had a removed flag."""
    accepted = {}
    for flag in document["flags"]:
        for option in options_of(flag):
            accepted[option] = flag
    last_had = {}
    for version in sorted(older or {}, key=version_key):
        if version_key(version) < version_key(document["version"]):
            last_had.update({option: version for flag in older[version]["flags"] for option in options_of(flag)})
    out = []
    for file, flag in flags:
        if document.get("underscore_normalization") and flag.startswith("--"):  # vLLM reads `_` as `-`
            flag = "--" + flag[2:].partition(".")[0].replace("_", "-") + "".join(flag[2:].partition(".")[1:])
        spec = accepted.get(flag)
        if spec is None and "." in flag:
            spec = accepted.get(flag.partition(".")[0])
        if spec is None:
            why = f"not a flag of {document['engine']} {document['version']}"
            if flag in last_had:
                why = f"present in {last_had[flag]}, absent in {document['version']}"
            out.append((file, flag, why))
        elif flag in spec.get("negation_aliases", ()):
            out.append((file, flag, f"hidden spelling of {spec['negation']} in {document['version']}"))
        elif spec.get("deprecated"):
            out.append((file, flag, f"deprecated in {document['version']}"))
    return out


def report(engine: str, new: dict, previous: dict | None, folders: list[Path],
           older: dict[str, dict] | None = None) -> str:
    lines = [f"{engine} {new['version']}: {len(new['flags'])} flags"]
    if previous is not None:
        changes = diff(previous, new)
        lines.append(f"against {previous['version']}: {len(changes['added'])} added, {len(changes['removed'])} "
                     f"removed, {len(changes['renamed'])} now spelt differently, {len(changes['changed'])} changed")
        for kind in ("added", "removed", "renamed", "changed"):
            if changes[kind]:
                lines.append(f"  {kind}: {' '.join(changes[kind])}")
    hits = affected(new, recipe_flags(folders, engine), older)
    lines.append(f"recipes and profiles affected: {len({file for file, _, _ in hits})} files, {len(hits)} flags")
    for file, flag, why in hits:
        lines.append(f"  {os.path.relpath(file, REPO)}: {flag}: {why}")
    return "\n".join(lines) + "\n"


def extract(args, previous: dict | None) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        command = [args.python, str(REPO / "tools" / "extract_flag_set.py"), args.engine,
                   "--out", f"{scratch}/new.json", *[f"--stand-in={name}" for name in args.stand_in]]
        if previous is not None:
            Path(f"{scratch}/previous.json").write_text(json.dumps(previous), encoding="utf-8")
            command += ["--previous", f"{scratch}/previous.json"]
        if args.wheel:
            command += ["--wheel", Path(args.wheel).name]
        path = os.pathsep.join([args.target, *args.pythonpath])
        subprocess.run(command, check=True, cwd=scratch, env={**os.environ, "PYTHONPATH": path})
        return json.loads(Path(f"{scratch}/new.json").read_text(encoding="utf-8"))


def write_layout(folder: str, documents: list[dict], extracted: dict) -> None:
    """Write the stored layout of one engine's documents, and record the checksum of the extractor's text of the
    release just extracted (`extracted`) in SHA256SUMS: a test rebuilds every listed release and compares."""
    for name, content in flag_set_files.stored_layout(documents).items():
        (CATALOG / folder / name).write_text(flag_set_files.text_of(content), encoding="utf-8")
    sums_path = CATALOG / folder / "SHA256SUMS"
    sums = dict(line.split("  ")[::-1] for line in sums_path.read_text(encoding="utf-8").splitlines()) \
        if sums_path.exists() else {}
    sums[f"{extracted['engine']}-{extracted['version']}.json"] = flag_set_files.checksum(extracted)
    sums_path.write_text("".join(f"{sums[name]}  {name}\n" for name in sorted(sums)), encoding="utf-8")


def add_to_runtime(engine: str, version: str) -> None:
    """Add `version` to `engines.<engine>.flagSets` of runtime.yaml (a one-line list), keeping its comments."""
    path = CATALOG / "runtime.yaml"
    text = path.read_text(encoding="utf-8")
    block = re.search(rf"^  {engine}:\n(?:    .*\n|\s*\n)*?    flagSets: \[(.*)\]$", text, flags=re.M)
    if block is None:
        raise SystemExit(f"runtime.yaml: no one-line flagSets list under engines.{engine}")
    versions = [v.strip().strip('"') for v in block.group(1).split(",") if v.strip()]
    if version not in versions:
        versions = sorted([*versions, version], key=version_key)
        listed = ", ".join(f'"{v}"' for v in versions)
        text = text[:block.start(1)] + listed + text[block.end(1):]
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    cli.add_argument("engine", choices=("vllm", "sglang"))
    cli.add_argument("version")
    cli.add_argument("--python", help="the scratch venv's python")
    cli.add_argument("--target", help="the release installed with pip install --no-deps --target")
    cli.add_argument("--pythonpath", action="append", default=[], help="more folders for PYTHONPATH")
    cli.add_argument("--stand-in", action="append", default=[], help="passed to extract_flag_set.py")
    cli.add_argument("--wheel", help="the release's wheel file, for the benchmark client's flags")
    cli.add_argument("--from-json", help="an extracted flag set instead of running the extractor")
    cli.add_argument("--profiles", action="append", default=[], help="folders of AMD profiles to check too")
    cli.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    args = cli.parse_args(argv)
    documents = stored_documents("engines", args.engine)
    previous = previous_of(documents, args.version)
    if args.from_json:
        new = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
    elif args.python and args.target:
        new = extract(args, previous)
    else:
        raise SystemExit("give --python and --target (a venv and the installed release), or --from-json")
    if (new["engine"], new["version"]) != (args.engine, args.version):
        raise SystemExit(f"the extracted flag set is {new['engine']} {new['version']}, not {args.engine} "
                         f"{args.version}: is --target shadowing the venv's install?")
    folders = [REPO / "recipes", *map(Path, args.profiles)]
    sys.stdout.write(report(args.engine, new, previous, folders, documents))
    if args.dry_run:
        return
    documents[args.version] = new
    write_layout("engines", list(documents.values()), new)
    add_to_runtime(args.engine, args.version)
    if args.wheel:
        extracted = extract_bench(args)
        bench = stored_documents("bench", args.engine)
        bench[args.version] = extracted
        write_layout("bench", list(bench.values()), extracted)


def extract_bench(args) -> dict:
    """The benchmark client's flag set: `tools/extract_bench_flags.py --installed` in the scratch venv with the
    release on its path (the real parser), else from the wheel's source alone (`--from-json` runs)."""
    with tempfile.TemporaryDirectory() as scratch:
        script = str(REPO / "tools" / "extract_bench_flags.py")
        if args.python and args.target:
            command = [args.python, script, "--installed", args.wheel, "--out", f"{scratch}/bench.json",
                       *[f"--stand-in={name}" for name in args.stand_in]]
            path = os.pathsep.join([args.target, *args.pythonpath])
            subprocess.run(command, check=True, cwd=scratch, env={**os.environ, "PYTHONPATH": path})
        else:
            subprocess.run([sys.executable, script, args.wheel, "--out", f"{scratch}/bench.json"], check=True)
        return json.loads(Path(f"{scratch}/bench.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
