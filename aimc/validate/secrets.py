"""Secrets: the Hugging Face token only ever comes from a Secret; a token written inline in the inputs is an error.

Git is not a place for credentials: a literal token in an endpoint, inventory or recipe would be committed,
rendered into the Deployment and shown by `kubectl describe`. The error names the file and line to fix.
"""

from __future__ import annotations

import re

from aimc.errors import Diagnostic
from aimc.load.yaml_positions import format_path
from aimc.model.inputs import Inputs, JsonPath, YamlPairs

# A Hugging Face access token: `hf_` and 30+ letters and digits (they are 37 characters long today).
_TOKEN_VALUE = re.compile(r"hf_[A-Za-z0-9]{30,}")
# Variables that hold a credential whatever their value looks like.
SECRET_ENV_NAMES = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_API_TOKEN",
                              "VLLM_API_KEY"})
# Engine flags whose value is a credential. `$(VAR)` (expanded by Kubernetes from the container's env) is allowed.
SECRET_FLAGS = frozenset({"--api-key", "--admin-api-key", "--hf-token"})
_ENV_REFERENCE = re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_.-]*\)$")

_ADVICE = ("store it in a Secret and reference it (spec.hfTokenSecret for the Hugging Face token, or an env entry "
           "with valueFrom.secretKeyRef; a flag can then read it as \"$(VAR)\")")


def inline_token_errors(inputs: Inputs) -> list[Diagnostic]:
    """Every credential written inline in an endpoint or a repository-local recipe."""
    problems: list[Diagnostic] = []
    path: JsonPath
    for endpoint in inputs.endpoints:
        origin = endpoint.origin
        for index, entry in enumerate(endpoint.env):
            if "value" in entry and _is_secret_env(entry["name"], entry["value"]):
                path = ("spec", "env", index, "value")
                problems.append(_error(origin.file, origin.line_of(*path), format_path(path),
                                       f"{entry['name']} holds a credential written inline"))
        arg_sets: list[tuple[JsonPath, YamlPairs]] = [(("spec", "customArgs"), endpoint.custom_args)]
        arg_sets += [((*request.path, "customArgs"), request.custom_args) for request in endpoint.engines]
        roles = endpoint.disaggregation.roles if endpoint.disaggregation is not None else ()
        arg_sets += [((*role.path, "customArgs"), role.custom_args) for role in roles]
        for base, args in arg_sets:
            for flag, value in args:
                if _is_secret_arg(flag, value):
                    path = (*base, flag)
                    problems.append(_error(origin.file, origin.line_of(*path), format_path(path),
                                           f"{flag} holds a credential written inline"))
    for recipe in inputs.catalog.recipes:
        if recipe.builtin:
            continue
        origin = recipe.origin
        for name, value in recipe.env:
            if _is_secret_env(name, value):
                path = ("env", name)
                problems.append(_error(origin.file, origin.line_of(*path), format_path(path),
                                       f"{name} holds a credential written inline"))
        for config in recipe.configs:
            for name, value in config.env:
                if _is_secret_env(name, value):
                    path = (*config.path, "env", name)
                    problems.append(_error(origin.file, origin.line_of(*path), format_path(path),
                                           f"{name} holds a credential written inline"))
            for flag, value in config.args:
                if _is_secret_arg(flag, value):
                    path = (*config.path, "args", flag)
                    problems.append(_error(origin.file, origin.line_of(*path), format_path(path),
                                           f"{flag} holds a credential written inline"))
    return problems


def _error(file: str, line: int, field: str, what: str) -> Diagnostic:
    return Diagnostic(file, line, field, f"{what}: never commit a token; {_ADVICE}")


def _is_secret_env(name: str, value) -> bool:
    text = str(value)
    if _ENV_REFERENCE.match(text):
        return False
    return (name.upper() in SECRET_ENV_NAMES and text != "") or bool(_TOKEN_VALUE.search(text))


def _is_secret_arg(flag: str, value) -> bool:
    values = value if isinstance(value, (list, tuple)) else (value,)
    texts = [str(v) for v in values if v is not None and not isinstance(v, bool)]
    normalised = "--" + str(flag).lstrip("-").replace("_", "-")
    if normalised in SECRET_FLAGS and any(not _ENV_REFERENCE.match(t) for t in texts):
        return True
    return any(_TOKEN_VALUE.search(t) for t in texts)
