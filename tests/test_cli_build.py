"""The rendered objects: deterministic, valid Kubernetes, lossless through the typed models, written per file."""

from __future__ import annotations

import json
import subprocess
import sys

import crd_fixtures
import kube_schemas
import pytest
import yaml
from conftest import REPO, write_tree


def _objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_build_is_byte_identical_across_runs(aimc):
    first, second = aimc("build", "examples"), aimc("build", "examples")
    assert first.code == 0 and first.out == second.out
    assert "/work" not in first.out and str(REPO) not in first.out


def test_shipped_examples_pass_strict_validation(aimc):
    """A newcomer copies examples/: it must pass the strictest check (the seed's flag aliases are a warning, so
    examples use the engines' own names; tests/cases/seed-flag-aliases keeps the seed spelling)."""
    run = aimc("validate", "--strict", "examples/")
    assert run.code == 0, run.err
    assert "warning" not in run.err


# Kubernetes versions aimc's output is checked against (README, "Rendered workloads"): the oldest and the newest.
OLDEST_KUBERNETES, NEWEST_KUBERNETES = "1.29.0", "1.37.0"
# Inputs that together render every kind aimc produces.
RENDER_INPUTS = (["examples"], ["tests/cases/workloads-keda-cache-secrets/inputs"])

# Custom resources kubernetes-validate has no schema for: checked against the fields aimc renders, from the CRD of
# KEDA 2.x (keda.sh/v1alpha1 ScaledObject). The PodMonitor is checked against its vendored CRD (tests/crd_fixtures.py).
_METADATA = {"type": "object", "required": ["name", "namespace", "labels"],
             "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}}}
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): {
        "type": "object", "required": ["metadata", "spec"],
        "properties": {"metadata": _METADATA, "spec": {
            "type": "object", "required": ["scaleTargetRef", "triggers"], "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                                   "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                                  "name": {"type": "string"}}},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "pollingInterval": {"type": "integer"},
                "cooldownPeriod": {"type": "integer"},
                "advanced": {"type": "object", "additionalProperties": False, "properties": {
                    "horizontalPodAutoscalerConfig": {"type": "object", "additionalProperties": False,
                                                      "properties": {"behavior": {"type": "object"},
                                                                     "name": {"type": "string"}}}}},
                "triggers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                    "properties": {"type": {"type": "string"}, "name": {"type": "string"},
                                   "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                                   "metadata": {"type": "object", "additionalProperties": {"type": "string"},
                                                "required": ["serverAddress", "query", "threshold"]}}}},
            }}},
    },
}


def _all_rendered(aimc) -> list[dict]:
    objects = []
    for args in RENDER_INPUTS:
        result = aimc("build", *args)
        assert result.code == 0, result
        objects.extend(_objects(result.out))
    return objects


def test_kubernetes_validate_knows_the_versions_we_claim():
    import kubernetes_validate

    versions = set(kubernetes_validate.utils.all_versions())
    assert {OLDEST_KUBERNETES, NEWEST_KUBERNETES} <= versions
    readme = (REPO / "docs" / "operations" / "workloads.md").read_text()
    assert f"Kubernetes {OLDEST_KUBERNETES.rsplit('.', 1)[0]} (oldest supported)" in readme
    assert f"{NEWEST_KUBERNETES.rsplit('.', 1)[0]} (newest)" in readme


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, NEWEST_KUBERNETES])
def test_every_rendered_object_validates_against_kubernetes_schemas(aimc, version):
    import jsonschema

    objects = _all_rendered(aimc)
    kinds = {o["kind"] for o in objects}
    assert kinds >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                     "PersistentVolumeClaim", "ScaledObject", "PodMonitor", "InferencePool", "HTTPRoute",
                     "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "LeaderWorkerSet"}
    for obj in objects:
        crd_schema = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        if obj["kind"] in crd_fixtures.CRD_FILES:  # routing, groups: the CRDs themselves, when the fixtures exist
            if crd_fixtures.available(obj["kind"]):
                crd_fixtures.validate(obj)
        elif crd_schema is not None:
            jsonschema.validate(obj, crd_schema)  # a CRD: kubernetes-validate cannot check it
        else:
            kube_schemas.validate(obj, version)


def test_objects_round_trip_through_kubernetes_typed_models(aimc):
    from deepdiff import DeepDiff

    from aimc.k8s import typed_models as k8s_models

    for obj in _all_rendered(aimc):
        cls = k8s_models.model_class(obj["apiVersion"], obj["kind"])
        if cls is None:  # custom resources have no typed model
            assert (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS or obj["kind"] in crd_fixtures.CRD_FILES
            continue
        unknown: list = []
        model = k8s_models.to_model(obj, cls.__name__, "", unknown)
        assert unknown == []
        assert DeepDiff(obj, k8s_models.from_model(model)) == {}


def test_validate_reports_fields_the_typed_models_do_not_know(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n",
    })
    result = aimc("validate", str(tmp_path))
    assert result.code == 1
    assert "svc.yaml:6: spec.portz: unknown field for V1ServiceSpec (Service 'x')" in result.err
    assert aimc("validate", "examples").code == 0


