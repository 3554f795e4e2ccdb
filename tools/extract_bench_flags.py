"""Extract the benchmark clients' flag sets (`vllm bench serve`, `python3 -m sglang.bench_serving`) from a release wheel.

aimc renders benchmark Jobs that run the load generator already inside the engine image; tests check that every
rendered command parses with the client's own flags (`aimc/catalog/bench/*.json`). This script writes those files.

It does not install or import the engine (both need torch and a GPU stack). It reads the wheel (a zip file), takes
the Python source of the functions that build the real argument parser, and runs exactly those `add_argument` calls
on a real `argparse.ArgumentParser`:
  * vLLM: `add_cli_args` of `vllm/benchmarks/serve.py` (what `vllm bench serve` registers), which calls
    `add_dataset_parser` of `vllm/benchmarks/datasets.py` (with its `_ValidateDatasetArgs` action); `--backend`'s
    choices are the keys of `ASYNC_REQUEST_FUNCS` in `vllm/benchmarks/lib/endpoint_request_func.py`.
  * SGLang: the `if __name__ == "__main__":` block of `sglang/bench_serving.py` up to `parser.parse_args()`, with its
    `LoRAPathAction`; `--backend`'s choices are the keys of `ASYNC_REQUEST_FUNCS` in the same file. From 0.5.16 on
    (`sglang/benchmark/serving.py` exists; bench_serving.py only re-exports it): `cli_main` of that file up to
    `parse_args`, with the module's functions and literal constants it names and `GOODPUT_SLO_METRICS` of
    `sglang/benchmark/goodput.py` (0.5.16's result equals its `--installed` extraction flag for flag).
Names those functions use only for defaults (e.g. `RandomMultiModalDataset.DEFAULT_*`) are stand-ins: defaults are
not recorded. Actions become flags with `flag_of` of `tools/extract_flag_set.py`, so the format is the serving flag
sets' (`aimc/catalog/engines/*.json`), plus `tool`, the command that parses them.

Usage:

    pip download vllm==0.11.1 --no-deps -d /tmp/wheels
    pip download sglang==0.5.5.post3 --no-deps -d /tmp/wheels
    python tools/extract_bench_flags.py /tmp/wheels/vllm-0.11.1-cp38-abi3-manylinux1_x86_64.whl \
        --out aimc/catalog/bench/vllm-0.11.1.json
    python tools/extract_bench_flags.py /tmp/wheels/sglang-0.5.5.post3-py3-none-any.whl \
        --out aimc/catalog/bench/sglang-0.5.5.post3.json
    pip download sglang==0.5.23 --no-deps -d /tmp/wheels
    python tools/extract_bench_flags.py /tmp/wheels/sglang-0.5.23-cp311-cp311-manylinux_2_34_x86_64.whl \
        --out /tmp/sglang-0.5.23.json     # then store it: tools/refresh_engine.py's write_layout("bench", ...)
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extract_flag_set import REPOS, StandIns, flag_of, trimmed  # after the path is set

TOOLS = {"vllm": "vllm bench serve", "sglang": "python3 -m sglang.bench_serving"}


class _Anything:
    """Stands in for names the parser code reads only for defaults (class constants, helpers)."""

    def __getattr__(self, name):
        return None

    def __call__(self, *args, **kwargs):
        return None


def _tree(wheel: zipfile.ZipFile, member: str) -> ast.Module:
    return ast.parse(wheel.read(member).decode("utf-8"), filename=member)


def _top_level(tree: ast.Module, name: str):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return node
    raise SystemExit(f"{name} not found: has the file changed shape?")


def _dict_keys(tree: ast.Module, name: str) -> dict:
    """The keys of a module-level dict literal `NAME = {...}` (its values are functions we do not need)."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(node.value, ast.Dict):
            return {ast.literal_eval(k): None for k in node.value.keys}
    raise SystemExit(f"{name} not found")


def _run(nodes: list, namespace: dict) -> dict:
    code = compile(ast.Module(body=nodes, type_ignores=[]), "<extracted>", "exec")
    exec(code, namespace)  # the release's own parser code, nothing else
    return namespace


