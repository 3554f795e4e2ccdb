"""Argo CD Config Management Plugin: `aimc argocd generate`, run by argocd-cmp-server in the repo-server sidecar.

argocd-cmp-server unpacks the whole repository into a fresh temporary folder and runs the command with the working
directory at the application's path. Settings come from the Application's `spec.source.plugin.env` (as
`ARGOCD_ENV_<NAME>`), plus `KUBE_VERSION`, `KUBE_API_VERSIONS` and `ARGOCD_APP_NAMESPACE` set by Argo CD.

Rules this adapter keeps (see the README, "Argo CD"):
- never exit 0 with an empty stream because something went wrong (auto-prune would delete the application);
- short errors, one per line, with file and line, that never echo a setting's value (it may hold a secret);
- read nothing outside the repository: absolute paths, `..` escapes and symlinks resolving outside are refused;
- write nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from aimc import pipeline
from aimc.adapters import argocd_kustomize, argocd_settings
from aimc.errors import Collector, Diagnostic, UserError, did_you_mean
from aimc.k8s import versions as kube_versions
from aimc.load import limits
from aimc.load.walk import yaml_files_under
from aimc.records import replace

ENV_PREFIX = "ARGOCD_ENV_"
# Setting (without ARGOCD_ENV_) -> what it holds; the README table documents each.
SETTINGS = {
    "AIMC_PATHS": "input paths",
    "AIMC_INVENTORY": "ClusterInventory file",
    "AIMC_RECIPES": "recipe folders",
    "AIMC_NAMESPACE": "default namespace",
    "AIMC_EXCLUDE": "globs to skip",
    "AIMC_STRICT": "warnings are errors",
}
# Argo CD shows stderr in the UI and caches it until a hard refresh: a long list helps nobody there.
MAX_REPORTED_ERRORS = 20
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


def settings_from_env(env) -> pipeline.Options:
    """Parse the plugin's environment into compile options. Paths stay as written (relative to the application's
    path, checked by `confined_paths`). Messages name the variable, never its value."""
    problems: list[Diagnostic] = []

    def setting(name: str) -> str:
        return env.get(ENV_PREFIX + name, "").strip()

    for key in sorted(env):
        name = key[len(ENV_PREFIX):] if key.startswith(ENV_PREFIX) else ""
        if name.upper().startswith("AIMC_") and not name.startswith("AIMC_"):
            # Argo CD passes `env` names as written: `aimc_strict` would be silently ignored.
            wanted = ENV_PREFIX + name.upper()
            problems.append(_problem(key, "not a setting: settings are upper case, this looks like a typo for "
                                          f"'{wanted}'" + ("" if name.upper() in SETTINGS else " (also unknown)")))
        elif name.startswith("AIMC_") and name not in SETTINGS:
            known = [ENV_PREFIX + s for s in SETTINGS]
            problems.append(_problem(key, "unknown setting" + did_you_mean(key, known) + "; known: "
                                     + ", ".join(known)))
    strict_text = setting("AIMC_STRICT").lower()
    if strict_text not in _TRUE + _FALSE:
        problems.append(_problem(ENV_PREFIX + "AIMC_STRICT", "expected true or false"))
    kube_version = None
    if env.get("KUBE_VERSION", "").strip():
        kube_version = kube_versions.parse(env["KUBE_VERSION"])
        if kube_version is None:
            problems.append(_problem("KUBE_VERSION", "not a Kubernetes version (expected e.g. 1.32.2)"))
    namespace = setting("AIMC_NAMESPACE") or env.get("ARGOCD_APP_NAMESPACE", "").strip() or None
    if namespace is not None and not _NAMESPACE.fullmatch(namespace):
        # Named by the setting the user set, never echoed (it can be huge, or a secret pasted into the wrong field).
        variable = ENV_PREFIX + "AIMC_NAMESPACE" if setting("AIMC_NAMESPACE") else "ARGOCD_APP_NAMESPACE"
        problems.append(_problem(variable, "the value is not a valid namespace: a DNS-1123 label (lowercase letters, "
                                           "digits and '-', at most 63 characters)"))
    if problems:
        raise UserError(problems)
    return pipeline.Options(
        paths=_split(setting("AIMC_PATHS")) or (".",),
        inventory=setting("AIMC_INVENTORY") or None,
        recipe_dirs=_split(setting("AIMC_RECIPES")),
        default_namespace=namespace,
        exclude=_split(setting("AIMC_EXCLUDE")),
        strict=strict_text in _TRUE,
        kube_version=kube_version,
        api_versions=kube_versions.parse_api_versions(env.get("KUBE_API_VERSIONS", "")),
    )


def setting_given(env, name: str) -> bool:
    return bool(env.get(ENV_PREFIX + name, "").strip())


def _split(text: str) -> tuple[str, ...]:
    """Space- or comma-separated list."""
    return tuple(part for part in text.replace(",", " ").split() if part)


def _problem(variable: str, message: str) -> Diagnostic:
    return Diagnostic(variable, 0, "", message)


def repository_root(cwd: Path, source_path: str = "") -> Path:
    """The nearest ancestor of the working directory holding `.git` (Argo CD sends it); without one, the folder
    ARGOCD_APP_SOURCE_PATH says the working directory is in; else the working directory itself."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    parts = [p for p in Path(source_path).parts if p not in (".", "/")] if source_path else []
    if parts and ".." not in parts and cwd.parts[-len(parts):] == tuple(parts) and len(cwd.parts) > len(parts):
        return Path(*cwd.parts[:-len(parts)])
    return cwd


