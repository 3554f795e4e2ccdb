"""`$(VAR)` in a credential flag must name a variable the container defines.

Kubernetes replaces `$(NAME)` in a container's command and args with the value of the container's variable NAME,
and leaves the text as written when the container defines no NAME (k8s.io/kubernetes
third_party/forked/golang/expansion/expand.go). `--api-key: "$(API_KEY)"` without an `API_KEY` variable would start
the engine with the literal, guessable key `$(API_KEY)`: an error, naming the flag.
"""

from __future__ import annotations

import re

from aimc.errors import Diagnostic, quote
from aimc.load.yaml_positions import format_path
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import deployment
from aimc.validate.secrets import SECRET_FLAGS

# What the LeaderWorkerSet controller adds to every container of a group (sigs.k8s.io/lws pkg/utils/pod).
GROUP_VARIABLES = frozenset({"LWS_LEADER_ADDRESS", "LWS_GROUP_SIZE", "LWS_WORKER_INDEX"})
_WHOLE_REFERENCE = re.compile(r"\$\(([^)]*)\)")


def undefined_secret_references(endpoints, inventory: Inventory | None) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for resolved in endpoints:
        for engine in resolved.engines:
            references = [(flag, value, match.group(1)) for flag, value in zip(engine.args, engine.args[1:],
                                                                                strict=False)
                          if flag in SECRET_FLAGS and (match := _WHOLE_REFERENCE.fullmatch(value))]
            if not references:  # the usual engine: its environment is not built again just to be read
                continue
            defined = {entry["name"] for entry in deployment.environment(resolved, engine, inventory)}
            if engine.group is not None:
                defined |= GROUP_VARIABLES
            problems += [_error(resolved, engine, flag, value, sorted(defined))
                         for flag, value, name in references if name not in defined]
    return problems


def _error(resolved: ResolvedEndpoint, engine: ResolvedEngine, flag: str, value: str, defined: list[str]) -> Diagnostic:
    endpoint = resolved.endpoint
    path: tuple = ("spec", "customArgs", flag)
    for request in endpoint.engines:  # the engine entry's own customArgs, when the flag is written there
        if request.engine == engine.engine and any(f == flag for f, _ in request.custom_args):
            path = (*request.path, "customArgs", flag)
    roles = endpoint.disaggregation.roles if endpoint.disaggregation is not None else ()
    for role in roles:  # a disaggregated role's own customArgs, likewise
        if role.name == engine.role and any(f == flag for f, _ in role.custom_args):
            path = (*role.path, "customArgs", flag)
    return Diagnostic(endpoint.origin.file, endpoint.origin.line_of(*path), format_path(path),
                      f"{quote(value)} names no variable of the container, so Kubernetes would leave it as written "
                      f"and {engine.engine} would take that text as its key; define it in spec.env from the Secret "
                      "(e.g. {name: API_KEY, valueFrom: {secretKeyRef: {name: ..., key: ...}}})"
                      + (f"; defined: {', '.join(defined)}" if defined else ""))
