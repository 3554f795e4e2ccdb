"""The OpenAPI v3 schemas of the CRDs aimc renders for: from the shared fixtures (Gateway API v1.6.1 HTTPRoute,
Inference Extension v1.6.0 InferencePool, LeaderWorkerSet v1, prometheus-operator v0.93.0 PodMonitor; tests that use
them skip when that folder is absent) and vendored in tests/fixtures/ (the gateway providers' kinds: Istio 1.30.3 DestinationRule and EnvoyFilter, GKE
HealthCheckPolicy, GCPBackendPolicy and GCPRoutingExtension; tests/fixtures/PROVENANCE.md)."""

from __future__ import annotations

from functools import cache

import yaml
from conftest import REPO, SHARED_FIXTURES

VENDORED = REPO / "tests" / "fixtures"

CRD_FILES = {
    "HTTPRoute": SHARED_FIXTURES / "gateway-api" / "gateway.networking.k8s.io_httproutes.yaml",
    "InferencePool": SHARED_FIXTURES / "gaie" / "crd" / "inference.networking.k8s.io_inferencepools.yaml",
    "LeaderWorkerSet": SHARED_FIXTURES / "lws" / "leaderworkerset.x-k8s.io_leaderworkersets.yaml",
    "PodMonitor": SHARED_FIXTURES / "prometheus-operator" / "monitoring.coreos.com_podmonitors.yaml",
    "DestinationRule": VENDORED / "istio" / "destinationrules.networking.istio.io.yaml",
    "EnvoyFilter": VENDORED / "istio" / "envoyfilters.networking.istio.io.yaml",
    "HealthCheckPolicy": VENDORED / "gke" / "networking.gke.io_healthcheckpolicies.yaml",
    "GCPBackendPolicy": VENDORED / "gke" / "networking.gke.io_gcpbackendpolicies.yaml",
    "GCPRoutingExtension": VENDORED / "gke" / "networking.gke.io_gcproutingextensions.yaml",
}


def available(kind: str | None = None) -> bool:
    """Every CRD (or the one of `kind`) is in the fixtures."""
    paths = [CRD_FILES[kind]] if kind else CRD_FILES.values()
    return all(path.is_file() for path in paths)


@cache
def crd(kind: str) -> dict:
    # libyaml's loader: the CRDs are up to 1 MB of YAML, which the pure-Python loader takes seconds to read.
    return yaml.load(CRD_FILES[kind].read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def schema(api_version: str, kind: str) -> dict | None:
    """The schema of `kind` at `api_version` when the fixtures hold that CRD and serve that version, else None."""
    if kind not in CRD_FILES or not CRD_FILES[kind].is_file():
        return None
    document = crd(kind)
    group, _, version = api_version.partition("/")
    if document["spec"]["group"] != group:
        return None
    for entry in document["spec"]["versions"]:
        if entry["name"] == version and entry.get("served"):
            return entry["schema"]["openAPIV3Schema"]
    return None


def validate(obj: dict) -> None:
    """jsonschema against the CRD's schema (the x-kubernetes-* keywords and CEL rules are not checked)."""
    raise_best_error(_validator(obj["apiVersion"], obj["kind"]), obj)


def raise_best_error(validator, obj: dict) -> None:
    """What `jsonschema.validate(obj, schema)` does, with a validator made once per schema: `validate` checks the
    schema against its metaschema on every call, most of its time on a CRD's schema of thousands of lines."""
    import jsonschema

    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    if error is not None:
        raise error


@cache
def _validator(api_version: str, kind: str):
    found = schema(api_version, kind)
    assert found is not None, f"no CRD schema serves {api_version} {kind}"
    return checked_validator(found)


def checked_validator(found: dict):
    """The validator `jsonschema.validate` would use for `found`, after the same check of the schema itself."""
    import jsonschema

    cls = jsonschema.validators.validator_for(found)
    cls.check_schema(found)
    return cls(found)
