"""The routers in front of disaggregated roles (aimc/catalog/routers.py): their flag sets as extracted from the
release's own parser, and the check of a router's argument list against them."""

from __future__ import annotations

from conftest import REPO

from aimc.catalog import flag_set_files
from aimc.catalog import routers as R
from aimc.catalog.files import read_json

ROUTERS = REPO / "aimc" / "catalog" / "routers"


def test_every_router_flag_set_is_the_extractors_output_of_its_release():
    sums = dict(reversed(line.split("  ")) for line in (ROUTERS / "SHA256SUMS").read_text().splitlines())
    for engine, facts in R.routers().items():
        document = read_json(f"routers/{facts.flag_set}.json")
        assert document["version"] == facts.version, engine
        assert flag_set_files.checksum(document) == sums[f"{facts.flag_set}.json"], engine
        # the image tag names the release of the flag set; the SGLang router runs in the roles' image (none)
        assert facts.image is None or facts.image.endswith(f":v{facts.version}"), engine


def test_the_vllm_router_takes_the_pd_flags_aimc_writes():
    flags = R.router_flags("vllm")
    args = ("--vllm-pd-disaggregation", "--kv-connector", "moriio", "--vllm-discovery-address", "0.0.0.0:36367",
            "--host", "0.0.0.0", "--port", "8000", "--policy", "consistent_hash", "--prefill-policy",
            "consistent_hash", "--decode-policy", "consistent_hash", "--prometheus-host", "0.0.0.0")
    assert R.problems(flags, args) == []


def test_a_router_argument_list_its_parser_refuses_is_reported():
    flags = R.router_flags("vllm")
    found = R.problems(flags, ("stray", "--kv-connector", "mori", "--pd-disaggregation", "--vllm-pd-disaggregation",
                               "yes", "--port", "http"))
    assert any("'mori' is not a valid --kv-connector" in p and "moriio" in p for p in found)
    assert any(p.startswith("--pd-disaggregation is not a vllm-router 0.1.17 flag") for p in found)  # SGLang's name
    assert "--vllm-pd-disaggregation takes no value (yes given)" in found
    assert any(p.startswith("--port takes a whole number") for p in found)
    assert "'stray' is not a flag (the router takes no positional arguments)" in found
    assert len(found) == 5


def test_the_sglang_router_takes_the_pd_flags_aimc_writes():
    """The router command of the golden case, against sglang-router 0.3.2's own parser (extracted)."""
    import yaml

    objects = yaml.safe_load_all((REPO / "tests/cases/disaggregation-sglang/expected.yaml").read_text())
    router = next(o for o in objects if o and o["kind"] == "Deployment" and o["metadata"]["name"] == "qwen-pd-router")
    main = router["spec"]["template"]["spec"]["containers"][0]
    assert tuple(main["command"]) == R.router("sglang").command
    assert R.problems(R.router_flags("sglang"), tuple(main["args"])) == []
    assert R.problems(R.router_flags("sglang"), ("--pd-disaggregation", "--prefill-selector")) != []
