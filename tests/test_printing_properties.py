"""Property: whatever names and strings the inputs hold (line breaks, `---`, `#`, `|`, control characters, ANSI escape
sequences, Unicode), every command that prints YAML, Markdown or JSON prints exactly the documents it means: the
output parses back to them, one document each, and nothing from the input adds a document, a line, a row or markup.
Text reaches the output only through the one escaping path (aimc/emit/scalars.py: `inline_scalar`, `comment_text`,
`markdown_text`).

The default run is small and derandomised; the large run is

    AIMC_HYPOTHESIS_EXAMPLES=10000 python3 -m pytest tests/test_printing_properties.py
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path

import yaml
from conftest import REPO
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aimc.cli import main
from aimc.reports.bench import HEADERS
from aimc.validate import schema

EXAMPLES = int(os.environ.get("AIMC_HYPOTHESIS_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    derandomize="AIMC_HYPOTHESIS_EXAMPLES" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MISTRAL = json.loads((REPO / "tests/data/hf-configs/mistralai/Mistral-7B-Instruct-v0.3/config.json").read_text())
# What breaks YAML, Markdown, terminals and line-based readers, mixed with any text.
HOSTILE = st.sampled_from(["\n", "\r\n", "\r", "---", "...", "# c", "|", ">", "&a", "*a", "!!python/object:os.system",
                           "\x1b[31m", "\x1b]0;title\x07", "\x00", "\x7f", "\x85", "\u2028", "\ufeff", "'", '"', ": ",
                           "- ", "{", "[", "%", "@", "`", "``` ", "<b>", "[x](y)", "_e_", "ä", "中", "😀", "null",
                           "Off", "0x1F", "1e3", "~", "\t", " ", "\\", "\\n"])
hostile_text = st.lists(st.one_of(HOSTILE, st.text(max_size=4)), min_size=1, max_size=6).map("".join).filter(bool)
# What a terminal or a line-based reader takes for something else than text: C0 and C1 controls, line separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A file or folder name: anything but '/' and NUL, at most 255 bytes, not '.' or '..'.
file_name = hostile_text.map(lambda t: t.replace("/", "-").replace("\x00", "0")).filter(
    lambda t: t not in (".", "..") and len(t.encode()) <= 200)
# A name aimc's discovery reads: not hidden (a leading '.' is skipped, as Git tooling does).
visible_name = file_name.filter(lambda t: not t.startswith("."))


def yaml_json(data) -> str:
    """`data` as JSON that YAML reads back exactly and aimc's loader takes: characters as they are (YAML joins no
    surrogate-pair escapes), except what a YAML stream cannot hold raw (controls, line breaks YAML 1.1 would fold,
    a byte-order mark), which stay escapes."""
    text = json.dumps(data, ensure_ascii=False)
    return re.sub("[\x7f-\x9f\u2028\u2029\ufeff]", lambda match: f"\\u{ord(match.group()):04x}", text)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """`aimc ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean_error(code: int, err: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    *diagnostics, summary = err.splitlines()
    assert re.fullmatch(r"aimc: \d+ errors?", summary), err
    assert diagnostics and all(printable(line) for line in diagnostics), err


def printable(line: str) -> bool:
    return not CONTROL.search(line)


def all_lines_printable(text: str) -> None:
    for line in text.splitlines():
        assert printable(line), repr(line)


@SETTINGS
@given(folder=file_name, name=hostile_text, architecture=hostile_text, method=hostile_text,
       quantized=st.booleans())
def test_models_import_prints_exactly_the_aimmodel_meant(folder, name, architecture, method, quantized):
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / folder
        checkpoint.mkdir()
        config = {**MISTRAL, "architectures": [architecture]}
        if quantized:  # a known layout counts the parameters; the method is only recorded
            config.update(architectures=["MistralForCausalLM"], quantization_config={"quant_method": method, "bits": 4})
        else:  # an unknown layout: the safetensors index gives the size
            (checkpoint / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 14 * 10**9}}))
        (checkpoint / "config.json").write_text(json.dumps(config), encoding="utf-8")
        code, out, err = run("models", "import", str(checkpoint), "--name", name)
    if not name.isprintable():
        assert out == ""
        assert_clean_error(code, err)
        return
    assert code == 0, err
    all_lines_printable(out)
    [document] = [d for d in yaml.safe_load_all(out) if d is not None]
    assert schema.validate("model", document, "out", 1) == []
    spec = document["spec"]
    assert spec["id"] == name
    if quantized:
        assert spec["quantization"] == method and spec["architecture"] == "MistralForCausalLM"
    else:
        assert spec["architecture"] == architecture and "quantization" not in spec


@SETTINGS
@given(file=visible_name, model_id=hostile_text, profile=st.booleans())
def test_recipes_generate_prints_exactly_the_documents_meant(file, model_id, profile):
    model = {"apiVersion": "aim.engine.amd.com/v1alpha1", "kind": "AIMModel", "metadata": {"name": "m"},
             "spec": {"id": model_id, "parametersB": 7, "layers": 32, "attentionHeads": 32, "kvHeads": 8,
                      "headDim": 128, "maxContextLength": 32768}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "models" / f"{file}.yaml"
        path.parent.mkdir()
        path.write_text(yaml.safe_dump(model), encoding="utf-8")
        # `--` before the arguments: a model id may begin with `-`, which any command line would read as an option.
        args = ["recipes", "generate", "-H", "MI300X", "-p", "bf16", *(["-f", "profile"] if profile else [])]
        code, out, err = run(*args, "--", model_id, str(path.parent))
        if code == 0:
            documents = [d for d in yaml.safe_load_all(out) if d is not None]
            # `aimc recipes validate` accepts what generate printed (the recipe under its own id's file name).
            written = Path(tmp) / "recipes"
            written.mkdir()
            for index, document in enumerate(documents):
                stem = document.get("recipe_id") or f"profile-{index}"
                (written / f"{stem}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
            validated = run("recipes", "validate", str(written), str(path))
    if not model_id.isprintable() or not re.search(r"[a-z0-9]", _ascii_name(model_id)):
        assert out == ""
        assert_clean_error(code, err)
        return
    assert code == 0, err
    all_lines_printable(out)
    assert documents and all(d["model_id"] == model_id for d in documents)
    for document in documents:
        assert schema.validate("profile" if profile else "recipe", document, "out", 1) == []
        if not profile:
            assert document["huggingface_id"] == model_id
    assert validated[0] == 0, validated[2]


def _ascii_name(model_id: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", model_id.rsplit("/", 1)[-1]).encode("ascii", "ignore").decode().lower()


result_text = st.one_of(hostile_text, st.sampled_from(["qwen3-32b", "vllm/1_gpu", "latency"]))
figure = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**6))


@st.composite
def vllm_result(draw) -> dict:
    data = {"date": draw(st.one_of(st.none(), result_text)), "model_id": draw(result_text),
            "completed": draw(st.integers(0, 1000)), "failed": draw(st.one_of(st.none(), st.integers(0, 10))),
            "max_concurrency": draw(st.one_of(st.none(), st.integers(1, 512))),
            "request_rate": draw(st.one_of(st.just("inf"), st.floats(0.5, 100), st.just(float("inf")))),
            "request_throughput": draw(figure), "output_throughput": draw(figure),
            "total_token_throughput": draw(figure)}
    for key in ("median_ttft_ms", "p99_ttft_ms", "median_itl_ms", "p99_itl_ms", "median_e2el_ms"):
        data[key] = draw(figure)
    for key in ("endpoint", "namespace", "configuration", "scenario", "recipe", "image", "engine"):
        if draw(st.booleans()):
            data[f"aimc_{key}"] = draw(result_text)
    return data


@SETTINGS
@given(results=st.lists(vllm_result(), min_size=1, max_size=4), file=file_name)
def test_bench_report_prints_exactly_the_results_in_every_format(results, file):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{file}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
        outputs = {fmt: run("bench", "report", "-f", fmt, str(path)) for fmt in ("json", "markdown", "text")}
    for fmt, (code, _, err) in outputs.items():
        assert code == 0, (fmt, err)
    # JSON: strict JSON (no NaN), one item per result, the text fields as they were.
    items = json.loads(outputs["json"][1], parse_constant=_refuse)["results"]
    assert len(items) == len(results)
    assert sorted(item.get("date") or "" for item in items) == sorted(r["date"] or "" for r in results)
    for item in items:
        assert all(not isinstance(v, float) or math.isfinite(v) for v in item.values())
    # Markdown: the header, the rule and one row per result, each with exactly the header's cells; printable.
    markdown = outputs["markdown"][1]
    assert all(printable(line) for line in markdown.splitlines())
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == len(results) + 2
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == len(HEADERS) + 2, row  # unescaped pipes: the cell borders
    # Text: nothing reaches the terminal that is not printable (no escape sequence, no line break of a value).
    text = outputs["text"][1]
    assert all(printable(line) for line in text.splitlines())
    assert len(text.splitlines()) >= len(results) + 1


def _refuse(constant: str):
    raise AssertionError(f"{constant} is not JSON")


@SETTINGS
@given(file=visible_name, folder=visible_name, value=hostile_text, output_format=st.sampled_from(["yaml", "json"]))
def test_build_passes_objects_through_with_any_file_name_and_value(file, folder, value, output_format):
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n",
                                                                          "annotations": {"note": value}},
                  "data": {"key": value}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / folder / f"{file}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml_json(config_map), encoding="utf-8")  # not PyYAML's writer: it loses U+0085
        code, out, err = run("build", "-f", output_format, str(Path(tmp)))
    if code == 1:  # a value the API server would refuse (a NUL, a lone control character) is an error
        assert_clean_error(code, err)
        return
    assert code == 0, err
    documents = json.loads(out)["items"] if output_format == "json" else \
        [d for d in yaml.safe_load_all(out) if d is not None]
    assert documents == [config_map]
    if output_format == "yaml":
        sources = [line for line in out.splitlines() if line.startswith("# Source:")]
        assert len(sources) == 1 and printable(sources[0])


@SETTINGS
@given(folder=file_name)
def test_recipes_show_names_a_recipe_folder_of_any_name_in_one_comment(folder):
    source = REPO / "recipes"
    recipe = next(p for p in sorted(source.rglob("*.yaml")) if "recipe_id" in p.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / folder / recipe.name
        target.parent.mkdir()
        target.write_text(recipe.read_text().replace("recipe_id: ", "recipe_id: local-", 1))
        recipe_id = "local-" + recipe.stem
        target.rename(target.with_name(f"{recipe_id}.yaml"))
        code, out, err = run("recipes", "show", recipe_id, "-r", str(target.parent))
    assume(code == 0)  # a local recipe with the id changed may clash with a built-in's checks: nothing to print
    assert out.splitlines()[0].startswith("# ") and printable(out.splitlines()[0])
    [document] = [d for d in yaml.safe_load_all(out) if d is not None]
    assert document["recipe_id"] == recipe_id


def _cells(row: str) -> int:
    """The cells of a Markdown table row: the pieces between unescaped pipes."""
    return len(re.split(r"(?<!\\)\|", row)) - 2


@SETTINGS
@given(key=hostile_text, old=hostile_text, new=hostile_text, added=hostile_text, label=file_name)
def test_diff_markdown_and_text_hold_any_key_and_value_in_their_cells_and_fences(key, old, new, added, label):
    def config_map(name: str, data: dict) -> str:
        return yaml_json({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "n"},
                          "data": data})

    with tempfile.TemporaryDirectory() as tmp:
        base, head = Path(tmp) / label / "base", Path(tmp) / label / "head"
        base.mkdir(parents=True)
        head.mkdir()
        (base / "c.yaml").write_text(config_map("c", {"k": old}))
        (head / "c.yaml").write_text(config_map("c", {"k": new, "k2": key}))
        (head / "d.yaml").write_text(config_map("d", {"v": added, "w": "```\n" + added}))
        outputs = {fmt: run("diff", str(base), str(head), "-f", fmt) for fmt in ("json", "markdown", "text")}
    for fmt, (code, _, err) in outputs.items():
        assert code == 0, (fmt, err)
    report = json.loads(outputs["json"][1])
    changed = next(o for o in report["objects"] if o["status"] == "changed")
    markdown = outputs["markdown"][1]
    assert all(printable(line) for line in markdown.splitlines())
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    # The object table (header, rule, one row per object) and the changed object's field table, nothing else.
    assert len(rows) == 2 + len(report["objects"]) + 2 + len(changed["changes"])
    assert all(_cells(row) == 3 for row in rows), rows
    # The added object's YAML: one fenced block that no line of it closes.
    fences = [line for line in markdown.splitlines() if re.fullmatch(r"`{3,}(yaml)?", line)]
    assert len(fences) == 2 and fences[0] == fences[1] + "yaml"
    assert all(printable(line) for line in outputs["text"][1].splitlines())
