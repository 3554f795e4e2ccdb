"""spec.disaggregation.router.resources (schema-checked already: cpu and memory quantities) -> `RouterResources`,
with what the schema cannot say: a request above its limit, which the API server refuses (the Deployment would
never get a pod), is an error at the request's line."""

from __future__ import annotations

import re
from fractions import Fraction

from aimc.errors import Collector
from aimc.model.disaggregation import RouterResources
from aimc.model.origin import Origin

PATH = ("spec", "disaggregation", "router", "resources")
# The suffixes the schema lets through (decimal and binary SI, and millicores).
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {None: Fraction(1), "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6),
            "G": Fraction(10**9), "T": Fraction(10**12), "Ki": Fraction(2**10), "Mi": Fraction(2**20),
            "Gi": Fraction(2**30), "Ti": Fraction(2**40)}


def quantity(text: str) -> Fraction:
    match = _QUANTITY.match(text)
    assert match is not None, f"the schema admits only quantities: {text!r}"
    return Fraction(match.group(1)) * _FACTORS[match.group(2)]


def as_text(value) -> str:
    """A quantity as Kubernetes reads it: YAML's 2 (whole cores, the only number the schema admits) as "2"."""
    return str(value)


def parse_router_resources(raw: dict | None, origin: Origin, collector: Collector) -> RouterResources | None:
    if raw is None:
        return None
    requests = {name: as_text(value) for name, value in (raw.get("requests") or {}).items()}
    limits = {name: as_text(value) for name, value in (raw.get("limits") or {}).items()}
    ok = _no_zero(requests, "requests", origin, collector) & _no_zero(limits, "limits", origin, collector)
    for name in sorted(requests.keys() & limits.keys()):
        if quantity(requests[name]) > quantity(limits[name]):
            ok = False
            path = (*PATH, "requests", name)
            collector.error(origin.file, origin.line_of(*path), ".".join(path),
                            f"the router's {name} request {requests[name]} is above its limit {limits[name]} "
                            f"({'.'.join((*PATH, 'limits', name))}), which the API server refuses: request at most "
                            "the limit, or raise the limit")
    if not ok:
        return None
    return RouterResources(tuple(sorted(requests.items())), tuple(sorted(limits.items())),
                           ".".join(PATH))


def _no_zero(quantities: dict[str, str], part: str, origin: Origin, collector: Collector) -> bool:
    """A quantity of zero ("0", "0m", "0.0Gi"): the schema refuses the number 0 (exclusiveMinimum) but its pattern
    lets a zero string through; a router with no CPU or memory cannot pass on the requests it fronts."""
    ok = True
    for name, text in sorted(quantities.items()):
        if quantity(text) == 0:
            ok = False
            path = (*PATH, part, name)
            example = "500m" if name == "cpu" else "1Gi"
            collector.error(origin.file, origin.line_of(*path), ".".join(path),
                            f"'{text}' is zero: every request passes through the router, so its {name} must be above "
                            f"zero (e.g. {example}), or leave {name} out")
    return ok