def confined_paths(settings: pipeline.Options, cwd: Path, root: Path) -> list[Diagnostic]:
    """Every path setting must stay inside the repository, and so must every file found under it."""
    problems = []
    entries = [("AIMC_PATHS", p) for p in settings.paths] + [("AIMC_RECIPES", p) for p in settings.recipe_dirs]
    if settings.inventory:
        entries.append(("AIMC_INVENTORY", settings.inventory))
    counters: dict = {}
    for name, value in entries:
        counters[name] = counters.get(name, 0) + 1
        where = ENV_PREFIX + name + (f" entry {counters[name]}" if name != "AIMC_INVENTORY" else "")
        problem = _outside(value, cwd, root)
        if problem:
            problems.append(_problem(where, problem))
            continue
        target = Path(os.path.normpath(cwd / value))
        try:
            is_dir = target.is_dir()
            exists = is_dir or target.exists()
        except OSError as exc:  # a name too long, a folder on the way that cannot be searched
            problems.append(_problem(where, f"cannot be read: {exc.strerror or 'invalid path'}"))
            continue
        if not exists:
            problems.append(_problem(where, "no such file or folder in the repository (paths are relative to the "
                                            "application's path)"))
        elif is_dir:
            problems.extend(_escaping_files(target, cwd, root))
    return problems


def _outside(value: str, cwd: Path, root: Path) -> str | None:
    if os.path.isabs(value):
        return "absolute paths are refused: give a path relative to the application's path"
    joined = os.path.normpath(cwd / value)
    if not _inside(joined, str(root)):
        return "leaves the repository ('..' above its root): aimc reads nothing outside the repository"
    if not _inside(os.path.realpath(joined), os.path.realpath(root)):
        return "is a symlink resolving outside the repository: aimc reads nothing outside the repository"
    return None


def _escaping_files(folder: Path, cwd: Path, root: Path) -> list[Diagnostic]:
    real_root = os.path.realpath(root)
    return [Diagnostic(os.path.relpath(path, cwd), 0, "",
                       "symlink resolving outside the repository: refusing to read it")
            for path in yaml_files_under(folder) if not _inside(os.path.realpath(path), real_root)]


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def generate(env, cwd: Path) -> tuple[str, tuple[Diagnostic, ...]]:
    """The manifest stream for the application at `cwd` (the process's working directory), and the warnings."""
    chunks, warnings = generate_chunks(env, cwd)
    return "".join(chunks), warnings


