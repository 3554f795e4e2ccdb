"""Messages about one role of a disaggregated endpoint name the role's field and its own line
(spec.disaggregation.<role>.autoScaling.*, .recipe, .customArgs.*), not spec.autoScaling or spec.recipe at the
endpoint's line: a role is resolved and checked as an endpoint of its own (resolve/disaggregation.py), but its settings
are written under the role."""

from __future__ import annotations

import test_disaggregation as sg
import test_disaggregation_vllm as vl

ENDPOINT = """\
apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata: {name: qwen-pd}
spec:
  model: Qwen/Qwen3-32B
  servingEngine: %s
  disaggregation:
    prefill:
      gpuCount: 2
%s    decode:
      gpuCount: 2
%s"""


def messages(aimc, tmp_path, prefill: str = "", decode: str = "", cluster: str = "", engine: str = "sglang",
             command: str = "validate") -> list[str]:
    """aimc's messages with the file's directory cut off: `endpoints.yaml:<line>: <field>: ...`."""
    result = sg.run(aimc, tmp_path, ENDPOINT % (engine, prefill, decode), cluster=cluster, command=command)
    return [line.removeprefix(f"{tmp_path}/") for line in result.err.splitlines()]


def starts(lines: list[str], prefix: str) -> bool:
    return any(line.startswith(prefix) for line in lines)


def test_keda_without_a_prometheus_server_names_the_roles_provider(aimc, tmp_path):
    decode = "      autoScaling:\n        enabled: true\n        maxReplicas: 3\n        provider: keda\n"
    lines = messages(aimc, tmp_path, decode=decode)
    assert starts(lines, "endpoints.yaml:15: spec.disaggregation.decode.autoScaling.provider: keda needs a "
                         "Prometheus server"), lines
    assert not [line for line in lines if "spec.autoScaling" in line]


def test_an_hpa_without_an_adapter_names_the_roles_autoscaling(aimc, tmp_path):
    prefill = "      autoScaling: {enabled: true, maxReplicas: 2}\n"
    lines = messages(aimc, tmp_path, prefill=prefill)
    assert starts(lines, "endpoints.yaml:10: warning: spec.disaggregation.prefill.autoScaling: the "
                         "HorizontalPodAutoscaler reads the custom metric"), lines


def test_a_deprecated_metric_names_the_roles_metric_name(aimc, tmp_path):
    decode = ("      autoScaling:\n        enabled: true\n        maxReplicas: 3\n"
              "        metric: {name: 'vllm:time_per_output_token_seconds'}\n")
    result = vl.run(aimc, tmp_path, vl.endpoint(vl.ROLES.replace(
        "    decode: {replicas: 2, gpuCount: 4}\n", "    decode:\n      gpuCount: 4\n" + decode)),
        cluster="  monitoring: {prometheusAdapter: true}\n", command="validate")
    lines = [line.removeprefix(f"{tmp_path}/") for line in result.err.splitlines()]
    assert starts(lines, "endpoints.yaml:15: warning: spec.disaggregation.decode.autoScaling.metric.name: "
                         "vllm:time_per_output_token_seconds is deprecated"), lines


def test_a_metric_name_that_is_no_prometheus_name_is_refused_at_the_roles_line(aimc, tmp_path):
    decode = "      autoScaling:\n        enabled: true\n        maxReplicas: 3\n        metric: {name: 'a b})'}\n"
    lines = messages(aimc, tmp_path, decode=decode, command="build")
    assert starts(lines, "endpoints.yaml:15: spec.disaggregation.decode.autoScaling.metric.name: 'a b})' is not a "
                         "Prometheus metric name"), lines


def test_a_minimum_above_the_maximum_names_the_roles_autoscaling(aimc, tmp_path):
    prefill = "      autoScaling: {enabled: true, minReplicas: 3, maxReplicas: 2}\n"
    lines = messages(aimc, tmp_path, prefill=prefill)
    assert starts(lines, "endpoints.yaml:10: spec.disaggregation.prefill.autoScaling: minReplicas (3) is greater "
                         "than maxReplicas (2)"), lines


def test_an_unknown_role_recipe_names_the_roles_recipe(aimc, tmp_path):
    lines = messages(aimc, tmp_path, decode="      recipe: no-such-recipe\n")
    assert starts(lines, "endpoints.yaml:12: spec.disaggregation.decode.recipe: unknown recipe 'no-such-recipe'"), lines


def test_a_role_recipe_of_another_model_names_the_roles_recipe(aimc, tmp_path):
    lines = messages(aimc, tmp_path, prefill="      recipe: llama-3-3-70b-instruct-mi355x-fp8\n")
    assert starts(lines, "endpoints.yaml:10: spec.disaggregation.prefill.recipe: recipe "
                         "'llama-3-3-70b-instruct-mi355x-fp8' serves 'meta-llama/Llama-3.3-70B-Instruct'"), lines


def test_a_credential_in_a_roles_custom_args_is_refused_at_its_line(aimc, tmp_path):
    decode = "      customArgs:\n        --api-key: hf_abcdefghijklmnopqrstuvwxyz0123456789\n"
    lines = messages(aimc, tmp_path, decode=decode)
    assert starts(lines, "endpoints.yaml:13: spec.disaggregation.decode.customArgs.--api-key: --api-key holds a "
                         "credential written inline"), lines


def test_an_undefined_variable_in_a_roles_credential_flag_names_the_roles_flag(aimc, tmp_path):
    decode = "      customArgs:\n        --api-key: $(API_KEY)\n"
    lines = messages(aimc, tmp_path, decode=decode)
    assert starts(lines, "endpoints.yaml:13: spec.disaggregation.decode.customArgs.--api-key: '$(API_KEY)' names no "
                         "variable of the container"), lines
