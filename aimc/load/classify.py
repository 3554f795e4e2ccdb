"""What a loaded YAML document is: one of aimc's own kinds, a Kubernetes object to pass through, a tool's
configuration, or nothing aimc reads."""

from __future__ import annotations

from aimc.errors import Diagnostic, describe, did_you_mean

API_GROUP = "aim.engine.amd.com"
API_VERSION = f"{API_GROUP}/v1alpha1"
OWN_KINDS = ("AIMEndpoint", "ClusterInventory", "AIMModel", "AIMBenchmarkScenario")

# Objects that configure tools, not the cluster: never passed through.
TOOL_KINDS = {
    ("kustomize.config.k8s.io", "Kustomization"),
    ("kustomize.config.k8s.io", "Component"),
    ("argoproj.io", "ConfigManagementPlugin"),
    ("config.kubernetes.io", "ResourceList"),
    ("aimc.amd.com", "AimcCompiler"),  # the Kustomize plugin's own config (overlays/*-plugin)
}


def classify(data) -> str | Diagnostic | None:
    """What a document is. None: not ours and not a Kubernetes object (CI configs, empty documents)."""
    if not isinstance(data, dict):
        return None
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str):
        group = api_version.rpartition("/")[0]
        if group == API_GROUP:
            return {"AIMEndpoint": "endpoint", "ClusterInventory": "inventory", "AIMModel": "model",
                    "AIMBenchmarkScenario": "scenario"}.get(kind) or \
                _unknown_own_kind(kind)
        if kind in OWN_KINDS:  # a typo in the group would pass the endpoint through as an unknown custom resource
            return Diagnostic("", 0, "apiVersion", f"'{api_version}' is not the apiVersion of {kind}: expected "
                                                   f"'{API_VERSION}'")
        if (group, kind) in TOOL_KINDS:
            return None
        return "object"
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if value is not None and not isinstance(value, str):
            return Diagnostic("", 0, key, f"{describe(value)} is not valid; expected a string")
    if "recipe_id" in data and ("vllm_serve" in data or "sglang_serve" in data or "model_id" in data):
        return "recipe"
    metadata = data.get("metadata")
    if "engine_args" in data and isinstance(metadata, dict) and "engine" in metadata:
        return "profile"
    if kind in OWN_KINDS or (isinstance(kind, str) and isinstance(data.get("metadata"), dict)):
        # Looks like a Kubernetes object but would be dropped silently: say so instead.
        return Diagnostic("", 0, "apiVersion", f"missing apiVersion for kind '{kind}'"
                          + (f": expected '{API_VERSION}'" if kind in OWN_KINDS else ""))
    return None


def _unknown_own_kind(kind: str) -> Diagnostic:
    return Diagnostic("", 0, "kind", f"unknown kind '{kind}' in {API_GROUP}{did_you_mean(kind, OWN_KINDS)}; "
                                     f"known kinds: {', '.join(OWN_KINDS)}")
