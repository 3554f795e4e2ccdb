"""The router in front of a disaggregated endpoint's roles, as an operated workload (issue 27: "probes, metrics,
autoscaling and disruption budgets per role"): its Prometheus metrics scraped like the roles', its CPU and memory
(spec.disaggregation.router.resources, or the default of catalog/routers.yaml with its source), its probes and its
hardening; for both engines' routers (the SGLang router, vLLM's router)."""

from __future__ import annotations

import crd_fixtures
import pytest
import test_disaggregation as sg
import test_disaggregation_vllm as vl

from aimc.catalog import routers

MONITORING = "  monitoring: {prometheusOperator: true}\n"
RESOURCES = """\
    router:
      resources:
        requests: {cpu: 500m, memory: 1Gi}
        limits: {cpu: 1, memory: 2Gi}
"""


def build(aimc, tmp_path, engine: str, disaggregation: str = "", cluster: str = "") -> list[dict]:
    """The SGLang (Qwen3-32B on MI355X) or the vLLM (Llama 3.3 70B on MI300X) disaggregated endpoint."""
    if engine == "sglang":
        return sg.build(aimc, tmp_path, sg.endpoint(sg.ROLES + disaggregation), cluster=cluster)
    return vl.build(aimc, tmp_path, vl.endpoint(vl.ROLES + disaggregation), cluster=cluster)


def router(objects, engine: str) -> dict:
    name = "qwen-pd-router" if engine == "sglang" else "llama-pd-router"
    return sg.find(objects, "Deployment", name)


def args_after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


# -- metrics ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_the_router_serves_its_metrics_on_a_named_port_with_flags_its_release_parses(aimc, tmp_path, engine):
    main = router(build(aimc, tmp_path, engine), engine)["spec"]["template"]["spec"]["containers"][0]
    # Both releases bind their Prometheus listener apart from the serving port (29000; vLLM's router on 127.0.0.1
    # unless told otherwise): aimc opens it to the pod network and names the port.
    assert args_after(main["args"], "--prometheus-host") == "0.0.0.0"
    assert args_after(main["args"], "--prometheus-port") == "29000"
    assert {"name": "metrics", "containerPort": 29000, "protocol": "TCP"} in main["ports"]
    assert routers.problems(routers.router_flags(engine), tuple(main["args"])) == []
    flags = routers.router_flags(engine)
    assert flags.lookup("--prometheus-port") is not None and flags.lookup("--prometheus-host") is not None


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_the_router_has_a_podmonitor_that_selects_only_its_pods_and_validates_against_the_crd(aimc, tmp_path, engine):
    objects = build(aimc, tmp_path, engine, cluster=MONITORING)
    door = router(objects, engine)
    monitor = sg.find(objects, "PodMonitor", door["metadata"]["name"])
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    selector = monitor["spec"]["selector"]["matchLabels"]
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
            for o in objects if o["kind"] == "Deployment"}
    assert [name for name, labels in pods.items() if sg.selects(selector, labels)] == [door["metadata"]["name"]]
    # The roles keep their own monitors: three in all, each validated against prometheus-operator's CRD.
    monitors = [o for o in objects if o["kind"] == "PodMonitor"]
    assert len(monitors) == 3
    if not crd_fixtures.available("PodMonitor"):
        pytest.skip("the prometheus-operator CRD is not in the fixtures")
    for obj in monitors:
        crd_fixtures.validate(obj)


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_without_the_prometheus_operator_no_monitor_is_rendered(aimc, tmp_path, engine):
    objects = build(aimc, tmp_path, engine)
    assert not [o for o in objects if o["kind"] == "PodMonitor"]


def test_explain_shows_the_routers_metrics_port_and_resources(aimc, tmp_path):
    result = vl.run(aimc, tmp_path, command="explain")
    assert result.code == 0, result.err
    assert "front door metrics: port 29000" in result.out
    assert ("front door resources: requests cpu 2, memory 4Gi; limits cpu 4, memory 8Gi (vllm-project/router "
            "scripts/k8s/pd_disagg/router-deployment.yaml)") in result.out


