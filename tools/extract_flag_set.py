r"""Extract an engine's flag set from its real argument parser, in the trimmed format aimc ships.

aimc validates engine flags against `aimc/catalog/engines/<engine>-<version>.json` (loaded by
`aimc/catalog/flag_sets.py`, formerly `aimc/flags.py`). This script writes such a file straight from the installed
engine, instead of trimming a hand-made dump as `tools/trim_flag_sets.py` does. It must run inside a scratch venv
where the engine is installed; it does not run the engine, it only builds its parser and walks the argparse actions.

Usage (inside the venv that has the engine):

    python tools/extract_flag_set.py vllm --out aimc/catalog/engines/vllm-0.10.2.json
    python tools/extract_flag_set.py vllm --previous aimc/catalog/engines/vllm-0.10.2.json --out /tmp/vllm-0.11.1.json
    python tools/extract_flag_set.py sglang --out /tmp/sglang-0.5.5.post3.json
    python tools/extract_flag_set.py vllm-router --out aimc/catalog/routers/vllm-router-0.1.17.json
    python tools/extract_flag_set.py sglang-router --out aimc/catalog/routers/sglang-router-0.3.2.json

vllm-router (the P/D router in front of vLLM's disaggregated roles, aimc/catalog/routers.yaml) needs only its wheel
and the wheel's pure-Python requirements: `python3 -m venv /tmp/vr && /tmp/vr/bin/pip install vllm-router==0.1.17`.
Its flag set is stored whole under aimc/catalog/routers/ with its checksum in that folder's SHA256SUMS. sglang-router
(the SGLang router, shipped inside the SGLang images) the same way: its launcher's parser needs none of the wheel's
requirements, so the unpacked wheel on PYTHONPATH (`pip download sglang-router==0.3.2 --no-deps`, unzip) is enough.

Options:
    --out FILE        where to write the flag set (default: stdout)
    --previous FILE   a flag set (this trimmed format, or a full reference dump) of the previous release: its flags
                      that this release dropped become the `removed` map, `{flag: "present in <engine> <old>,
                      absent in <new>"}`, which aimc turns into the error message. Without it `removed` is `{}`.
    --wheel NAME      the wheel file name to record in `source` (default: read from the install's
                      direct_url.json, else rebuilt from its WHEEL tags)

Setting up a venv for vLLM on a machine without a GPU (what was done for 0.10.2; about 3 GB):

    python3 -m venv /tmp/vllm0102-venv
    /tmp/vllm0102-venv/bin/pip install torch==2.13.0            # the local CPU wheel; the engine pins another torch
    /tmp/vllm0102-venv/bin/pip install --no-deps vllm==0.10.2
    /tmp/vllm0102-venv/bin/pip install 'transformers>=4.55.2,<4.57' 'pydantic>=2.11.7' 'fastapi[standard]' openai \
        regex cachetools psutil sentencepiece numpy requests tqdm blake3 py-cpuinfo tokenizers protobuf aiohttp \
        prometheus_client pillow prometheus-fastapi-instrumentator tiktoken partial-json-parser pyzmq msgspec gguf \
        'mistral_common[image]' pyyaml einops cloudpickle watchfiles python-json-logger pybase64 cbor2 \
        setproctitle openai-harmony lark==1.2.2 diskcache==5.6.3
        # the pure-Python requirements from the wheel's METADATA; not ray, xformers, torchvision, torchaudio.
        # vLLM 0.11.1 also needs anthropic, model-hosting-container-standards, llguidance, interegular, and
        # xgrammar / outlines_core / lm-format-enforcer (--no-deps) on its import path.
    cd /tmp && /tmp/vllm0102-venv/bin/python /work/main/tools/extract_flag_set.py vllm \
        --previous /tmp/vllm-0.10.1.1.json --out /work/main/aimc/catalog/engines/vllm-0.10.2.json

An older release for `--previous` can share that venv: `pip install --no-deps --target /tmp/vllm0101 vllm==0.10.1.1`,
then run the script with `PYTHONPATH=/tmp/vllm0101` (the version and wheel are read from the shadowing install).
SGLang 0.5.5.post3 imports with `pip install --no-deps --target` plus ipython, orjson, triton and dill beside a venv
that has torch and transformers.

The 2026 releases (vLLM 0.17.0 … 0.34.0, SGLang 0.5.12 … 0.5.23) were extracted the same way, through
`tools/refresh_engine.py`: one venv with torch 2.13.0 (CPU) and vLLM 0.34.0's pure-Python requirements (installed with
a constraint `torch==2.13.0` so nothing pulls a CUDA torch; plus apache-tvm-ffi for xgrammar), each other release
`pip install --no-deps --target /tmp/eng/t/<engine>-<version>`, SGLang with triton, IPython, dill, blobfile, easydict,
interegular, xxhash, zstandard, python-multipart, uvloop, distro, nvidia-ml-py, py-spy, modelscope and gguf added;
SGLang 0.5.12 … 0.5.16 with transformers 5.12.1 (plus tokenizers 0.22.2 and huggingface-hub < 2) in a --target folder
on PYTHONPATH and `--stand-in torchvision` (see `StandIns`).

How the parser is built:
  * vLLM: `make_arg_parser(FlexibleArgumentParser())` from `vllm.entrypoints.openai.cli_args` (what `vllm serve`
    uses). vLLM detects its platform at run time; with no GPU it falls back to `UnspecifiedPlatform` and building
    the parser fails ("Failed to infer device type", from `DeviceConfig.__post_init__`, run for the defaults of
    `VllmConfig`). `VLLM_TARGET_DEVICE=cpu` does not help: it is only read at build time. So the script sets
    `vllm.platforms._current_platform` to `CpuPlatform()` before importing `vllm.engine.arg_utils`. The platform
    only changes defaults and help text, not which flags exist or their types and choices.
  * SGLang: `ServerArgs.add_cli_args(argparse.ArgumentParser())` from `sglang.srt.server_args`, as
    `prepare_server_args` does.
  * vLLM 0.34 moved `make_arg_parser` to `vllm.entrypoints.common.cli_args` and the tool-parser registry to
    `vllm.tool_parsers`; both places are tried.

How actions become flags (the conventions of the shipped files):
  * name: the first long option string; aliases: the other option strings (a BooleanOptionalAction's `--no-` forms
    are not aliases: the `--no-` form of the name is `negation`). The help action and positionals are left out.
    vLLM's EnableDisableAction (0.34): `--enable-x` has the negation `--disable-x`, and the `--no-enable-x` spelling
    it still accepts, hidden from help, is listed in `negation_aliases`.
  * type: `bool-flag` (store_true/store_false/store_const), `bool-optional` (BooleanOptionalAction, `negatable`),
    `bool-value` (type=bool: takes a value), `choice` (argparse choices; `value_type` is the choices' type and the
    choices are kept in the parser's order, sorted when it holds them in a set), `json` (json.loads, vLLM's dataclass parsers, SGLang's json_list_type),
    `json-or-str` (vLLM's union_dict_and_str), `int`, `float`, `str`.
  * takes_value: false for nargs=0, "optional" for nargs ? and *, else true; `nargs` is kept when set.
  * none_literal_accepted: the value parser turns the text `None` into None (vLLM's optional_type, SGLang's
    nullable_str), or `None` is one of the choices.
  * human_readable_int: the value parser reads `1k` as 1000 (vLLM's human_readable_int).
  * dotted_keys: vLLM's JSON flags (`--compilation-config.mode 3`), as FlexibleArgumentParser merges them.
  * deprecated: argparse's `deprecated` (Python 3.13), vLLM's FlexibleArgumentParser._deprecated set (before 3.13),
    or an action class named Deprecated*.
  * validated_values / validated_open (vLLM only): values that the engine checks after parsing rather than as
    argparse choices, read from the installed package (registries, Literal/Enum annotations of the config
    dataclasses, RocmPlatform.supported_quantization for --quantization since aimc renders for AMD GPUs).
    `validated_open` is true where plugins or class names can extend the list (only a warning in aimc).
Keys whose value is false, null or empty are left out, and each flag is written with sorted keys, as
`tools/trim_flag_sets.py` does.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import enum
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
import typing
from pathlib import Path

KEEP = ("name", "aliases", "takes_value", "type", "value_type", "choices", "nargs", "negatable", "negation",
        "negation_aliases", "deprecated", "human_readable_int", "none_literal_accepted", "dotted_keys",
        "validated_values", "validated_open")

REPOS = {"vllm": "vllm-project/vllm", "sglang": "sgl-project/sglang", "vllm-router": "vllm-project/router",
         "sglang-router": "sgl-project/sglang"}
# The distribution whose version and wheel name the flag set records.
DISTRIBUTIONS = {"vllm": "vllm", "sglang": "sglang", "vllm-router": "vllm-router", "sglang-router": "sglang-router"}


# --- building the parsers -------------------------------------------------------------------------------------------

def build_vllm_parser():
    from vllm import platforms

    current = getattr(platforms, "_current_platform", None)
    if current is None or not getattr(current, "device_type", ""):  # unset, or already UnspecifiedPlatform (0.2x)
        from vllm.platforms.cpu import CpuPlatform

        platforms._current_platform = CpuPlatform()
    try:
        from vllm.entrypoints.openai.cli_args import make_arg_parser  # up to 0.2x
    except ImportError:
        from vllm.entrypoints.common.cli_args import make_arg_parser  # 0.34: moved with the launchers

    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser  # 0.11.1 and later
    except ImportError:
        from vllm.utils import FlexibleArgumentParser  # 0.10.x
    parser = make_arg_parser(FlexibleArgumentParser())
    deprecated = set(getattr(FlexibleArgumentParser, "_deprecated", ()) or ())
    return parser, deprecated


def build_sglang_parser():
    from sglang.srt.server_args import ServerArgs

    parser = argparse.ArgumentParser()
    ServerArgs.add_cli_args(parser)
    return parser, set()


def build_vllm_router_parser():
    """vLLM's P/D router (vllm-project/router): its Python launcher's argparse, `RouterArgs.add_cli_args`
    (py_src/vllm_router/router_args.py), which `python -m vllm_router.launch_router` parses with. Plain argparse."""
    from vllm_router.router_args import RouterArgs

    parser = argparse.ArgumentParser()
    RouterArgs.add_cli_args(parser)
    return parser, set()


def build_sglang_router_parser():
    """SGLang's P/D router (sgl-project/sglang sgl-router, PyPI sglang-router): its Python launcher's argparse,
    `RouterArgs.add_cli_args` (py_src/sglang_router/router_args.py), which `python -m sglang_router.launch_router`
    parses with (after taking `--prefill URL [PORT]` out itself). Plain argparse."""
    from sglang_router.router_args import RouterArgs

    parser = argparse.ArgumentParser()
    RouterArgs.add_cli_args(parser)
    return parser, set()


# --- classifying one action ------------------------------------------------------------------------------------------

def _unwrap(type_fn):
    """(inner parser, wrapped) for vLLM's optional_type/parse_type closures; otherwise (type_fn, False)."""
    wrapped = False
    for _ in range(4):
        name = getattr(type_fn, "__qualname__", "")
        cells = getattr(type_fn, "__closure__", None) or ()
        if ("optional_type" in name or "parse_type" in name) and cells:
            inner = [c.cell_contents for c in cells if callable(c.cell_contents)]
            if not inner:
                break
            wrapped = wrapped or "optional_type" in name
            type_fn = inner[0]
            continue
        break
    return type_fn, wrapped


