"""What the routing components (endpoint picker, body-based router) share: labels that never overlap an engine's
selector, the hardening every aimc pod gets, their RBAC and their disruption budget."""

from __future__ import annotations

from aimc.render import labels as L

# The upstream images are distroless `nonroot` (uid 65532): stated numerically, so runAsNonRoot can be verified.
RUN_AS = 65532


def labels(user_labels, component: str, instance: str, name: str) -> dict:
    """The endpoint's own labels (without aimc's `aim.engine.amd.com/` keys, which select engine pods), then ours."""
    out = {k: str(v) for k, v in user_labels if not str(k).startswith(f"{L.GROUP}/")}
    out.update({
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "aim-inference",
        "app.kubernetes.io/managed-by": "aimc",
    })
    out.update(selector(component, name))
    return out


def selector(component: str, name: str) -> dict:
    """Its own key, so that no engine Service, InferencePool or PodMonitor ever selects these pods."""
    return {f"{L.GROUP}/{component}": name}


def metadata(name: str, namespace: str | None, object_labels: dict) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(object_labels)
    return meta


def pod_security() -> dict:
    return {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict:
    return {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}


def tmp_volume() -> tuple[dict, dict]:
    """A small writable /tmp beside the read-only root filesystem: (volume, mount)."""
    return {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}, {"name": "tmp", "mountPath": "/tmp"}


def rbac(name: str, namespace: str | None, object_labels: dict, rules: list[dict]) -> list[dict]:
    """ServiceAccount, Role and RoleBinding of one component: namespaced, nothing cluster-wide."""
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, namespace, object_labels)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": metadata(name, namespace, object_labels), "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": metadata(name, namespace, object_labels),
         "subjects": [{"kind": "ServiceAccount", "name": name, **({"namespace": namespace} if namespace else {})}],
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}},
    ]


def read_rule(group: str, *resources: str) -> dict:
    return {"apiGroups": [group], "resources": list(resources), "verbs": ["get", "watch", "list"]}


def disruption_budget(name: str, namespace: str | None, object_labels: dict, pod_selector: dict) -> dict:
    """One pod at a time; pods that are not ready may always go, so a drain is never blocked."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, namespace, object_labels),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(pod_selector)},
                 "unhealthyPodEvictionPolicy": "AlwaysAllow"},
    }


def field_env(name: str, field_path: str) -> dict:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}
