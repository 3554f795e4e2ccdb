"""Which engines aimc renders disaggregated, and how: per engine, the flags of each role and the front door.

The extension point of disaggregated serving: an engine's module gives `role_args(endpoint, role, transfer)` (the
flags aimc writes for a role before the precedence merge, checked against the image's flag set like any other),
`front_door(endpoint, prefill, decode, transfer)` (the workload clients reach in front of the roles, or None when the
engine pairs them without one), `role_annotations(role, transfer)` (what the front door reads from a role's pods) and
optionally `role_env(role, transfer)` (what a role's engine container needs in its environment).
"""

from __future__ import annotations

from typing import Any

from aimc.records import Record


class EngineSupport(Record):
    role_args: Any  # (Endpoint, role, Transfer) -> ArgPairs
    front_door: Any  # (Endpoint, prefill ResolvedEngine, decode ResolvedEngine, Transfer) -> FrontDoor | None
    role_annotations: Any  # (role, Transfer) -> StrPairs
    role_env: Any = None  # (role, Transfer) -> StrPairs: further environment of a role's engine container
    renders: tuple[str, ...] = ()  # the transfer backends aimc can render for the engine (empty: any it parses)
    without_backend: str = ""  # what to do when the image ships no backend aimc knows of (its error says it)


ENGINES = ("sglang", "vllm")


def support(engine: str) -> EngineSupport | None:
    if engine == "sglang":
        from aimc.resolve import disaggregation_sglang as sglang

        return EngineSupport(lambda _endpoint, role, transfer: sglang.role_args(role, transfer),
                             lambda endpoint, prefill, decode, _transfer: sglang.front_door(endpoint, prefill, decode),
                             sglang.role_annotations)
    if engine == "vllm":
        from aimc.resolve import disaggregation_vllm as vllm

        return EngineSupport(vllm.role_args, vllm.front_door, vllm.role_annotations, vllm.role_env,
                             tuple(vllm.CONNECTORS), vllm.WITHOUT_BACKEND)
    return None