def _base_namespace() -> dict:
    import contextlib
    import uuid

    return {"argparse": argparse, "json": json, "ast": ast, "uuid": uuid, "suppress": contextlib.suppress,
            "ArgumentParser": argparse.ArgumentParser, "FlexibleArgumentParser": argparse.ArgumentParser,
            "RandomMultiModalDataset": _Anything(), "__name__": "extracted"}


def vllm_parser(wheel: zipfile.ZipFile) -> argparse.ArgumentParser:
    serve = _tree(wheel, "vllm/benchmarks/serve.py")
    datasets = _tree(wheel, "vllm/benchmarks/datasets.py")
    requests = _tree(wheel, "vllm/benchmarks/lib/endpoint_request_func.py")
    namespace = _base_namespace()
    namespace["ASYNC_REQUEST_FUNCS"] = _dict_keys(requests, "ASYNC_REQUEST_FUNCS")
    _run([_top_level(datasets, "_ValidateDatasetArgs"), _top_level(datasets, "add_dataset_parser"),
          _top_level(serve, "add_cli_args")], namespace)
    parser = argparse.ArgumentParser(prog="vllm bench serve")
    namespace["add_cli_args"](parser)
    return parser


def _module_constant(tree: ast.Module, name: str):
    """The value of a module-level literal `NAME = ...` (a tuple of names, say)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{name} not found")


MODERN_SGLANG = "sglang/benchmark/serving.py"


def modern_sglang_parser(wheel: zipfile.ZipFile) -> argparse.ArgumentParser:
    """SGLang 0.5.16 on: `cli_main` of sglang/benchmark/serving.py (bench_serving.py only re-exports it) run up to
    `parse_args`, with the module's own argparse helpers (`_finite_positive_float`, `_goodput_slo`,
    `LoRAPathAction`) and `GOODPUT_SLO_METRICS` of sglang/benchmark/goodput.py, which `_goodput_slo` checks."""
    import math

    tree = _tree(wheel, MODERN_SGLANG)
    namespace = _base_namespace()
    # `Tuple` only appears in the helpers' annotations
    namespace.update(math=math, Tuple=tuple, ASYNC_REQUEST_FUNCS=_dict_keys(tree, "ASYNC_REQUEST_FUNCS"))
    if "sglang/benchmark/goodput.py" in wheel.namelist():
        goodput = _tree(wheel, "sglang/benchmark/goodput.py")
        namespace["GOODPUT_SLO_METRICS"] = _module_constant(goodput, "GOODPUT_SLO_METRICS")
    cli_main = _top_level(tree, "cli_main")
    body = []
    for statement in cli_main.body:
        if "parse_args" in ast.unparse(statement):
            break
        body.append(statement)
    called = {node.id for statement in body for node in ast.walk(statement) if isinstance(node, ast.Name)}
    helpers = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               and node.name in called]
    # module constants the parser reads for defaults (`_DEFAULT_SGLANG_FLUSH_CACHE_TIMEOUT` in 0.5.23), literals only
    for node in tree.body:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
        if any(name in called and name not in namespace for name in names):
            for name in names:
                namespace[name] = _module_constant(tree, name)
    _run([*helpers, *body], namespace)
    return namespace["parser"]


def sglang_parser(wheel: zipfile.ZipFile) -> argparse.ArgumentParser:
    if MODERN_SGLANG in wheel.namelist():
        return modern_sglang_parser(wheel)
    tree = _tree(wheel, "sglang/bench_serving.py")
    namespace = _base_namespace()
    namespace["ASYNC_REQUEST_FUNCS"] = _dict_keys(tree, "ASYNC_REQUEST_FUNCS")
    main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    body = []
    for statement in main.body:
        if "parse_args" in ast.unparse(statement):
            break
        body.append(statement)
    _run([_top_level(tree, "LoRAPathAction"), *body], namespace)
    return namespace["parser"]


class _Captured(Exception):
    def __init__(self, parser):
        super().__init__("parser captured")
        self.parser = parser


def installed_parser(engine: str) -> tuple[argparse.ArgumentParser, str]:
    """The client's real parser from the engine installed in this interpreter (the releases whose benchmark code
    imports more than the AST route can stand in for: vLLM 0.17 on, SGLang 0.5.12 on), and where it comes from.
    vLLM: `add_cli_args` of vllm.benchmarks.serve on the FlexibleArgumentParser `vllm bench serve` uses. SGLang: the
    entry point (`sglang.benchmark.serving.cli_main` from 0.5.16, else bench_serving's `__main__` block) run until it
    calls `parse_args`, which hands over the parser instead of parsing."""
    if engine == "vllm":
        from vllm.benchmarks.serve import add_cli_args
        from vllm.utils.argparse_utils import FlexibleArgumentParser

        parser = FlexibleArgumentParser(prog="vllm bench serve")
        add_cli_args(parser)
        return parser, "vllm/benchmarks/serve.py add_cli_args, run in the installed release"
    original = argparse.ArgumentParser.parse_args

    def capture(self, *args, **kwargs):
        raise _Captured(self)

    argparse.ArgumentParser.parse_args = capture
    try:
        import importlib.util

        modern = importlib.util.find_spec("sglang.benchmark.serving") is not None
        where = "sglang/benchmark/serving.py cli_main" if modern else "sglang/bench_serving.py __main__"
        if modern:
            from sglang.benchmark.serving import cli_main

            cli_main()
        else:
            import runpy

            runpy.run_module("sglang.bench_serving", run_name="__main__")
    except _Captured as captured:
        return captured.parser, f"{where} argparse, run in the installed release until parse_args"
    finally:
        argparse.ArgumentParser.parse_args = original
    raise SystemExit("the benchmark client never called parse_args")


def extract(wheel_path: str, installed: bool = False) -> dict:
    """The client's flag set: from the wheel's source (AST route), or with `installed` from the same release
    installed in this interpreter (`installed_parser`); the wheel names the release either way."""
    name = Path(wheel_path).name
    engine, version = name.split("-")[:2]
    if engine not in TOOLS:
        raise SystemExit(f"{name}: not a vllm or sglang wheel")
    if installed:
        import importlib.metadata

        if importlib.metadata.version(engine) != version:
            raise SystemExit(f"installed {engine} is {importlib.metadata.version(engine)}, the wheel {version}")
        parser, where = installed_parser(engine)
    else:
        with zipfile.ZipFile(wheel_path) as wheel:
            parser = vllm_parser(wheel) if engine == "vllm" else sglang_parser(wheel)
            where = ("vllm/benchmarks/serve.py add_cli_args, vllm/benchmarks/datasets.py add_dataset_parser"
                     if engine == "vllm" else "sglang/benchmark/serving.py cli_main argparse"
                     if MODERN_SGLANG in wheel.namelist() else "sglang/bench_serving.py __main__ argparse")
    flags = [f for f in (flag_of(a, set(), dotted_json=False) for a in parser._actions) if f]
    return {
        "engine": engine,
        "version": version,
        "tool": TOOLS[engine],
        "source": f"{REPOS[engine]}@v{version} (PyPI wheel {name}; {where})",
        # `vllm bench serve` is a subcommand of vLLM's FlexibleArgumentParser (`_` read as `-` in long flags);
        # bench_serving builds a plain argparse.ArgumentParser.
        "underscore_normalization": engine == "vllm",
        "flags": [trimmed(f) for f in flags],
        "required": sorted(a.option_strings[0] for a in parser._actions if a.required),
    }


def main(argv: list[str] | None = None) -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    cli.add_argument("wheel", help="the vllm or sglang wheel (pip download NAME==VERSION --no-deps)")
    cli.add_argument("--out", help="file to write (default: stdout)")
    cli.add_argument("--installed", action="store_true",
                     help="build the parser from the release installed in this interpreter (see installed_parser)")
    cli.add_argument("--stand-in", action="append", default=[], metavar="PACKAGE",
                     help="with --installed: import PACKAGE as an empty stand-in (extract_flag_set.StandIns)")
    args = cli.parse_args(argv)
    if args.stand_in:
        sys.meta_path.insert(0, StandIns(args.stand_in))
    data = extract(args.wheel, args.installed)
    text = json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{args.out}: {data['tool']} {data['version']}, {len(data['flags'])} flags", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
