"""The shipped engine releases: the compact storage of their flag sets (aimc/catalog/flag_set_files.py), the
regeneration procedure (tools/refresh_engine.py) and the releases a flag set exists for."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO

from aimc.catalog import flag_set_files
from aimc.catalog.files import read_json
from aimc.catalog.flag_sets import flag_set, unknown_flag_problem
from aimc.catalog.runtime import runtime

CATALOG = REPO / "aimc" / "catalog"


def _sums(folder: str) -> dict[str, str]:
    lines = (CATALOG / folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ") for line in lines)}


def _refresh_tool():
    spec = importlib.util.spec_from_file_location("refresh_engine", REPO / "tools" / "refresh_engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_release_rebuilds_exactly_what_the_extractor_wrote():
    """SHA256SUMS holds the checksum of the extractor's own output for each release (tools/refresh_engine.py writes
    it when it extracts); the stored layout keeps one release whole and the others as edits, and rebuilding each
    must give back that text byte for byte."""
    for engine, facts in runtime().engines:
        assert {("engines", engine, v) for v in facts.flag_set_versions} <= flag_set_files.stored_names()
    for folder, engine, version in sorted(flag_set_files.stored_names()):
        name = f"{engine}-{version}.json"
        sums = _sums(folder)
        assert name in sums, f"{folder}/{name}: no checksum of its extraction"
        rebuilt = flag_set_files.document(folder, engine, version)
        assert flag_set_files.checksum(rebuilt) == sums[name], f"{folder}/{name}"


def test_the_benchmark_clients_of_every_default_image_have_a_flag_set():
    from aimc.catalog import bench_flags

    for engine, version in (("vllm", "0.27.1"), ("sglang", "0.5.16")):
        assert ("bench", engine, version) in flag_set_files.stored_names()
        assert bench_flags.load(engine)["version"] == version


def test_only_the_newest_release_is_stored_whole():
    for engine, facts in runtime().engines:
        newest = facts.flag_set_versions[-1]
        assert "flags" in read_json(f"engines/{engine}-{newest}.json")
        for older in facts.flag_set_versions[:-1]:
            stored = read_json(f"engines/{engine}-{older}.json")
            assert "flags" not in stored and stored["edits"], f"{engine} {older}"


def test_edits_round_trip_any_change_of_a_flag_list():
    base = [{"name": f"--f{i}"} for i in range(8)]
    changed = [base[0], {"name": "--new"}, *base[2:5], {"name": "--f5", "type": "int"}, base[7], {"name": "--z"}]
    edits = flag_set_files.edits_between(base, changed)
    assert flag_set_files.apply_edits(base, edits) == changed
    assert flag_set_files.apply_edits(base, flag_set_files.edits_between(base, base)) == base
    with pytest.raises(ValueError):
        flag_set_files.apply_edits(base, [[5, 6, []], [2, 3, []]])  # out of order


def test_the_stored_layout_is_what_the_refresh_tool_writes():
    """Rebuilding every release and laying them out again gives the files in the repository (nothing hand-edited)."""
    tool = _refresh_tool()
    for folder in ("engines", "bench"):
        for engine, _facts in runtime().engines:
            documents = tool.stored_documents(folder, engine)
            for name, content in flag_set_files.stored_layout(list(documents.values())).items():
                stored = (CATALOG / folder / name).read_text(encoding="utf-8")
                assert stored == flag_set_files.text_of(content), f"{folder}/{name}"


def test_a_flag_added_since_0_11_1_is_known_and_a_removed_one_names_the_release():
    vllm = flag_set("vllm", "0.34.0")
    assert vllm.lookup("--optimization-level") is not None and flag_set("vllm", "0.11.1").lookup(
        "--optimization-level") is None
    assert unknown_flag_problem(vllm, "--swap-space") == (
        "--swap-space is not a vllm 0.34.0 flag: present in vLLM 0.17.0, absent in 0.34.0")
    sglang = flag_set("sglang", "0.5.23")
    assert sglang.lookup("--cuda-graph-max-bs-decode") is not None
    assert "absent in 0.5.23" in unknown_flag_problem(sglang, "--enable-nan-detection")


def test_vllm_enable_disable_pairs_and_the_hidden_no_enable_spelling():
    vllm = flag_set("vllm", "0.34.0")
    spec, negated = vllm.lookup("--disable-prefix-caching")
    assert (spec.name, negated, spec.negation) == ("--enable-prefix-caching", True, "--disable-prefix-caching")
    assert vllm.lookup("--no-enable-prefix-caching") == (spec, True)  # still parses, hidden from help
    assert vllm.canonical("--disable-prefix-caching") == "--disable-prefix-caching"
    assert "--no-enable-prefix-caching" not in vllm.long_names  # never suggested
    assert flag_set("vllm", "0.11.1").lookup("--disable-prefix-caching") is None


def test_refresh_reports_the_changes_and_the_recipes_they_affect(tmp_path):
    """The regeneration procedure's diff and affected-recipes part, run on the stored 0.27.1 -> 0.34.0 pair."""
    tool = _refresh_tool()
    documents = tool.stored_documents("engines", "vllm")
    new, previous = documents["0.34.0"], tool.previous_of(documents, "0.34.0")
    assert previous["version"] == "0.27.1"
    changes = tool.diff(previous, new)
    assert changes["removed"] == ["--calculate-kv-scales", "--enable-bf16x3-router-gemm", "--override-attention-dtype"]
    assert "--enable-extensible-kv-cache" in changes["added"]
    assert "--enable-prefix-caching" in changes["changed"]  # its negation became --disable-prefix-caching
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "r.yaml").write_text(
        "recipe_id: r\nvllm_serve:\n  1_gpu:\n    args:\n      --swap-space: 4\n      --max-num-seqs: 8\n"
        "      --no-enable-prefix-caching: true\n      --num-lookahead-slots: 2\n", encoding="utf-8")
    hits = {(flag, why) for _file, flag, why in tool.affected(new, tool.recipe_flags([recipes], "vllm"), documents)}
    assert hits == {("--swap-space", "present in 0.17.0, absent in 0.34.0"),
                    ("--num-lookahead-slots", "present in 0.11.1, absent in 0.34.0"),
                    ("--no-enable-prefix-caching", "hidden spelling of --disable-prefix-caching in 0.34.0")}
    text = tool.report("vllm", new, previous, [recipes], documents)
    assert text.startswith("vllm 0.34.0: ") and "recipes and profiles affected: 1 files, 3 flags" in text


def test_refresh_dry_run_from_an_extracted_file_writes_nothing(tmp_path, capsys):
    tool = _refresh_tool()
    extracted = tmp_path / "sglang-0.5.23.json"
    extracted.write_text(flag_set_files.text_of(flag_set_files.document("engines", "sglang", "0.5.23")))
    before = {p.name: p.read_bytes() for p in (CATALOG / "engines").iterdir()}
    tool.main(["sglang", "0.5.23", "--from-json", str(extracted), "--dry-run"])
    assert capsys.readouterr().out.startswith("sglang 0.5.23: ")
    assert {p.name: p.read_bytes() for p in (CATALOG / "engines").iterdir()} == before


def test_docs_list_the_covered_releases():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    docs = REPO / "docs"
    text = readme + "".join(p.read_text(encoding="utf-8") for p in docs.rglob("*.md")) if docs.is_dir() else readme
    for _engine, facts in runtime().engines:
        listed = ", ".join(facts.flag_set_versions)
        assert f"{facts.name}: {listed}" in text, f"the docs do not list {facts.name}'s flag sets ({listed})"

