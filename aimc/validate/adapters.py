"""spec.adapters of an AIMEndpoint -> `Adapter` records, with the checks one document can make: an adapter name given
twice, or equal to the endpoint's own model (a request for that name would be ambiguous). Names across endpoints
are checked once every endpoint is resolved (resolve/adapter_routes.py)."""

from __future__ import annotations

from aimc.errors import Collector, quote
from aimc.model.adapters import Adapter
from aimc.model.origin import Origin


def parse_adapters(spec: dict, origin: Origin, collector: Collector) -> tuple[Adapter, ...]:
    adapters: list[Adapter] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(spec.get("adapters") or ()):
        adapter = Adapter(entry["name"], entry["source"], entry.get("rank"), index)
        path = adapter.path
        field = f"spec.adapters[{index}].name"
        if adapter.name in seen:
            collector.error(origin.file, origin.line_of(*path, "name"), field,
                            f"adapter name {quote(adapter.name)} is given twice (also "
                            f"spec.adapters[{seen[adapter.name]}]): each adapter needs a name of its own, the name "
                            "clients send as the model")
            continue
        if adapter.name == spec.get("model"):
            collector.error(origin.file, origin.line_of(*path, "name"), field,
                            f"adapter name {quote(adapter.name)} is the endpoint's own spec.model: a request for it "
                            "could mean the base model or the adapter; name the adapter differently")
            continue
        seen[adapter.name] = index
        adapters.append(adapter)
    return tuple(adapters)