# -- resources, probes, hardening -----------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_the_router_gets_the_default_requests_and_limits_of_its_catalog_entry(aimc, tmp_path, engine):
    main = router(build(aimc, tmp_path, engine), engine)["spec"]["template"]["spec"]["containers"][0]
    facts = routers.router(engine)
    assert facts is not None
    assert main["resources"] == {"requests": dict(facts.resources.requests), "limits": dict(facts.resources.limits)}
    # vllm-project/router's own P/D manifest (scripts/k8s/pd_disagg/router-deployment.yaml).
    assert main["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
    assert "router-deployment.yaml" in facts.resources.source


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_spec_router_resources_replace_the_default(aimc, tmp_path, engine):
    main = router(build(aimc, tmp_path, engine, RESOURCES), engine)["spec"]["template"]["spec"]["containers"][0]
    assert main["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    only = "    router:\n      resources:\n        requests: {memory: 512Mi}\n"
    main = router(build(aimc, tmp_path, engine, only), engine)["spec"]["template"]["spec"]["containers"][0]
    assert main["resources"] == {"requests": {"memory": "512Mi"}}


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_the_router_keeps_its_probes_and_hardening(aimc, tmp_path, engine):
    pod = router(build(aimc, tmp_path, engine), engine)["spec"]["template"]["spec"]
    main = pod["containers"][0]
    # sgl-router src/server.rs (and vLLM's fork): /liveness while the process runs, /readiness with healthy workers.
    assert main["livenessProbe"]["httpGet"] == {"path": "/liveness", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readiness", "port": "http"}
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_a_request_above_its_limit_is_an_error_at_the_requests_line(aimc, tmp_path):
    resources = "    router:\n      resources:\n        requests: {cpu: 8}\n        limits: {cpu: 4000m}\n"
    result = sg.run(aimc, tmp_path, sg.endpoint(sg.ROLES + resources))
    assert result.code == 1 and result.out == "", result
    assert ("endpoints.yaml:12: spec.disaggregation.router.resources.requests.cpu: the router's cpu request 8 is "
            "above its limit 4000m") in result.err


@pytest.mark.parametrize(("field", "value"), [
    ("cpu", '"1; rm -rf /"'), ("cpu", '"$(id)"'), ("cpu", "-1"), ("cpu", "100000"), ("cpu", "0.5"),
    ("memory", '"4Gi\\n---\\nkind: Secret"'), ("memory", "4096"), ("memory", '"99999999999999Gi"'),
    ("memory", '"4 GiB"'), ("memory", '"４Gi"'), ("gpu", '"1"'),
])
def test_hostile_router_resources_are_refused_at_their_line(aimc, tmp_path, field, value):
    resources = f"    router:\n      resources:\n        requests:\n          {field}: {value}\n"
    result = sg.run(aimc, tmp_path, sg.endpoint(sg.ROLES + resources))
    assert result.code == 1 and result.out == "", result
    assert f"endpoints.yaml:13: spec.disaggregation.router.resources.requests.{field}: " in result.err
    assert "Traceback" not in result.err


def test_a_cpu_of_zero_says_what_would_be_right(aimc, tmp_path):
    """The schema's exclusiveMinimum: jsonschema's own '0 is less than or equal to the minimum of 0' named the bound
    but not what is allowed; an integer cpu is whole cores, so the least one is 1 (validate/schema.py)."""
    resources = "    router:\n      resources:\n        requests:\n          cpu: 0\n"
    result = sg.run(aimc, tmp_path, sg.endpoint(sg.ROLES + resources))
    assert result.code == 1 and result.out == "", result
    assert ("endpoints.yaml:13: spec.disaggregation.router.resources.requests.cpu: 0 is too small: expected at "
            "least 1 (CPU: whole cores as an integer (1 to 512), or a string of cores or millicores") in result.err
    assert "minimum of" not in result.err


@pytest.mark.parametrize(("part", "field", "value"), [
    ("requests", "cpu", '"0"'), ("limits", "cpu", '"0m"'), ("requests", "memory", '"0Gi"'), ("limits", "memory", '"0"'),
])
def test_a_zero_quantity_written_as_a_string_is_refused_like_the_number(aimc, tmp_path, part, field, value):
    """The schema refuses `cpu: 0` (exclusiveMinimum); its pattern let "0", "0m" and "0Gi" through."""
    resources = f"    router:\n      resources:\n        {part}:\n          {field}: {value}\n"
    result = sg.run(aimc, tmp_path, sg.endpoint(sg.ROLES + resources))
    assert result.code == 1 and result.out == "", result
    assert (f"endpoints.yaml:13: spec.disaggregation.router.resources.{part}.{field}: {value.strip(chr(34))!r} is "
            f"zero: every request passes through the router, so its {field} must be above zero") in result.err