def _probe(type_fn, text):
    try:
        return True, type_fn(text)
    except Exception:  # noqa: BLE001 - a parser refusing the text is the answer
        return False, None


def _kind_of(type_fn) -> tuple[str, bool]:
    """(type, human_readable_int) for an argparse `type=` callable."""
    if type_fn is None or type_fn is str:
        return "str", False
    if type_fn is int:
        return "int", False
    if type_fn is float:
        return "float", False
    if type_fn is bool:
        return "bool-value", False
    name = getattr(type_fn, "__qualname__", getattr(type_fn, "__name__", repr(type_fn)))
    if name == "union_dict_and_str":
        return "json-or-str", False
    if name == "loads" or "json" in name.lower() or "parse_dataclass" in name:
        return "json", False
    if name == "human_readable_int":
        return "int", True
    # Anything else: ask it.
    ok_int, as_int = _probe(type_fn, "12")
    ok_k, as_k = _probe(type_fn, "1k")
    if ok_int and isinstance(as_int, int) and not isinstance(as_int, bool):
        return "int", bool(ok_k and as_k == 1000)
    ok_float, as_float = _probe(type_fn, "0.5")
    if ok_float and isinstance(as_float, float):
        return "float", False
    ok_json, as_json = _probe(type_fn, '{"a": 1}')
    if ok_json and isinstance(as_json, (dict, list)):
        return "json", False
    return "str", False


