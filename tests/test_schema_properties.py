"""Property: any input the schema accepts, and any junk in the inputs that have no schema, either builds or fails with
exit 1 and `file:line` — never exit 3 (a crash), never exit 0 with a document aimc's own schema refuses.

Documents are drawn from the shipped JSON Schemas themselves (hypothesis-jsonschema: AIMModel, ClusterInventory,
AIMEndpoint with its image and engine-version fields) and kept only when our validator accepts them; `config.json`
and benchmark result files (no schema: whatever a file holds) are drawn as the keys aimc reads set to any JSON value,
NaN, huge numbers and deep nesting included. The default run is small and derandomised; the large run is

    AIMC_HYPOTHESIS_EXAMPLES=10000 python3 -m pytest tests/test_schema_properties.py
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path

import yaml
from conftest import REPO
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from aimc.catalog import hf_values
from aimc.cli import main
from aimc.validate import schema

EXAMPLES = int(os.environ.get("AIMC_HYPOTHESIS_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    derandomize="AIMC_HYPOTHESIS_EXAMPLES" not in os.environ,
                    suppress_health_check=list(HealthCheck))
API = "aim.engine.amd.com/v1alpha1"
INVENTORY = {"apiVersion": API, "kind": "ClusterInventory", "metadata": {"name": "lab"},
             "spec": {"nodePools": [{"name": "mi300x", "hardware": "MI300X", "gpusPerNode": 8, "nodeCount": 2}]}}
# Issue 29's options of the inventory, beside the endpoint's own modelSource drawn from its schema: a DRA pool of whole
# GPUs, a target Kubernetes version with image volumes and DRA, a shared model cache (download Jobs).
DELIVERY_INVENTORY = {**INVENTORY, "spec": {
    "kubernetes": {"version": "1.35"}, "modelCache": {"storageClassName": "nfs-csi", "accessMode": "ReadWriteMany"},
    "nodePools": [{**INVENTORY["spec"]["nodePools"][0], "allocation": "dra", "partition": {"compute": "SPX"}}]}}
MISTRAL = json.loads((REPO / "tests/data/hf-configs/mistralai/Mistral-7B-Instruct-v0.3/config.json").read_text())
DIAGNOSTIC = re.compile(r"^[^\n]*:\d+: \S|^aimc recipes generate: |^[^\s:]+: ")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_built_or_refused(code: int, out: str, err: str, *, need_line: bool = True) -> None:
    assert code in (0, 1), err  # 3 is a crash: the input was accepted, so aimc must handle it
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 1:
        *diagnostics, summary = err.splitlines()
        assert re.fullmatch(r"aimc: \d+ errors?", summary), err
        if need_line:
            assert any(re.search(r":\d+: ", line) for line in diagnostics), err


@cache
def accepted(kind: str):
    """Documents of `kind` that aimc's validator accepts, drawn from its schema (a copy: hypothesis-jsonschema
    rewrites the schema it is given, e.g. sorts `enum`, which would change aimc's messages in this process)."""
    return from_schema(copy.deepcopy(schema.load_schema(kind))).filter(lambda document: schema.is_valid(kind, document))


def build(tmp: str, *documents: dict) -> tuple[int, str, str]:
    path = Path(tmp) / "inputs.yaml"
    # JSON is YAML, exactly; each document on lines of its own (a `---` after a document on its line is no marker)
    path.write_text("".join(f"---\n{json.dumps(d)}\n" for d in documents), encoding="utf-8")
    return run("build", str(path))


def endpoint(model: str = "Qwen/Qwen3-32B", **spec) -> dict:
    return {"apiVersion": API, "kind": "AIMEndpoint", "metadata": {"name": "e"}, "spec": {"model": model, **spec}}


def test_the_documents_the_properties_write_reach_the_compiler():
    """`build` writes the drawn documents: a valid pair builds (a `---` written after a JSON document on the same line
    made every input invalid YAML, so the properties below never reached the compiler)."""
    with tempfile.TemporaryDirectory() as tmp:
        for inventory in (INVENTORY, DELIVERY_INVENTORY):
            code, out, err = build(tmp, inventory, endpoint(gpuCount=1))
            assert code == 0 and "kind: Deployment" in out, err
    assert "kind: ResourceClaimTemplate" in out


@SETTINGS
@given(model=accepted("model"))
def test_any_aimmodel_the_schema_accepts_builds_generates_or_fails_with_file_and_line(model):
    model["spec"]["id"] = "acme/generated"  # what the endpoint serves: the fit runs on the drawn facts
    model["spec"].pop("aliases", None)
    with tempfile.TemporaryDirectory() as tmp:
        assert_built_or_refused(*build(tmp, INVENTORY, model, endpoint("acme/generated")))
        # with adapters, the LoRA slots of the drawn MLP and expert facts are counted on both engines
        adapters = [{"name": "a", "source": "hf://acme/a", "rank": 16}]
        served = endpoint("acme/generated", servingEngines=["vllm", "sglang"], adapters=adapters)
        assert_built_or_refused(*build(tmp, INVENTORY, model, served))
        (Path(tmp) / "models").mkdir()
        (Path(tmp) / "models" / "m.yaml").write_text(json.dumps(model), encoding="utf-8")
        code, out, err = run("recipes", "generate", "acme/generated", str(Path(tmp) / "models"), "-H", "MI300X")
    assert_built_or_refused(code, out, err, need_line=False)  # "fits on no node" names the command, not a line
    for document in (d for d in yaml.safe_load_all(out) if d is not None):
        assert schema.validate("recipe", document, "out", 1) == []