def generate_chunks(env, cwd: Path):
    """`generate`, with the stream as an iterator of pieces: printed piece by piece, it is never held whole."""
    try:
        stream, warnings = _generate(env, cwd)
    except UserError as error:
        raise UserError(shortened(argocd_settings.in_settings(error.diagnostics, env))) from None
    return stream, tuple(argocd_settings.in_settings(warnings, env))


def shortened(diagnostics) -> list[Diagnostic]:
    errors = [d for d in diagnostics if d.severity == "error"]
    if len(errors) <= MAX_REPORTED_ERRORS:
        return list(diagnostics)
    more = len(errors) - MAX_REPORTED_ERRORS
    return errors[:MAX_REPORTED_ERRORS] + [Diagnostic(".", 0, "", f"... and {more} more errors: run `aimc validate` "
                                                                    "in the repository to see them all")]


def _generate(env, cwd: Path) -> tuple[str, tuple[Diagnostic, ...]]:
    from aimc.emit import output as emit

    settings = settings_from_env(env)
    root = repository_root(cwd, env.get("ARGOCD_APP_SOURCE_PATH", ""))
    problems = confined_paths(settings, cwd, root)
    if problems:
        raise UserError(problems)
    settings = replace(
        settings, paths=tuple(os.path.normpath(p) for p in settings.paths),
        inventory=os.path.normpath(settings.inventory) if settings.inventory else None,
        recipe_dirs=tuple(os.path.normpath(p) for p in settings.recipe_dirs))
    # A Kustomize overlay as the application's folder: Kustomize runs first (unless AIMC_PATHS names the inputs).
    kustomization = None if setting_given(env, "AIMC_PATHS") else argocd_kustomize.kustomization_in(cwd)
    if kustomization:
        result = argocd_kustomize.compile_overlay(settings, cwd, env, kustomization, root)
    else:
        result = pipeline.compile(settings)
    checks = Collector()
    errors, warnings = api_version_checks(result, settings)
    checks.extend(errors + warnings)
    if settings.strict:
        checks.warnings_as_errors()
    if checks.errors:
        raise UserError(checks.errors)
    if not result.objects:  # the pipeline refuses this already; never rely on one guard only
        raise UserError([Diagnostic(".", 0, "", "nothing to render: refusing to output an empty stream")])
    return limits.bounded_chunks(emit.yaml_stream_chunks(list(result.objects))), result.warnings + tuple(warnings)


def api_version_checks(result, settings: pipeline.Options) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Objects the target cluster cannot serve: errors for what aimc renders, warnings for passed-through objects
    (they may be custom resources whose definition the same application installs)."""
    places = {e.origin.source: (e.origin.file, e.origin.line) for e in result.inputs.endpoints}
    passthrough = {o.origin.source: (o.origin.file, o.origin.line) for o in result.inputs.objects}
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    for item in result.objects:
        api_version, kind = str(item.obj.get("apiVersion", "")), str(item.obj.get("kind", ""))
        name = (item.obj.get("metadata") or {}).get("name", "")
        reason = kube_versions.unserved(api_version, kind, settings.kube_version) if settings.kube_version else None
        if reason is None and not kube_versions.served_by(api_version, kind, settings.api_versions):
            reason = f"{kind} {api_version} is not among the cluster's API versions (KUBE_API_VERSIONS)"
        if reason is None:
            continue
        labels = (item.obj.get("metadata") or {}).get("labels") or {}
        rendered = isinstance(labels, Mapping) and labels.get("app.kubernetes.io/managed-by") == "aimc"
        file, line = (places if rendered else passthrough).get(item.source, (item.source, 0))
        diagnostic = Diagnostic(file, line, "", f"{kind} '{name}': {reason}")
        (errors if rendered else warnings).append(diagnostic if rendered else diagnostic.as_warning())
    return errors, warnings
