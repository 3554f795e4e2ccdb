"""What `explain` and `plan` say about LoRA adapters (spec.adapters): where each one's weights come from and go, the
GPU slots its engine reserves, and how a client addresses it (through the gateway's route, or the endpoint's
Service when the inventory has no gateway)."""

from __future__ import annotations

from aimc.model.facts import ModelCatalog
from aimc.model.inputs import Inventory
from aimc.model.plan import ResolvedEndpoint, ResolvedEngine
from aimc.render import routes_bbr
from aimc.render.service import SERVICE_PORT
from aimc.resolve import adapter_routes, fit_lora, lora_flags

MIB = 2**20


def explain_lines(resolved: ResolvedEndpoint, engine: ResolvedEngine, inventory: Inventory | None,
                  models: ModelCatalog, endpoints=()) -> list[str]:
    adapters = resolved.endpoint.adapters
    if not adapters:
        return []
    flags = dict(_pairs(engine.args))
    slots = flags.get(lora_flags.SLOTS_FLAG[engine.engine], "the engine's default")
    rank = flags.get("--max-lora-rank", "16, vLLM's default" if engine.engine == "vllm" else "read from the adapters")
    lines = [(f"adapters: {len(adapters)}, {slots} at once on the GPU ({lora_flags.SLOTS_FLAG[engine.engine]}), "
              f"slots of rank {rank} (--max-lora-rank)")]
    model = models.lookup(resolved.endpoint.model, engine.recipe.huggingface_id, engine.recipe.model_id)
    for adapter in adapters:
        size = ""
        if model is not None and adapter.rank is not None:
            weights, with_mlp = fit_lora.adapter_bytes(model, adapter.rank)
            size = f", about {weights / MIB:.0f} MiB of 16-bit weights" + ("" if with_mlp else " (attention only)")
        fetched = ("downloaded once into the model cache by the fetch-adapters init container" if adapter.from_hub
                   else "read from the model cache")
        rank_text = f"rank {adapter.rank}" if adapter.rank is not None else "rank not given"
        lines.append(f"adapter {adapter.name}: {adapter.source}, {rank_text}{size}; {fetched} at "
                     f"{lora_flags.adapter_path(adapter)}")
    lines.extend(_addressing(resolved, inventory, endpoints))
    return lines


def _addressing(resolved: ResolvedEndpoint, inventory: Inventory | None, endpoints) -> list[str]:
    names = [a.name for a in resolved.endpoint.adapters]
    gateway = inventory.gateway if inventory is not None else None
    if gateway is None:
        namespace = f".{resolved.namespace}" if resolved.namespace else ""
        return [(f"clients: no gateway routes the adapters; send requests to the Service "
                 f"{resolved.endpoint.name}{namespace}:{SERVICE_PORT} with \"model\": one of {', '.join(names)} "
                 "(the engine serves each adapter under its name; the base model stays "
                 f"\"{resolved.endpoint.model}\")")]
    routes = [r for r in adapter_routes.adapter_routes(endpoints or (resolved,))
              if any(b.endpoint.endpoint.name == resolved.endpoint.name for b in r.backends)]
    shown = ", ".join(f"'{r.name}' ({len(r.adapters)} names in {len(r.rules)} rules)" for r in routes)
    return [(f"clients: send \"model\": the adapter's name through gateway '{gateway.namespace}/{gateway.name}'; "
             f"HTTPRoute {shown} matches it in the {routes_bbr.HEADER} header")]


def plan_rows(endpoints) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("ADAPTER", "ENDPOINT", "ENGINES", "RANK", "SOURCE")]
    for resolved in sorted(endpoints, key=lambda r: (r.namespace or "", r.endpoint.name)):
        engines = ",".join(e.engine for e in resolved.engines)
        for adapter in resolved.endpoint.adapters:
            rows.append((adapter.name, resolved.endpoint.name, engines,
                         str(adapter.rank) if adapter.rank is not None else "-", adapter.source))
    return rows if len(rows) > 1 else []


def plan_json(endpoints) -> list[dict]:
    return [{"adapter": adapter.name, "endpoint": resolved.endpoint.name, "namespace": resolved.namespace,
             "engines": [e.engine for e in resolved.engines], "rank": adapter.rank, "source": adapter.source,
             "path": lora_flags.adapter_path(adapter)}
            for resolved in sorted(endpoints, key=lambda r: (r.namespace or "", r.endpoint.name))
            for adapter in resolved.endpoint.adapters]


def _pairs(args: tuple[str, ...]):
    """(flag, its first value) of a command line."""
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[index + 1] if index + 1 < len(args) else ""
            yield arg, following if not following.startswith("--") else ""
