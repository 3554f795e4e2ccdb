"""Argo CD applications whose folder is a Kustomize overlay: run Kustomize first, then compile what it printed.

An application pointing at `overlays/prod` (a kustomization.yaml patching shared endpoints) would otherwise find no
spec in that folder. When the application's folder holds a kustomization and `AIMC_PATHS` is not set, the plugin
runs `kustomize build .` (else `kubectl kustomize .`; the sidecar image carries `kustomize`) and compiles its output
as the Kustomize transformer does: aimc's documents are compiled, every other object passes through. With
`buildMetadata: [originAnnotations]` in the kustomization, errors name the file and line of the base that holds the
field, else `Kind/name:line` (see `aimc.load.parsed`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aimc import pipeline
from aimc.adapters import kustomize_confine, processes
from aimc.adapters.kustomize_confine import KUSTOMIZATION_FILES
from aimc.errors import Diagnostic, UserError
from aimc.load import limits
from aimc.records import replace

# Kustomize's own runtime limit is Argo CD's: the repo-server kills the plugin after 60 s by default.
TIMEOUT_SECONDS = 50


def kustomization_in(folder: Path) -> str | None:
    """The kustomization file of the folder, if it has one."""
    return next((name for name in KUSTOMIZATION_FILES if (folder / name).is_file()), None)


def kustomize_command(env) -> list[str] | None:
    """`kustomize build .` when the binary is on PATH, else `kubectl kustomize .`; None when neither is."""
    path = env.get("PATH", os.defpath)
    kustomize = shutil.which("kustomize", path=path)
    if kustomize:
        return [kustomize, "build", "."]
    kubectl = shutil.which("kubectl", path=path)
    if kubectl:
        return [kubectl, "kustomize", "."]
    return None


def run_kustomize(cwd: Path, env, file: str) -> str:
    """Kustomize's output for the folder, or a UserError saying exactly what to do."""
    command = kustomize_command(env)
    if command is None:
        raise UserError([Diagnostic(file, 0, "", "the application's folder is a Kustomize overlay and aimc runs "
                                                 "Kustomize first, but neither `kustomize` nor `kubectl` is on PATH: "
                                                 "use the sidecar image of plugin/Dockerfile (it carries kustomize), "
                                                 "or set AIMC_PATHS to the folders that hold the specs")])
    try:
        run = processes.run(command, kind="kustomize output", cwd=cwd, timeout=TIMEOUT_SECONDS,
                            env={k: v for k, v in env.items() if not k.startswith("ARGOCD_ENV_")})
    except subprocess.TimeoutExpired:
        raise UserError([Diagnostic(file, 0, "", f"`{_shown(command)}` did not finish in "
                                                 f"{TIMEOUT_SECONDS} s")]) from None
    except limits.InputTooLarge as exc:
        raise UserError([Diagnostic(file, 0, "", f"`{_shown(command)}` printed too much: "
                                                 f"{exc.message()}")]) from None
    if run.returncode != 0:
        # Kustomize's own message says which file and field; keep it short for the Argo CD UI.
        said = " ".join(run.stderr.decode(errors="replace").split())[:500] or f"exit code {run.returncode}"
        if "external plugin" in said:
            # A KRM function config needs --enable-exec as well: without it Kustomize skips the function silently
            # (kyaml/runfn/runfn.go) and the specs would reach the cluster uncompiled.
            said += (" — this kustomization runs aimc as a Kustomize plugin: point the aimc plugin's application at "
                     "the overlay it wraps, or make it a Kustomize application with the build options "
                     "--enable-alpha-plugins (exec plugin) or --enable-alpha-plugins --enable-exec (KRM function, "
                     "config annotated config.kubernetes.io/function)")
        raise UserError([Diagnostic(file, 0, "", f"Kustomize failed ({os.path.basename(command[0])}): {said}")])
    return _text(run.stdout, file)


def _shown(command: list[str]) -> str:
    """`kustomize build .` or `kubectl kustomize .`: the program's name, not its path."""
    return " ".join([os.path.basename(command[0]), *command[1:]])


def _text(output: bytes, file: str) -> str:
    try:
        return output.decode()
    except UnicodeDecodeError as exc:
        raise UserError([Diagnostic(file, 0, "", f"Kustomize printed bytes that are not UTF-8 (at byte {exc.start})"
                                                 ": aimc reads UTF-8 only")]) from None


def compile_overlay(settings: pipeline.Options, cwd: Path, env, file: str, root: Path | None = None) -> pipeline.Result:
    """Run Kustomize in `cwd` and compile its output with the application's other settings (inventory, recipes,
    namespace, strict). Objects aimc rendered earlier (the AimcCompiler plugin in a base) pass through. Kustomize
    runs only once every file and base the kustomizations name is inside the repository `root` (default: `cwd`)."""
    from aimc.adapters import kustomize as kustomize_adapter
    from aimc.adapters import stream
    from aimc.render import Rendered

    kustomize_confine.check(cwd, root if root is not None else cwd, cwd)
    resources = kustomize_adapter.read_resources(run_kustomize(cwd, env, file))
    handed = stream.hand_over(resources, ".")
    result = pipeline.compile(replace(settings, paths=(), objects=handed.inputs, allow_empty=bool(handed.earlier)))
    earlier = tuple(Rendered(obj, file) for obj in handed.earlier)
    return replace(result, objects=result.objects + earlier)
