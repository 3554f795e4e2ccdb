"""`explain`'s lines for a disaggregated endpoint: which role a selection is, and what joins the roles (the KV
transfer backend and why, the KV each role must hold, the front door)."""

from __future__ import annotations

from aimc.model.disaggregation import ROLES, RouterResources
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine, Selection


def role_of(selection: Selection) -> str:
    """"prefill" or "decode" for the selection of a role, "" otherwise (its request lives under spec.disaggregation)."""
    path = selection.request.path
    return str(path[2]) if path[:2] == ("spec", "disaggregation") and len(path) > 2 and path[2] in ROLES else ""


def owner_name(selection: Selection) -> str:
    """The endpoint's name as written (a role's view is named `<name>-<role>`)."""
    role, name = role_of(selection), selection.endpoint.name
    return name[:-len(role) - 1] if role and name.endswith(f"-{role}") else name


def role_lines(selection: Selection) -> list[str]:
    role = role_of(selection)
    if not role:
        return []
    line = (f"role: {role} of the disaggregated endpoint {owner_name(selection)} (spec.disaggregation.{role}: "
            "sized, placed and scaled on its own)")
    return [line]


def joined_lines(resolved: ResolvedEndpoint, engine: ResolvedEngine) -> list[str]:
    """After the decode role: how the roles work together."""
    plan = resolved.disaggregation
    if plan is None or engine.role != "decode":
        return []
    transfer = plan.transfer
    lines = [f"KV transfer: {transfer.backend} ({transfer.why})"
             + (f", RDMA devices {','.join(transfer.devices)}" if transfer.devices else "")]
    lines += [f"KV per replica: {note}" for note in plan.notes]
    lines += list(resolved.serving)  # spec.objective.serving chose this layout: the comparison
    lines += list(plan.objective)
    door = plan.front_door
    if door is not None:
        lines.append(f"front door: {door.why}; the endpoint's Service and routes reach it, never a role")
        lines.append(f"front door command: {' '.join((*door.command, *door.args))}")
        if door.resources is not None:
            lines.append(f"front door resources: {_quantities(door.resources)} ({door.resources.source})")
        if door.metrics_port is not None:
            lines.append(f"front door metrics: port {door.metrics_port} (its own Prometheus listener); scraped by a "
                         "PodMonitor when the inventory sets spec.monitoring.prometheusOperator")
    return lines


def _quantities(resources: RouterResources) -> str:
    parts = [f"{kind} {', '.join(f'{name} {value}' for name, value in pairs)}"
             for kind, pairs in (("requests", resources.requests), ("limits", resources.limits)) if pairs]
    return "; ".join(parts) or "none"
