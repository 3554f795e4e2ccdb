"""render: pure functions from resolved endpoints to Kubernetes objects (plain dicts)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ResolvedEndpoint
from . import deployment, service


@dataclass(frozen=True)
class Rendered:
    """One object with the input file it came from (for `# Source:` comments and error messages)."""

    obj: dict
    source: str
    file: str = ""  # the input file as the user names it, and the line, for error messages
    line: int = 0


def render_endpoint(resolved: ResolvedEndpoint) -> list[Rendered]:
    origin = resolved.endpoint.origin
    objects = []
    for engine in resolved.engines:
        objects.append(deployment.render(resolved, engine))
    objects.extend(service.render(resolved))
    return [Rendered(obj, origin.source, origin.file, origin.line_of("metadata", "name")) for obj in objects]


def render_all(endpoints) -> list[Rendered]:
    out: list[Rendered] = []
    for resolved in endpoints:
        out.extend(render_endpoint(resolved))
    return out