@SETTINGS
@given(inventory=accepted("inventory"))
def test_any_inventory_the_schema_accepts_builds_or_fails_with_file_and_line(inventory):
    with tempfile.TemporaryDirectory() as tmp:
        assert_built_or_refused(*build(tmp, inventory, endpoint()))


@SETTINGS
@given(document=accepted("endpoint"), inventory=st.sampled_from([INVENTORY, DELIVERY_INVENTORY]))
def test_any_endpoint_the_schema_accepts_builds_or_fails_with_file_and_line(document, inventory):
    with tempfile.TemporaryDirectory() as tmp:
        assert_built_or_refused(*build(tmp, inventory, document))


# -- inputs without a schema: config.json and benchmark results -----------------------------------------------------

# A number of 4,400 digits cannot even be a Python int in a test's repr: a marker string becomes it in the JSON text.
HUGE = "\x00huge\x00"
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.integers(-1, 3),
                        st.floats(), st.text(max_size=8), st.just(HUGE))


def json_text(data) -> str:
    return json.dumps(data, allow_nan=True).replace(json.dumps(HUGE), "1" + "0" * 4400)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                          max_leaves=8)
CONFIG_KEYS = sorted(hf_values.COUNT_KEYS | hf_values.FLAG_KEYS | hf_values.TEXT_KEYS | hf_values.TEXT_LIST_KEYS
                     | hf_values.COUNT_LIST_KEYS | hf_values.NESTED_KEYS | {"quantization_config"})


@st.composite
def config_json(draw) -> str:
    """A config.json: Mistral's, or an MLA/MoE variant, with some keys aimc reads set to anything."""
    config = dict(MISTRAL)
    if draw(st.booleans()):
        config.update(kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128, n_routed_experts=8,
                      num_experts_per_tok=2, moe_intermediate_size=1024, architectures=["DeepseekV3ForCausalLM"])
    for key in draw(st.lists(st.sampled_from(CONFIG_KEYS), max_size=4)):
        config[key] = draw(json_value)
    nest = draw(st.sampled_from([0, 0, 0, 5, 2000]))
    if nest:  # deep nesting under a key aimc does not read, or the whole text
        config["extra"] = json.loads("[" * min(nest, 900) + "]" * min(nest, 900)) if nest < 1000 else None
    text = json_text(config)
    return "[" * nest + "]" * nest if nest >= 1000 else text


@SETTINGS
@given(text=config_json(), generate=st.booleans())
def test_models_import_and_generate_take_any_config_json(text, generate):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(text, encoding="utf-8")
        if generate:
            code, out, err = run("recipes", "generate", "acme/m", "--model-config", tmp, "-H", "MI300X")
        else:
            code, out, err = run("models", "import", tmp, "--name", "acme/m")
    assert_built_or_refused(code, out, err, need_line=generate is False)
    for document in (d for d in yaml.safe_load_all(out) if d is not None):
        if generate:  # a length and sizes from an absurd config are refused, not printed
            assert schema.validate("recipe", document, "out", 1) == []
            for config in document.get("vllm_serve", {}).values():
                assert int(config["args"]["--max-model-len"]) >= 1
        else:
            assert schema.validate("model", document, "out", 1) == []


RESULT_KEYS = ("completed", "failed", "max_concurrency", "request_rate", "date", "median_ttft_ms", "p99_ttft_ms",
               "request_throughput", "output_throughput", "total_token_throughput", "model_id", "aimc_endpoint",
               "aimc_configuration", "tag")


@SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(RESULT_KEYS), json_value), max_size=4),
       sglang=st.booleans(), output_format=st.sampled_from(["text", "json", "markdown"]))
def test_bench_report_takes_any_value_in_a_result(changes, sglang, output_format):
    data = {"completed": 3, "request_rate": "inf", "request_throughput": 1.0, "output_throughput": 2.0,
            ("total_throughput" if sglang else "total_token_throughput"): 3.0}
    data.update(changes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.json"
        path.write_text(json_text(data), encoding="utf-8")
        code, out, err = run("bench", "report", "-f", output_format, str(path))
    assert_built_or_refused(code, out, err)
    if code == 0 and output_format == "json":
        json.loads(out, parse_constant=lambda constant: (_ for _ in ()).throw(AssertionError(constant)))


@SETTINGS
@given(claim=st.one_of(st.text(max_size=70), st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?\Z"),
                       st.sampled_from(["x; rm -rf /", "../x", "a" * 64, "UPPER", "-x", "x-"])))
def test_bench_results_claim_is_a_dns_label_or_an_error(claim):
    assume(not claim.startswith("-"))  # click reads a leading dash as an option
    code, out, err = run("bench", str(REPO / "examples"), "--results-claim", claim)
    is_label = re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", claim) is not None and len(claim) <= 63
    if is_label:
        assert code == 0, err
        claims = {volume["persistentVolumeClaim"]["claimName"] for job in yaml.safe_load_all(out) if job
                  for volume in job["spec"]["template"]["spec"].get("volumes", []) if "persistentVolumeClaim" in volume}
        assert claim in claims
    else:
        assert code == 2 and out == "" and "--results-claim" in err, err