def _jsonable(value):
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return "None"
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def flag_of(action: argparse.Action, deprecated_actions: set, dotted_json: bool) -> dict | None:
    if isinstance(action, argparse._HelpAction) or not action.option_strings:
        return None
    strings = list(action.option_strings)
    name = next((s for s in strings if s.startswith("--")), strings[0])
    flag: dict = {"name": name}
    negation = None
    negatives = set(getattr(action, "negative_option_strings", ()) or ())
    if isinstance(action, argparse.BooleanOptionalAction) and negatives:
        # vLLM's EnableDisableAction (0.2x on): `--enable-x` / `--disable-x`; the `--no-enable-x` spelling stays
        # registered with the parser (hidden from help) for backwards compatibility: a `negation_aliases` entry.
        positives = [s for s in strings if s not in negatives]
        name = next((s for s in positives if s.startswith("--")), positives[0])
        visible = [s for s in strings if s in negatives]
        negation = visible[0] if visible else "--no-" + name[2:]
        flag = {"name": name, "aliases": [s for s in positives if s != name]}
        flag["negation_aliases"] = sorted(negatives - {negation})
        flag.update(type="bool-optional", negatable=True, negation=negation, takes_value=False)
    elif isinstance(action, argparse.BooleanOptionalAction):
        negation = "--no-" + name[2:]
        negations = {"--no-" + s[2:] for s in strings if s.startswith("--")}
        flag["aliases"] = [s for s in strings if s != name and s not in negations]
        flag.update(type="bool-optional", negatable=True, negation=negation, takes_value=False)
    else:
        flag["aliases"] = [s for s in strings if s != name]
    none_literal = False
    if negation is None:
        if action.nargs == 0:
            flag.update(type="bool-flag", takes_value=False)
        else:
            inner, none_literal = _unwrap(action.type)
            kind, human = _kind_of(inner)
            if action.type is not None and not none_literal:
                ok, parsed = _probe(action.type, "None")
                none_literal = ok and parsed is None
            if action.choices is not None:
                choices = [_jsonable(c) for c in action.choices]
                if isinstance(action.choices, (set, frozenset)):  # SGLang's --sampling-backend: no order to keep
                    choices = sorted(choices, key=str)
                real = [c for c in choices if c != "None"]
                value_type = type(real[0]).__name__ if real else "str"
                flag.update(type="choice", choices=choices, value_type=value_type)
                none_literal = none_literal or "None" in choices
            else:
                flag["type"] = kind
                flag["human_readable_int"] = human
            flag["takes_value"] = "optional" if action.nargs in ("?", "*") else True
            if action.nargs is not None:
                flag["nargs"] = action.nargs if isinstance(action.nargs, str) else str(action.nargs)
            flag["dotted_keys"] = dotted_json and flag["type"] in ("json", "json-or-str")
    flag["none_literal_accepted"] = none_literal
    flag["deprecated"] = bool(getattr(action, "deprecated", False) or action in deprecated_actions
                              or type(action).__name__.lower().startswith("deprecated"))
    flag["_dest"] = action.dest
    return flag


