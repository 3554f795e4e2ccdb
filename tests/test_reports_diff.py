"""aimc diff: field-by-field comparison (pure), and the command on real Git repositories and folders."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import GIT_ENV, REPO, commit_all, git, write_tree

from aimc.reports import diff

# -- the comparison -----------------------------------------------------------------------------------------


def _deployment(env=None, args=None, tolerations=None, gpus=4, name="d"):
    container = {"name": "vllm", "image": "rocm/vllm:1", "args": args or ["--model", "m", "--port", "8000"],
                 "env": env or [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                 "resources": {"limits": {"amd.com/gpu": gpus}}}
    spec = {"containers": [container], "tolerations": tolerations or [{"key": "x", "operator": "Exists"},
                                                                     {"key": "y", "operator": "Exists"}]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ns"},
            "spec": {"template": {"spec": spec}}}


def _changes(old, new):
    report = diff.compare([old], [new], "a", "b")
    return [(c.path, c.change, c.old, c.new) for o in report.objects for c in o.fields]


def test_identical_objects_are_unchanged():
    report = diff.compare([_deployment()], [_deployment()], "a", "b")
    assert not report.differs and report.unchanged == 1 and report.summary() == "no changes (1 objects unchanged)"


def test_objects_with_equal_canonical_forms_skip_the_field_comparison(monkeypatch):
    """Issue 24: DeepDiff runs only on objects whose canonical forms differ (it was 18 of 20 s of a 1,000-endpoint
    diff); dict order is not a difference, a YAML type is."""
    compared = []
    real = diff.field_changes
    monkeypatch.setattr(diff, "field_changes", lambda old, new: compared.append(old) or real(old, new))
    reordered = dict(reversed(list(_deployment().items())))
    report = diff.compare([_deployment(), _deployment(name="e")], [reordered, _deployment(name="e", gpus=True)],
                          "a", "b")
    assert report.unchanged == 1 and len(compared) == 1 and compared[0]["metadata"]["name"] == "e"
    assert [(c.path, c.old, c.new) for c in report.objects[0].fields] == [
        ('spec.template.spec.containers[vllm].resources.limits["amd.com/gpu"]', 4, True)]


def test_only_reported_objects_are_copied_to_plain_dicts():
    """Objects come from the compile as dicts that may be subclasses carrying positions; the report holds plain
    copies of the objects it names, and only of those."""
    class Positioned(dict):
        pass

    old, new = Positioned(_deployment(name="x")), Positioned(_deployment(name="y"))
    report = diff.compare([old], [new], "a", "b")
    assert [type(o.old or o.new) for o in report.objects] == [dict, dict]


def test_named_lists_are_compared_by_name_so_reordering_env_is_no_change():
    reordered = _deployment(env=[{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
    assert _changes(_deployment(), reordered) == []
    changed = _deployment(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "3"}])
    assert _changes(_deployment(), changed) == [("spec.template.spec.containers[vllm].env[B].value", "changed", "2", "3")]


def test_toleration_order_does_not_matter():
    swapped = _deployment(tolerations=[{"key": "y", "operator": "Exists"}, {"key": "x", "operator": "Exists"}])
    assert _changes(_deployment(), swapped) == []


def test_argument_order_matters_and_values_name_their_flag():
    swapped = _deployment(args=["--port", "8000", "--model", "m"])
    assert _changes(_deployment(), swapped) != []
    new_value = _deployment(args=["--model", "m", "--port", "9000"])
    assert _changes(_deployment(), new_value) == [
        ("spec.template.spec.containers[vllm].args[3] (--port)", "changed", "8000", "9000")]


def test_keys_with_dots_are_quoted_and_added_fields_reported():
    assert _changes(_deployment(gpus=4), _deployment(gpus=8)) == [
        ('spec.template.spec.containers[vllm].resources.limits["amd.com/gpu"]', "changed", 4, 8)]
    grown = _deployment()
    grown["metadata"]["labels"] = {"team": "x"}
    assert _changes(_deployment(), grown) == [("metadata.labels", "added", None, {"team": "x"})]


def test_objects_are_matched_by_kind_namespace_and_name():
    report = diff.compare([_deployment(name="old"), _deployment(name="same")],
                          [_deployment(name="same"), _deployment(name="new")], "a", "b")
    assert [(o.status, o.name) for o in report.objects] == [("added", "new"), ("removed", "old")]
    assert report.summary() == "1 added, 1 removed (1 unchanged)"


def test_markdown_cells_escape_pipes_and_backticks():
    report = diff.compare([_deployment(args=["--x", "a|b"])], [_deployment(args=["--x", "`c`"])], "main", "pr")
    markdown = diff.to_markdown(report)
    assert markdown.startswith("<!-- aimc-diff -->\n")
    assert "| `a\\|b` | `` `c` `` |" in markdown


def test_text_is_plain_without_colour_and_coloured_with():
    report = diff.compare([_deployment(name="old")], [_deployment(name="new")], "a", "b")
    assert "\x1b[" not in diff.to_text(report, colour=False)
    assert "\x1b[32m+ Deployment ns/new (added)" in diff.to_text(report, colour=True)


# -- the command, on real Git repositories ------------------------------------------------------------------

ENDPOINT = (REPO / "examples/endpoints/qwen3-32b.yaml").read_text()
# Twice the GPUs per replica, and fewer replicas so that the example cluster still has room for them.
MORE_GPUS = ENDPOINT.replace("gpuCount: 4", "gpuCount: 8").replace("maxReplicas: 3", "maxReplicas: 2")


@pytest.fixture
def spec_repo(tmp_path, monkeypatch):
    """A Git repository with specs under deploy/: commit 1 as in examples/, commit 2 changes gpuCount 4 -> 8,
    commit 3 adds an endpoint."""
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    repo = tmp_path / "specs"
    write_tree(repo, {"README.md": "specs\n", "deploy/cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
                      "deploy/endpoints/qwen3-32b.yaml": ENDPOINT})
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "first")
    (repo / "deploy/endpoints/qwen3-32b.yaml").write_text(MORE_GPUS)
    commit_all(repo, "more GPUs")
    shutil.copy(REPO / "examples/endpoints/llama-3-8b.yaml", repo / "deploy/endpoints/llama-3-8b.yaml")
    commit_all(repo, "add llama")
    return repo


@pytest.mark.e2e
def test_diff_of_two_revisions_reports_the_changed_field(aimc, spec_repo):
    result = aimc("diff", "HEAD~2", "HEAD~1", "-p", "deploy", cwd=spec_repo)
    assert result.code == 0, result.err
    assert "~ Deployment inference/qwen3-32b-vllm (changed)" in result.out
    assert 'spec.template.spec.containers[vllm].resources.limits["amd.com/gpu"]: 4 → 8' in result.out
    assert "args[7] (--tensor-parallel-size): 4 → 8" in result.out
    assert re.search(r"\n\d+ changed \(\d+ unchanged\)\n$", result.out), result.out
    assert "\x1b[" not in result.out  # not a terminal


@pytest.mark.e2e
def test_diff_reports_an_added_endpoint_as_added_objects(aimc, spec_repo):
    result = aimc("diff", "HEAD~1", "HEAD", "-p", "deploy", "--format", "json", cwd=spec_repo)
    report = json.loads(result.out)
    added = [(o["kind"], o["name"]) for o in report["objects"] if o["status"] == "added"]
    assert len(added) == len(report["objects"]) == report["summary"]["added"]
    assert added.index(("Service", "llama-3-8b")) < added.index(("Deployment", "llama-3-8b-vllm"))  # emit order
    deployment = next(o for o in report["objects"] if o["kind"] == "Deployment")
    assert deployment["object"]["spec"]["template"]["spec"]["containers"][0]["name"] == "vllm"
    assert report["summary"]["removed"] == report["summary"]["changed"] == 0 and report["summary"]["unchanged"] > 0


@pytest.mark.e2e
def test_exit_code_is_1_only_when_something_differs(aimc, spec_repo):
    assert aimc("diff", "HEAD~1", "HEAD", "-p", "deploy", "--exit-code", cwd=spec_repo).code == 1
    same = aimc("diff", "HEAD", "-p", "deploy", "--exit-code", cwd=spec_repo)  # HEAD vs the clean working tree
    assert same.code == 0 and "\nno changes (" in same.out


@pytest.mark.e2e
def test_head_defaults_to_the_working_tree_and_paths_follow_the_current_folder(aimc, spec_repo):
    (spec_repo / "deploy/endpoints/llama-3-8b.yaml").unlink()
    result = aimc("diff", "HEAD", "--exit-code", cwd=spec_repo / "deploy")
    assert result.code == 1
    assert "aimc diff HEAD → working tree" in result.out
    assert "- Deployment inference/llama-3-8b-vllm (removed)" in result.out


@pytest.mark.e2e
def test_a_path_missing_at_the_base_renders_nothing_there(aimc, spec_repo):
    (spec_repo / "team-b").mkdir()
    shutil.copy(spec_repo / "deploy/cluster.yaml", spec_repo / "team-b/cluster.yaml")
    shutil.copy(REPO / "examples/endpoints/llama-3-8b.yaml", spec_repo / "team-b/llama.yaml")
    commit_all(spec_repo, "team b")
    result = aimc("diff", "HEAD~1", "HEAD", "-p", "team-b", "--format", "json", cwd=spec_repo)
    assert result.code == 0, result.err
    assert json.loads(result.out)["summary"]["added"] >= 2
    from_inside = aimc("diff", "HEAD~1", "HEAD", "--format", "json", cwd=spec_repo / "team-b")
    assert from_inside.code == 0, from_inside.err
    assert json.loads(from_inside.out)["summary"] == json.loads(result.out)["summary"]


@pytest.mark.e2e
def test_errors_name_the_revision_file_and_line(aimc, spec_repo):
    (spec_repo / "deploy/endpoints/qwen3-32b.yaml").write_text(ENDPOINT.replace("precision: bf16", "precision: bf17"))
    commit_all(spec_repo, "typo")
    result = aimc("diff", "HEAD~1", "HEAD", "-p", "deploy", cwd=spec_repo)
    assert result.code == 1 and result.out == ""
    assert "HEAD:deploy/endpoints/qwen3-32b.yaml:11: spec.precision:" in result.err
    unknown = aimc("diff", "no-such-branch", cwd=spec_repo)
    assert unknown.code == 1 and "no-such-branch: neither a folder nor a revision" in unknown.err
    assert "Traceback" not in unknown.err


@pytest.mark.e2e
def test_markdown_comment_through_the_command(aimc, spec_repo):
    result = aimc("diff", "HEAD~2", "HEAD", "-p", "deploy", "--format", "markdown", cwd=spec_repo)
    assert result.code == 0, result.err
    markdown = result.out
    assert "### aimc: rendered manifests `HEAD~2` → `HEAD`" in markdown
    assert re.search(r"\*\*[1-9]\d* added, 0 removed, [1-9]\d* changed\*\* \(\d+ unchanged\)", markdown)
    assert '| `spec.template.spec.containers[vllm].resources.limits["amd.com/gpu"]` | `4` | `8` |' in markdown
    added_yaml = markdown.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "llama-3-8b" in yaml.safe_load(added_yaml)["metadata"]["name"]


def test_two_folders(aimc, tmp_path):
    old = write_tree(tmp_path / "old", {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
                                        "e.yaml": ENDPOINT})
    new = write_tree(tmp_path / "new", {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
                                        "e.yaml": ENDPOINT.replace("team: research", "team: search")})
    result = aimc("diff", str(old), str(new), "--exit-code", cwd=tmp_path)
    assert result.code == 1
    assert "metadata.labels.team: research → search" in result.out


def test_colour_follows_the_terminal_and_no_color(aimc, tmp_path, monkeypatch):
    old = write_tree(tmp_path / "old", {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text()})
    new = write_tree(tmp_path / "new", {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
                                        "e.yaml": ENDPOINT})
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[32m" in aimc("diff", str(old), str(new), cwd=tmp_path).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in aimc("diff", str(old), str(new), cwd=tmp_path).out
    assert "\x1b[32m" in aimc("diff", str(old), str(new), "--color", "always", cwd=tmp_path).out


def test_example_ci_workflow_posts_the_markdown_diff():
    workflow = yaml.safe_load((REPO / "examples/.github/workflows/aimc-diff.yaml").read_text())
    steps = workflow["jobs"]["diff"]["steps"]
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    runs = " ".join(step.get("run", "") for step in steps)
    assert "aimc diff" in runs and "--format markdown" in runs
    assert any(step.get("with", {}).get("fetch-depth") == 0 for step in steps)
    assert "<!-- aimc-diff -->" in steps[-1]["with"]["script"]


def test_markdown_leaves_out_detail_to_fit_in_a_comment():
    report = diff.compare([_deployment(name="old", gpus=4), _deployment(name="gone")],
                          [_deployment(name="old", gpus=8), _deployment(name="new")], "main", "pr")
    full = diff.to_markdown(report)
    assert "```yaml" in full and "| `4` | `8` |" in full and "Shortened" not in full
    fields = diff.to_markdown(report, limit=len(full) - 1)
    assert "```yaml" not in fields and "| `4` | `8` |" in fields and "YAML of added and removed objects" in fields
    summary = diff.to_markdown(report, limit=len(fields) - 1)
    assert "| `4` | `8` |" not in summary and "`Deployment ns/new`" in summary and "field changes are left out" in summary


@pytest.mark.e2e
def test_diff_module_imports_deepdiff_and_jinja2_only_when_used():
    code = ("import sys; import aimc.reports.diff, aimc.adapters.revisions, aimc.reports.schemas, aimc.adapters.precommit;"
            "print([m for m in ('deepdiff', 'jinja2', 'kubernetes') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.stdout.strip() == "[]", run.stderr


@pytest.mark.e2e
def test_build_options_apply_at_both_sides(aimc, spec_repo):
    """--inventory (here outside the input path) is read from each side: a changed node selector shows up."""
    git(spec_repo, "mv", "deploy/cluster.yaml", "cluster.yaml")
    commit_all(spec_repo, "inventory at the top")
    cluster = (spec_repo / "cluster.yaml").read_text()
    (spec_repo / "cluster.yaml").write_text(cluster.replace("AMD_Instinct_MI300X_OAM", "AMD_Instinct_MI300X_VF"))
    commit_all(spec_repo, "other product name")
    result = aimc("diff", "HEAD~1", "HEAD", "-p", "deploy/endpoints", "--inventory", "cluster.yaml", cwd=spec_repo)
    assert result.code == 0, result.err
    assert ('spec.template.spec.nodeSelector["amd.com/gpu.product-name"]: AMD_Instinct_MI300X_OAM → '
            'AMD_Instinct_MI300X_VF') in result.out
    assert "llama-3-8b" not in result.out  # the MI250 pool did not change


@pytest.mark.e2e
def test_sides_render_without_changing_the_working_directory(aimc, spec_repo, monkeypatch):
    """Each side's paths are relative to its root, passed to the compiler: the process never changes directory,
    and errors name the file the same way at both sides."""
    (spec_repo / "deploy/endpoints/qwen3-32b.yaml").write_text(ENDPOINT.replace("precision: bf16", "precision: bf17"))
    commit_all(spec_repo, "typo")
    monkeypatch.chdir(spec_repo)

    def refuse(path):
        raise AssertionError(f"aimc diff changed directory to {path}")

    monkeypatch.setattr(os, "chdir", refuse)
    from aimc import pipeline
    from aimc.adapters import revisions
    from aimc.errors import UserError

    base = revisions.open_side("HEAD~1", spec_repo / "scratch")
    objects, _ = revisions.render_side(base, pipeline.Options(paths=("deploy",)))
    assert any(o["kind"] == "Deployment" for o in objects)
    head = revisions.open_side("HEAD", spec_repo / "scratch")
    with pytest.raises(UserError) as caught:
        revisions.render_side(head, pipeline.Options(paths=("deploy",)))
    assert "HEAD:deploy/endpoints/qwen3-32b.yaml:11: spec.precision:" in str(caught.value)


def test_nothing_rendered_at_both_sides_is_an_error_even_without_exit_code(aimc, tmp_path):
    """A typo in a path, or two overlay folders holding only kustomization.yaml, is never "no changes"."""
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\n"
    old = write_tree(tmp_path / "old", {"kustomization.yaml": kustomization})
    new = write_tree(tmp_path / "new", {"kustomization.yaml": kustomization})
    for extra in ((), ("--exit-code",)):
        result = aimc("diff", str(old), str(new), *extra, cwd=tmp_path)
        assert result.code == 1, result
        assert "nothing rendered at either side" in result.err and "no changes" not in result.out
    typo = aimc("diff", str(old), str(new), "-p", "no-such-folder", cwd=tmp_path)
    assert typo.code == 1 and "no-such-folder: nothing rendered at either side" in typo.err


def test_one_empty_side_stays_a_valid_comparison(aimc, tmp_path):
    old = write_tree(tmp_path / "old", {"README.md": "nothing yet\n"})
    new = write_tree(tmp_path / "new", {"cluster.yaml": (REPO / "examples/cluster.yaml").read_text(),
                                        "e.yaml": ENDPOINT})
    result = aimc("diff", str(old), str(new), "--format", "json", cwd=tmp_path)
    assert result.code == 0, result
    assert json.loads(result.out)["summary"]["added"] > 0


@pytest.mark.e2e
def test_a_committed_absolute_link_is_skipped_with_a_warning_not_a_crash(aimc, spec_repo):
    os.symlink("/etc/hostname", spec_repo / "deploy/endpoints/outside.yaml")
    os.symlink("../../../../etc/hostname", spec_repo / "deploy/endpoints/up.yaml")
    commit_all(spec_repo, "links")
    for link in ("outside.yaml", "up.yaml"):
        (spec_repo / "deploy/endpoints" / link).unlink()
    against_the_tree = aimc("diff", "HEAD", "-p", "deploy", cwd=spec_repo)  # used to exit 3: AbsoluteLinkError
    assert against_the_tree.code == 0, against_the_tree.err
    assert "Traceback" not in against_the_tree.err and "internal error" not in against_the_tree.err
    both = aimc("diff", "HEAD~1", "HEAD", "-p", "deploy", cwd=spec_repo)
    assert both.code == 0, both.err
    for link in ("outside.yaml", "up.yaml"):
        assert (f"HEAD:deploy/endpoints/{link}: warning: symbolic link to an absolute path or out of the repository: "
                "not read at this revision") in both.err, both.err


@pytest.mark.parametrize("old, new", [(1, True), (1, 1.0), (1, "1"), (True, "true"), (0.0, -0.0), (None, "null")])
def test_a_change_of_type_alone_is_a_change_as_a_value_in_a_list_and_in_a_mapping(old, new):
    """DeepDiff matches list items by hash (1 == 1.0 == True, 0.0 == -0.0): the typed walk names what it misses."""
    def obj(value):
        return {"kind": "X", "metadata": {"name": "x"}, "spec": {"v": value, "args": ["--x", value]}}

    assert _changes(obj(old), obj(new)) == [("spec.args[1] (--x)", "changed", old, new), ("spec.v", "changed", old, new)]
    assert _changes(obj(new), obj(old)) == [("spec.args[1] (--x)", "changed", new, old), ("spec.v", "changed", new, old)]
    assert _changes(obj(old), obj(old)) == []
