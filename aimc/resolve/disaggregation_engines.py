"""Which engines aimc renders disaggregated, and how: per engine, the flags of each role and the front door.

The extension point of disaggregated serving: an engine's module gives `role_args(role, transfer)` (the flags aimc
writes for a role before the precedence merge, checked against the image's flag set like any other) and
`front_door(endpoint, prefill, decode)` (the workload clients reach in front of the roles, or None when the engine
pairs them without one), and `role_annotations(role, transfer)` (what the front door reads from a role's pods).
"""

from __future__ import annotations

from typing import Any

from aimc.records import Record


class EngineSupport(Record):
    role_args: Any  # (role, Transfer) -> ArgPairs
    front_door: Any  # (Endpoint, prefill ResolvedEngine, decode ResolvedEngine) -> FrontDoor | None
    role_annotations: Any  # (role, Transfer) -> StrPairs


ENGINES = ("sglang",)


def support(engine: str) -> EngineSupport | None:
    if engine == "sglang":
        from aimc.resolve import disaggregation_sglang as sglang

        return EngineSupport(sglang.role_args, sglang.front_door, sglang.role_annotations)
    return None