def trimmed(flag: dict) -> dict:
    out = {key: flag[key] for key in KEEP if flag.get(key) not in (None, False, [], {})}
    if flag.get("validated_values"):
        out["validated_open"] = bool(flag.get("validated_open"))  # written even when false, as the shipped files do
    return out


# --- vLLM: values checked after parsing ----------------------------------------------------------------------------

def _literal_values(hint) -> list:
    """Values of every Literal (or Enum) inside a type hint."""
    out: list = []
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return list(typing.get_args(hint))
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        return [m.value for m in hint]
    for arg in typing.get_args(hint) if origin is not None else ():
        out.extend(v for v in _literal_values(arg) if v not in out)
    return out


def _config_dataclasses() -> list:
    import vllm.config as config_pkg
    from vllm.engine.arg_utils import EngineArgs

    seen, todo, out = set(), [], []
    # The config classes exported by vllm.config, then EngineArgs (whose own annotations are often a plain `str`).
    for value in vars(config_pkg).values():
        if inspect.isclass(value) and dataclasses.is_dataclass(value):
            todo.append(value)
    todo.append(EngineArgs)
    for cls in todo:
        if cls not in seen:
            seen.add(cls)
            out.append(cls)
    return out


def _imported_names(module) -> dict:
    """name -> (module, attribute) for every `from X import Y` in a module's source, TYPE_CHECKING blocks included."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return {}
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            base = "." * node.level + node.module
            for alias in node.names:
                names[alias.asname or alias.name] = (base, alias.name)
    return names


def _annotation_text(cls, dest: str) -> str | None:
    try:
        tree = ast.parse(inspect.getsource(cls).lstrip())
    except (OSError, TypeError, SyntaxError):
        return None
    for node in tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else ():
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == dest:
            return ast.unparse(node.annotation)
    return None


def _literal_from_source(module_name: str, attr: str):
    """`attr = Literal[...]` read from a module's source without importing it (its imports may need a GPU stack)."""
    try:
        spec = importlib.util.find_spec(module_name)
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in node.targets):
            value = node.value
            if isinstance(value, ast.Subscript) and ast.unparse(value.value).endswith("Literal"):
                items = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
                return typing.Literal[tuple(ast.literal_eval(item) for item in items)]
    return None


