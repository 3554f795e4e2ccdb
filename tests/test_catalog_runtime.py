"""The runtime catalog (aimc/catalog/runtime.yaml) and its typed reader."""

from __future__ import annotations

from aimc.catalog import flag_set_files
from aimc.catalog import runtime as rt
from aimc.catalog.flag_sets import PINNED, flag_set


def test_defaults_are_per_engine_and_architecture():
    catalog = rt.runtime()
    assert catalog.default_image("sglang", "gfx942").image == "lmsysorg/sglang:v0.5.16-rocm720-mi30x"
    assert catalog.default_image("sglang", "gfx950").image == "lmsysorg/sglang:v0.5.16-rocm720-mi35x"
    assert catalog.default_image("sglang", "gfx90a") is None  # no SGLang ROCm build for MI250
    assert {catalog.default_image("vllm", a).image for a in ("gfx90a", "gfx942", "gfx950")} == {
        "vllm/vllm-openai-rocm:v0.27.1"}


def test_defaults_are_current_rocm_builds_with_their_sources():
    """The default images are the newest of the engines' own ROCm images that AMD's 2026 benchmark matrix runs
    (../shared/fixtures/perf/configs.jsonl), on ROCm 7.2; each image says where its facts come from."""
    import json

    from conftest import SHARED_FIXTURES

    catalog = rt.runtime()
    for facts in catalog.images:
        assert facts.rocm and facts.source, facts.image
    benchmarked = {json.loads(line)["image"] for line in (SHARED_FIXTURES / "perf" / "configs.jsonl").open()}
    for (engine, _arch), image in catalog.defaults:
        facts = catalog.image(image)
        assert image in benchmarked and facts.rocm.startswith("7.2"), image
        same_engine = [f for f in catalog.images if f.engine == engine and f.image in benchmarked]
        assert facts.version == max((f.version for f in same_engine), key=rt.version_key), image


def test_previous_defaults_stay_known():
    for image in ("rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103", "lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x",
                  "lmsysorg/sglang:v0.5.5.post3-rocm700-mi35x"):
        assert rt.runtime().image(image) is not None, image


def test_every_default_is_a_catalogued_image_built_for_its_architecture():
    catalog = rt.runtime()
    for (engine, arch), image in catalog.defaults:
        facts = catalog.image(image)
        assert facts is not None and facts.engine == engine and arch in facts.architectures, image
        # The pinned flag set is the default images' version.
        assert facts.version == PINNED[engine]


def test_aiter_switches_per_architecture():
    """The fork's 0.11.1 image turns AITER on itself and needs it off on gfx90a; vLLM's own images leave it off
    (vllm/envs.py default) and AMD's benchmarks turn it on on gfx942 and gfx950, where it is compiled."""
    fork = rt.runtime().image("rocm/vllm:rocm7.0.0_vllm_0.11.1_20251103")
    assert fork.env_for("gfx90a") == (("VLLM_ROCM_USE_AITER", "0"),)
    assert fork.env_for("gfx942") == () and fork.env_for("gfx950") == ()
    upstream = rt.runtime().image("vllm/vllm-openai-rocm:v0.27.1")
    assert upstream.env_for("gfx942") == upstream.env_for("gfx950") == (("VLLM_ROCM_USE_AITER", "1"),)
    assert upstream.env_for("gfx90a") == ()
    assert rt.runtime().image("lmsysorg/sglang:v0.5.16-rocm720-mi30x").env_for("gfx942") == ()  # set in the image


def test_every_listed_flag_set_ships_and_names_its_release():
    for engine, facts in rt.runtime().engines:
        assert facts.flag_set_versions
        for version in facts.flag_set_versions:
            data = flag_set_files.document("engines", engine, version)
            assert data["version"] == version and f"@v{version}" in data["source"]
            assert flag_set(engine, version).label == f"{engine} {version}"


def test_vllm_0_11_1_lists_what_it_removed_since_0_10_2():
    removed = flag_set("vllm", "0.11.1").removed
    assert removed["--max-seq-len-to-capture"] == "present in vLLM 0.10.2, absent in 0.11.1"
    assert flag_set("vllm", "0.10.2").lookup("--max-seq-len-to-capture") is not None


def test_no_op_flags_apply_from_the_release_that_removed_them():
    vllm = rt.runtime().engine("vllm")
    assert vllm.no_op("--max-seq-len-to-capture", "0.11.1").removed_in == "0.11.0"
    assert vllm.no_op("--max-seq-len-to-capture", "0.10.2") is None
    assert vllm.no_op("--rope-scaling", "0.11.1") is None  # removed, but not a no-op: stays an error


def test_versions_compare_as_numbers_and_map_to_the_nearest_flag_set():
    assert rt.version_key("0.10.2") < rt.version_key("0.11.1") < rt.version_key("0.11.10")
    assert rt.version_key("0.5.5") < rt.version_key("0.5.5.post3") < rt.version_key("0.5.6")
    known = ("0.10.2", "0.11.1")
    assert [rt.nearest_version(known, v) for v in ("0.11.2", "0.11.0", "0.10.1", "0.9.2", "0.12.0", "0.10.2")] == [
        "0.11.1", "0.11.1", "0.10.2", "0.10.2", "0.11.1", "0.10.2"]


def test_the_engine_version_is_read_from_an_image_tag():
    assert rt.version_in_tag("rocm/vllm:rocm7.0.0_vllm_0.10.2_20250920") == "0.10.2"
    assert rt.version_in_tag("lmsysorg/sglang:v0.5.5.post3-rocm700-mi30x") == "0.5.5.post3"
    assert rt.version_in_tag("registry.example.com/my-vllm:prod") is None
    assert rt.version_in_tag("rocm/vllm@sha256:" + "0" * 64) is None


def test_precision_per_architecture():
    catalog = rt.runtime()
    assert catalog.precision_architectures("fp8", "vllm") == ("gfx942", "gfx950")
    assert catalog.precision_architectures("fp4", "sglang") == ("gfx950",)
    assert catalog.precision_architectures("fp4", "vllm") is None  # vLLM dequantizes MXFP4 (gpt-oss) elsewhere
    assert catalog.precision_architectures("bf16", "sglang") is None


def test_versions_of_another_type_are_other_versions():
    """A number and its text, or 1 and 1.0, are different versions (nothing is memoised across them)."""
    assert rt.version_key(1) == ((0, 1),) and rt.version_key(1.0) == ((0, 1), (0, 0))
    known = ("0.9.2", "0.10.2", "0.11.1")
    for _ in range(2):
        assert [rt.nearest_version(known, v) for v in ("0.10.1", "0.11.2", "0.8.0", "1.0", "0.10.2.post1", 0.1, 1)] \
            == ["0.10.2", "0.11.1", "0.9.2", "0.11.1", "0.10.2", "0.9.2", "0.11.1"]
