"""`aimc explain` says how each engine gets its model and GPUs when that is not the default (reports/delivery_lines.py):
the OCI model image, the download Job that is rendered (the one the engines of a checkpoint share), the DRA claim."""

from __future__ import annotations

import yaml


def _explain_lines(aimc, case: str) -> list[str]:
    result = aimc("explain", f"tests/cases/{case}/inputs")
    assert result.code == 0, result
    return [line.strip() for line in result.out.splitlines() if line.startswith(("  model:", "  GPUs:"))]


def test_explain_names_what_the_download_job_fetches_and_where(aimc):
    built = [d for d in yaml.safe_load_all(aimc("build", "tests/cases/download-once/inputs").out) if d]
    rendered = {d["metadata"]["annotations"]["aim.engine.amd.com/revision"] for d in built if d["kind"] == "Job"}
    lines = _explain_lines(aimc, "download-once")
    assert len(lines) == 3  # chat, batch and pinned
    said = {line.split(" at revision ")[1].split(";")[0] for line in lines}
    assert said == rendered == {"main", "9216db5781bf21249d130ec9da846c4624c16137"}
    assert all("downloaded once into the shared model cache by its download Job for Qwen/Qwen3-32B" in line
               for line in lines)


def test_explain_shows_the_model_image_and_where_it_was_set(aimc):
    lines = _explain_lines(aimc, "oci-model-image")
    assert any("(folder Qwen3-32B) mounted read-only at /models/model (spec.modelSource)" in line for line in lines)
    assert any("llama-3.1-8b-instruct:2024-07-23 mounted read-only at /models/model (the inventory's "
               "spec.defaults.modelSources)" in line for line in lines)


def test_explain_shows_the_dra_claim_of_each_engine(aimc):
    lines = _explain_lines(aimc, "dra-claims")
    (small,) = [line for line in lines if "template llama-small-vllm-gpu" in line]
    assert small.startswith('GPUs: DRA claim per pod of 2 device(s) of class gpu.amd.com (device.attributes['
                            '"gpu.amd.com"].type == "amdgpu-partition"')
    (qwen,) = [line for line in lines if "template qwen-vllm-gpu" in line]
    assert "per pod of 1 device(s)" in qwen


def test_explain_says_nothing_more_for_the_default_download_and_device_plugin(aimc):
    assert _explain_lines(aimc, "multinode-sglang") == []