def _resolve_annotation(cls, text: str):
    """Evaluate an annotation's source text, with the names a module imports only under TYPE_CHECKING (where
    they are `Any` at run time, e.g. vLLM 0.10's `LoadFormats`) imported for real."""
    module = sys.modules[cls.__module__]
    namespace = dict(vars(typing))
    namespace.update(vars(module))
    imported = _imported_names(module)
    for name in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)):
        if name in imported and namespace.get(name, typing.Any) is typing.Any:
            base, attr = imported[name]
            try:
                namespace[name] = getattr(importlib.import_module(base, module.__package__), attr)
            except Exception:  # noqa: BLE001 - a dependency missing from the scratch venv: read the source
                literal = _literal_from_source(importlib.util.resolve_name(base, module.__package__), attr)
                if literal is not None:
                    namespace[name] = literal
    try:
        return eval(text, namespace)  # the engine's own annotation text
    except Exception:  # noqa: BLE001
        return None


def _field_hint(classes: list, dest: str) -> list:
    hints = []
    for cls in classes:
        if not any(f.name == dest for f in dataclasses.fields(cls)):
            continue
        text = _annotation_text(cls, dest)
        hint = _resolve_annotation(cls, text) if text else None
        if hint is None:
            try:
                hint = typing.get_type_hints(cls, include_extras=True)[dest]
            except Exception:  # noqa: BLE001
                hint = None
        if hint is not None:
            hints.append((cls, hint))
    return hints


def _field_doc(classes: list, dest: str) -> str:
    """The attribute docstring (the string literal after the field) of `dest` in the config classes."""
    for cls in classes:
        try:
            tree = ast.parse(inspect.getsource(cls).lstrip())
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, after in zip(body, body[1:], strict=False):
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(target, ast.Name) and target.id == dest and isinstance(after, ast.Expr) \
                    and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
                return after.value.value
    return ""