def test_json_format_is_a_list_of_the_same_objects(aimc):
    as_yaml = _objects(aimc("build", "examples").out)
    as_json = json.loads(aimc("build", "examples", "--format", "json").out)
    assert as_json["kind"] == "List" and as_json["items"] == as_yaml


def test_stdin_stream_gives_the_same_objects(aimc):
    stream = "".join((REPO / "examples" / p).read_text() + "\n---\n"
                     for p in ("cluster.yaml", "endpoints/llama-3-8b.yaml"))
    from_stdin = _objects(aimc("build", "-", stdin=stream).out)
    from_files = _objects(aimc("build", "examples/endpoints/llama-3-8b.yaml", "--inventory",
                               "examples/cluster.yaml").out)
    assert from_stdin == from_files


def test_output_dir_writes_one_file_per_object_and_removes_only_its_own_stale_files(aimc, tmp_path):
    out = tmp_path / "rendered"
    (out / "inference").mkdir(parents=True)
    (out / "README.md").write_text("mine\n")
    (out / "inference" / "deployment-handwritten.yaml").write_text("kind: Deployment\n")
    assert aimc("build", "examples", "-o", str(out)).code == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert "inference/deployment-qwen3-32b-vllm.yaml" in files
    assert "inference/service-qwen3-32b-multi-sglang.yaml" in files
    # rebuild without one endpoint: its files go, hand-written files stay
    assert aimc("build", "examples", "--exclude", "endpoints/qwen3-32b-multi.yaml", "-o", str(out)).code == 0
    assert not (out / "inference" / "service-qwen3-32b-multi-sglang.yaml").exists()
    assert (out / "inference" / "deployment-handwritten.yaml").exists()
    assert (out / "README.md").read_text() == "mine\n"


def test_committed_render_folder_among_inputs_is_not_passed_through(aimc, tmp_path):
    repo = write_tree(tmp_path / "repo", {
        "cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
        "endpoints/llama.yaml": (REPO / "examples/endpoints/llama-3-8b.yaml").read_text(),
    })
    assert aimc("build", str(repo), "-o", str(repo / "rendered")).code == 0
    again = aimc("build", str(repo))
    assert again.code == 0
    names = [(o["kind"], o["metadata"]["name"]) for o in _objects(again.out)]
    assert len(names) == len(set(names))


@pytest.mark.e2e
def test_build_does_not_import_kubernetes_deepdiff_or_jinja2():
    code = ("import sys; from aimc.cli import main; rc = main(['build', 'examples']);"
            "bad = [m for m in ('kubernetes', 'deepdiff', 'jinja2') if m in sys.modules];"
            "print(bad, file=sys.stderr); sys.exit(1 if bad or rc else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_internal_error_exits_3_with_a_hint(aimc, monkeypatch):
    from aimc import pipeline

    def broken(options):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "compile", broken)
    result = aimc("build", "examples")
    assert result.code == 3
    assert "internal error" in result.err and "--traceback" in result.err and "Traceback" not in result.err


def test_usage_error_exits_2(aimc):
    assert aimc("build", "--format", "xml", "examples").code == 2


def test_every_error_of_every_file_is_reported(aimc, tmp_path):
    write_tree(tmp_path, {
        "cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
        "a.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: a}\nspec: {model: x, gpuCount: 0}\n",
        "b.yaml": "apiVersion: aim.engine.amd.com/v1alpha1\nkind: AIMEndpoint\nmetadata: {name: b}\nspec: {modle: x}\n",
        "c.yaml": "key: [unclosed\n",
    })
    result = aimc("build", str(tmp_path))
    assert result.code == 1 and result.out == ""
    for name in ("a.yaml:4", "b.yaml:4", "c.yaml:2"):
        assert name in result.err, result.err
    assert "aimc: 4 errors" in result.err


@pytest.mark.parametrize("args", [["--version"], ["build", "--help"], ["recipes", "list", "--help"]])
def test_version_and_help(aimc, args):
    assert aimc(*args).code == 0


def test_the_typed_model_walk_reads_each_type_name_once_per_check(monkeypatch):
    """Issue 24: one check remembers how each of the package's type names reads (not the objects' values), and still
    reports every unknown field and wrong type of every object."""
    import re
    from types import SimpleNamespace

    from aimc.k8s import typed_models as k8s_models

    parsed = []

    class Counting:
        def fullmatch(self, name):
            parsed.append(name)
            return re.fullmatch(r"[Ll]ist\[(.*)\]", name)

    monkeypatch.setattr(k8s_models, "_LIST_TYPE", Counting())
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "bogus": 1},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                           "template": {"spec": {"containers": [{"name": "c", "ports": "8000"}]}}}}
    items = [SimpleNamespace(obj=deployment, positions=None, file="f.yaml", source="f.yaml", line=3)] * 3
    problems = k8s_models.check_objects(items)
    assert [(p.field, p.message) for p in problems] == 3 * [
        ("metadata.bogus", "unknown field for V1ObjectMeta (Deployment 'd')"),
        ("spec.template.spec.containers[0].ports", "expected a list, got str (Deployment 'd')")]
    assert sorted(parsed) == sorted(set(parsed)) and "V1ObjectMeta" in parsed
