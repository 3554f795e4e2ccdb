"""Kustomize legacy exec plugin (`kubectl kustomize --enable-alpha-plugins`) and its installer.

Kustomize runs `$KUSTOMIZE_PLUGIN_HOME/aimc.amd.com/v1/aimccompiler/AimcCompiler CONFIG_FILE` in the kustomization
folder (KUSTOMIZE_PLUGIN_CONFIG_ROOT), with the resources on stdin when used under `transformers:` and nothing on
stdin under `generators:`; it reads a YAML stream on stdout. The executable is a tiny launcher that runs this Python
and `aimc kustomize plugin`.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

from aimc import pipeline
from aimc.adapters import stream
from aimc.errors import Diagnostic, UserError
from aimc.load import limits
from aimc.load.parsed import read_yaml

PLUGIN_GROUP, PLUGIN_VERSION = stream.CONFIG_API_VERSION.split("/")
RELATIVE_PATH = Path(PLUGIN_GROUP) / PLUGIN_VERSION / stream.CONFIG_KIND.lower() / stream.CONFIG_KIND


def default_plugin_home(env) -> Path:
    """Where Kustomize looks: $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin, else
    ~/.config/kustomize/plugin."""
    if env.get("KUSTOMIZE_PLUGIN_HOME"):
        return Path(env["KUSTOMIZE_PLUGIN_HOME"])
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config_home) / "kustomize" / "plugin"


def launcher_script(python: str) -> str:
    return ("#!/bin/sh\n"
            "# Kustomize exec plugin for aimc (kind AimcCompiler), written by `aimc kustomize install-plugin`.\n"
            f"exec {shlex.quote(python)} -m aimc kustomize plugin \"$@\"\n")


def install(plugin_home: Path, python: str = sys.executable) -> Path:
    """Write the launcher where Kustomize finds it; returns its path."""
    target = plugin_home / RELATIVE_PATH
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(launcher_script(python), encoding="utf-8")
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR | stat.S_IRGRP)
        os.replace(tmp, target)
    except OSError as exc:  # a file where a folder should be, no permission, a name too long
        raise UserError([Diagnostic(str(exc.filename or plugin_home), 0, "",
                                    f"cannot install the plugin: {exc.strerror or exc}")]) from None
    return target


def read_config(config_file: str | None, env) -> tuple[pipeline.Options, str]:
    """The config object (the file Kustomize passes as argv[1], else KUSTOMIZE_PLUGIN_CONFIG_STRING) as options,
    and how errors name it."""
    where = f"{stream.CONFIG_KIND} config"
    if config_file:
        try:
            text = limits.read_file(config_file).decode("utf-8")
        except (limits.InputTooLarge, limits.NotRegularFile) as exc:
            raise UserError([Diagnostic(where, 0, "", f"cannot read the plugin config: {exc.message()}")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise UserError([Diagnostic(where, 0, "", f"cannot read the plugin config: {reason}")]) from None
    else:
        text = env.get("KUSTOMIZE_PLUGIN_CONFIG_STRING", "")
    documents = [data for _, data in read_yaml(text, where)]
    if len(documents) != 1:
        raise UserError([Diagnostic(where, 0, "", f"expected one {stream.CONFIG_KIND} object, found {len(documents)}")])
    place = stream.config_place(documents[0])
    return stream.parse_config(documents[0], place), place


def read_resources(text: str) -> list[dict]:
    """The resources Kustomize pipes in (a plain multi-document stream; a ResourceList or List is flattened)."""
    resources: list[dict] = []
    for _, data in read_yaml(text, "<stdin>"):
        if not isinstance(data, dict):
            continue
        if data.get("kind") in ("ResourceList", "List") and isinstance(data.get("items"), list):
            resources.extend(item for item in data["items"] if isinstance(item, dict))
        else:
            resources.append(data)
    return resources


def run_plugin(config_file: str | None, stdin_text: str, env) -> tuple[str, tuple[Diagnostic, ...]]:
    """The YAML stream Kustomize reads back, and the warnings."""
    from aimc.emit import output as emit

    config, place = read_config(config_file, env)
    base_dir = env.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT") or "."
    compiled = stream.compile_resources(read_resources(stdin_text), config, base_dir, place)
    writer = emit.Writer()
    text = "".join(f"---\n{emit.dump_yaml(obj, writer)}" for obj in compiled.objects)
    return text, compiled.warnings