def _rocm_quantization() -> list:
    """RocmPlatform.supported_quantization, read from the source (importing the ROCm platform needs amdsmi)."""
    spec = importlib.util.find_spec("vllm.platforms.rocm")
    tree = ast.parse(Path(spec.origin).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "RocmPlatform":
            for item in node.body:
                target = getattr(item, "target", None) or (item.targets[0] if isinstance(item, ast.Assign) else None)
                if isinstance(target, ast.Name) and target.id == "supported_quantization":
                    return list(ast.literal_eval(item.value))
    return []


def _registry(module: str, manager: str, attr: str) -> list:
    """A parser registry's names: the imported ones and, from vLLM 0.11 on, the lazily registered ones."""
    manager_cls = getattr(importlib.import_module(module), manager)
    return sorted({*getattr(manager_cls, attr), *getattr(manager_cls, "lazy_parsers", {})})


def _quantization(classes, dest):
    return _rocm_quantization(), False  # on ROCm nothing else passes, plugins included


def _tool_parsers(classes, dest):
    try:
        return _registry("vllm.entrypoints.openai.tool_parsers", "ToolParserManager", "tool_parsers"), True
    except ModuleNotFoundError:  # later releases moved the registry to vllm/tool_parsers/
        return _registry("vllm.tool_parsers", "ToolParserManager", "tool_parsers"), True


def _reasoning_parsers(classes, dest):
    return _registry("vllm.reasoning", "ReasoningParserManager", "reasoning_parsers"), True


def _annotated(open_: bool, *fallbacks: str):
    """Literal/Enum values of the field the flag sets; `fallbacks` ("Class.field") for a deprecated alias whose own
    field is a plain str (vLLM 0.11's --guided-decoding-backend feeds StructuredOutputsConfig.backend)."""
    def resolve(classes, dest):
        values: list = []
        for _cls, hint in _field_hint(classes, dest):
            values.extend(v for v in _literal_values(hint) if v not in values)
        for fallback in fallbacks if not values else ():
            cls_name, field_name = fallback.split(".")
            for _cls, hint in _field_hint([c for c in classes if c.__name__ == cls_name], field_name):
                values.extend(v for v in _literal_values(hint) if v not in values)
        return values, open_
    return resolve


def _documented(classes, dest):
    """Values listed in the field's docstring: `- "lazy": ...` bullets, else `either "mp" or "ray"`."""
    doc = _field_doc(classes, dest)
    values = re.findall(r'^\s*-\s*"([^"]+)"', doc, flags=re.M)
    if not values:
        values = re.findall(r'"([^"\s]+)"', doc)
    return list(dict.fromkeys(values)), False


# flag -> how to read the values vLLM checks after parsing. Applied only where argparse has no choices.
VLLM_POST_PARSE = {
    "--quantization": _quantization,
    "--tool-call-parser": _tool_parsers,
    "--reasoning-parser": _reasoning_parsers,
    "--load-format": _annotated(True),  # model loaders can be registered by plugins
    "--distributed-executor-backend": _annotated(True),  # or an Executor class name
    "--config-format": _annotated(False),
    "--model-impl": _annotated(False),
    "--guided-decoding-backend": _annotated(False, "StructuredOutputsConfig.backend", "DecodingConfig.backend"),
    "--safetensors-load-strategy": _documented,
    "--data-parallel-backend": _documented,
}


def add_vllm_post_parse(flags: list) -> None:
    classes = _config_dataclasses()
    for flag in flags:
        resolve = VLLM_POST_PARSE.get(flag["name"])
        if resolve is None or flag.get("choices"):
            continue
        try:
            values, open_ = resolve(classes, flag["_dest"])
        except Exception as exc:  # noqa: BLE001 - a registry that moved: say so, keep going
            print(f"warning: no post-parse values for {flag['name']}: {exc!r}", file=sys.stderr)
            continue
        values = [_jsonable(v) for v in values if v is not None]
        if values:
            flag["validated_values"] = values
            flag["validated_open"] = open_


# --- provenance ---------------------------------------------------------------------------------------------------

def wheel_name(dist_name: str, override: str | None) -> str:
    if override:
        return override
    dist = importlib.metadata.distribution(dist_name)
    direct = dist.read_text("direct_url.json")
    if direct:
        url = json.loads(direct).get("url", "")
        if url.endswith(".whl"):
            return url.rsplit("/", 1)[-1]
    tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    return f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}-{tags[0] if tags else 'unknown'}.whl"


def source_of(engine: str, version: str, wheel: str) -> str:
    text = f"{REPOS[engine]}@v{version} (PyPI wheel {wheel}"
    if engine == "vllm":
        try:
            commit = importlib.import_module("vllm._version").commit_id
        except Exception:  # noqa: BLE001
            commit = None
        if commit:
            text += f", vllm/_version.py commit_id '{commit}'"
    return text + ")"


def removed_since(previous_file: str, engine: str, version: str, flags: list) -> dict:
    previous = json.loads(Path(previous_file).read_text(encoding="utf-8"))
    if previous.get("engine") != engine:
        raise SystemExit(f"--previous is a {previous.get('engine')} flag set, not {engine}")
    present = set()
    for flag in flags:
        present.update([flag["name"], *flag.get("aliases", ())])
        if flag.get("negation"):
            present.add(flag["negation"])
    label = {"vllm": "vLLM", "sglang": "SGLang", "vllm-router": "vllm-router", "sglang-router": "sglang-router"}[engine]
    note = f"present in {label} {previous['version']}, absent in {version}"
    return {f["name"]: note for f in previous["flags"]
            if f.get("type") != "help" and f["name"] not in present}


# --- main --------------------------------------------------------------------------------------------------------

def extract(engine: str, previous: str | None = None, wheel: str | None = None) -> dict:
    if engine == "vllm":
        parser, deprecated = build_vllm_parser()
    elif engine == "sglang":
        parser, deprecated = build_sglang_parser()
    elif engine == "vllm-router":
        parser, deprecated = build_vllm_router_parser()
    elif engine == "sglang-router":
        parser, deprecated = build_sglang_router_parser()
    else:
        raise SystemExit(f"unknown engine {engine!r}: vllm, sglang, vllm-router or sglang-router")
    version = importlib.metadata.version(DISTRIBUTIONS[engine])
    flags = [f for f in (flag_of(a, deprecated, dotted_json=engine == "vllm") for a in parser._actions) if f]
    if engine == "vllm":
        add_vllm_post_parse(flags)
    return {
        "engine": engine,
        "version": version,
        "source": source_of(engine, version, wheel_name(DISTRIBUTIONS[engine], wheel)),
        # vLLM's FlexibleArgumentParser turns `_` into `-` in long flag names; plain argparse does not.
        "underscore_normalization": type(parser).__name__ == "FlexibleArgumentParser",
        "flags": [trimmed(f) for f in flags],
        "removed": removed_since(previous, engine, version, flags) if previous else {},
    }


class _InertClass(type):
    """What a stand-in module's attributes are: classes whose attributes and instances are again such classes."""

    def __getattr__(cls, name):
        return _InertClass(name, (), {})

    def __call__(cls, *args, **kwargs):
        return _InertClass(cls.__name__, (), {})


class _StandInModule(type(sys)):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _InertClass(name, (), {})


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty stand-ins for packages that the engine imports while its parser is built but that cannot load in a
    CPU-only venv (`--stand-in torchvision` for SGLang 0.5.1x: PyPI's torchvision is a CUDA build that does not
    load beside the CPU torch, and sglang/srt/utils/common.py and transformers 5's AutoImageProcessor import it).
    Building the parser calls none of it; the flag set does not depend on it."""

    def __init__(self, names: list[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if any(name == top or name.startswith(top + ".") for top in self.names):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__version__ = "0+stand-in"
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def main(argv: list[str] | None = None) -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    cli.add_argument("engine", choices=("vllm", "sglang", "vllm-router", "sglang-router"))
    cli.add_argument("--stand-in", action="append", default=[], metavar="PACKAGE",
                     help="import PACKAGE as an empty stand-in (see StandIns)")
    cli.add_argument("--out", help="file to write (default: stdout)")
    cli.add_argument("--previous", help="flag set of the previous release, for the removed list")
    cli.add_argument("--wheel", help="wheel file name to record in source")
    args = cli.parse_args(argv)
    if args.stand_in:
        sys.meta_path.insert(0, StandIns(args.stand_in))
    data = extract(args.engine, args.previous, args.wheel)
    text = json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{args.out}: {data['engine']} {data['version']}, {len(data['flags'])} flags, "
              f"{len(data['removed'])} removed", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
