"""The Argo CD Config Management Plugin: settings, confinement to the repository, and a contract test that runs the
plugin the way argocd-cmp-server does (fresh copy of the whole repository, cwd at the app path, command from
argocd-cmp.yaml, output parsed like Argo CD)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, write_tree

from aimc import pipeline
from aimc.adapters import argocd
from aimc.errors import UserError

ENDPOINT = """apiVersion: aim.engine.amd.com/v1alpha1
kind: AIMEndpoint
metadata:
  name: {name}
spec:
  model: Qwen/Qwen3-32B
  hardware: MI300X
  precision: bf16
  gpuCount: {gpus}
"""
HPA_V2 = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: extra, namespace: inference}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen-vllm}
  minReplicas: 1
  maxReplicas: 2
"""


# -- settings -----------------------------------------------------------------------------------------------

def test_settings_from_env_reads_every_setting():
    settings = argocd.settings_from_env({
        "ARGOCD_ENV_AIMC_PATHS": "endpoints, shared/endpoints", "ARGOCD_ENV_AIMC_INVENTORY": "cluster.yaml",
        "ARGOCD_ENV_AIMC_RECIPES": "recipes", "ARGOCD_ENV_AIMC_STRICT": "true", "ARGOCD_ENV_AIMC_EXCLUDE": "old/*",
        "ARGOCD_APP_NAMESPACE": "apps", "KUBE_VERSION": "v1.32.2+k3s1", "KUBE_API_VERSIONS": "v1,apps/v1,apps/v1/Deployment"})
    assert settings.paths == ("endpoints", "shared/endpoints")
    assert settings.inventory == "cluster.yaml" and settings.recipe_dirs == ("recipes",) and settings.strict
    assert settings.exclude == ("old/*",) and settings.default_namespace == "apps"
    assert str(settings.kube_version) == "1.32.2"
    assert "apps/v1" in settings.api_versions


def test_settings_defaults_and_namespace_precedence():
    assert argocd.settings_from_env({}) == pipeline.Options()
    settings = argocd.settings_from_env({"ARGOCD_APP_NAMESPACE": "apps", "ARGOCD_ENV_AIMC_NAMESPACE": "mine"})
    assert settings.default_namespace == "mine"


def test_bad_settings_are_reported_together_without_their_values():
    with pytest.raises(UserError) as caught:
        argocd.settings_from_env({"ARGOCD_ENV_AIMC_STRICT": "hunter2-secret", "KUBE_VERSION": "banana-secret",
                                  "ARGOCD_ENV_AIMC_INVENTRY": "x"})
    text = str(caught.value)
    assert "ARGOCD_ENV_AIMC_STRICT: expected true or false" in text
    assert "KUBE_VERSION: not a Kubernetes version" in text
    assert "ARGOCD_ENV_AIMC_INVENTRY: unknown setting (did you mean 'ARGOCD_ENV_AIMC_INVENTORY'?)" in text
    assert "secret" not in text


def test_repository_root_is_the_nearest_folder_with_git(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "apps" / "prod").mkdir(parents=True)
    assert argocd.repository_root(tmp_path / "repo" / "apps" / "prod") == tmp_path / "repo"
    (tmp_path / "plain" / "apps" / "prod").mkdir(parents=True)
    assert argocd.repository_root(tmp_path / "plain") == tmp_path / "plain"
    # Without .git (excluded from the tarball), ARGOCD_APP_SOURCE_PATH still tells where the repository starts.
    app = tmp_path / "plain" / "apps" / "prod"
    assert argocd.repository_root(app, "apps/prod") == tmp_path / "plain"
    assert argocd.repository_root(app, "apps/prod/") == tmp_path / "plain"
    assert argocd.repository_root(app, "other/prod") == app
    assert argocd.repository_root(app, "../prod") == app


@pytest.mark.parametrize("setting, value, message", [
    ("ARGOCD_ENV_AIMC_PATHS", "../../../outside", "leaves the repository"),
    ("ARGOCD_ENV_AIMC_PATHS", "/etc", "absolute paths are refused"),
    ("ARGOCD_ENV_AIMC_INVENTORY", "../../../outside/cluster.yaml", "leaves the repository"),
    ("ARGOCD_ENV_AIMC_RECIPES", "escape", "symlink resolving outside the repository"),
    ("ARGOCD_ENV_AIMC_PATHS", "missing", "no such file or folder"),
])
def test_paths_outside_the_repository_are_refused(tmp_path, setting, value, message):
    repo = write_tree(tmp_path / "repo", {".git/HEAD": "", "apps/prod/a.yaml": ENDPOINT.format(name="a", gpus=4)})
    write_tree(tmp_path, {"outside/cluster.yaml": "kind: secret\n"})
    (repo / "apps" / "prod" / "escape").symlink_to(tmp_path / "outside")
    settings = argocd.settings_from_env({setting: value})
    problems = argocd.confined_paths(settings, repo / "apps" / "prod", repo)
    assert [p.format() for p in problems] and message in problems[0].format()
    assert value not in problems[0].format()


def test_a_symlinked_file_inside_an_input_folder_that_leaves_the_repository_is_refused(tmp_path):
    repo = write_tree(tmp_path / "repo", {".git/HEAD": "", "app/a.yaml": ENDPOINT.format(name="a", gpus=4)})
    write_tree(tmp_path, {"secret.yaml": "password: x\n"})
    (repo / "app" / "leak.yaml").symlink_to(tmp_path / "secret.yaml")
    (repo / "app" / "inside.yaml").symlink_to(repo / "app" / "a.yaml")  # inside the repository: fine
    problems = argocd.confined_paths(pipeline.Options(), repo / "app", repo)
    assert [p.format() for p in problems] == ["leak.yaml: symlink resolving outside the repository: refusing to read it"]


# -- the contract: run it like argocd-cmp-server ------------------------------------------------------------

def plugin_command() -> list[str]:
    """`generate.command` + `args` of argocd-cmp.yaml, with `aimc` resolved like the sidecar's PATH would."""
    plugin = yaml.safe_load((REPO / "argocd-cmp.yaml").read_text())
    assert plugin["kind"] == "ConfigManagementPlugin" and plugin["metadata"]["name"] == "aimc"
    command = list(plugin["spec"]["generate"]["command"]) + list(plugin["spec"]["generate"].get("args") or [])
    assert command[0] == "aimc", "generate must run aimc directly, not a shell pipeline"
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    found = shutil.which("aimc", path=search)
    return ([found] if found else [sys.executable, "-m", "aimc"]) + command[1:]


def parse_like_argocd(stdout: str) -> list[dict]:
    """Argo CD's reading of a plugin's output: every document an object with apiVersion and kind; empty and null
    documents skipped; *List kinds flattened."""
    objects = []
    for document in yaml.safe_load_all(stdout):
        if document is None or document == {}:
            continue
        assert isinstance(document, dict), "Object 'Kind' is missing"
        assert document.get("kind") and document.get("apiVersion"), "Object 'Kind' is missing"
        if document["kind"].endswith("List") and isinstance(document.get("items"), list):
            objects.extend(document["items"])
        else:
            objects.append(document)
    return objects


def git_repository(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm",
                    "specs"], check=True)
    return root


def examples_repository(root: Path, prefix: str = "") -> Path:
    files = {f"{prefix}{p.relative_to(REPO / 'examples').as_posix()}": p.read_text()
             for p in sorted((REPO / "examples").rglob("*.yaml"))}
    return git_repository(root, files)


def run_like_cmp_server(repository: Path, tmp_path: Path, app_path: str, settings: dict[str, str]):
    """Unpack a copy of the whole repository (with .git) into a fresh folder and run generate at the app path."""
    unpacked = tmp_path / "cmp-server" / "repo-1234"
    shutil.copytree(repository, unpacked, symlinks=True)
    before = snapshot(unpacked)
    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(tmp_path / "not-writable-home"),
        # The sidecar image installs aimc; here the package under test comes from this checkout.
        "PYTHONPATH": str(REPO),
        "ARGOCD_APP_NAME": "inference", "ARGOCD_APP_NAMESPACE": "apps", "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "0123456789abcdef0123456789abcdef01234567", "ARGOCD_APP_REVISION_SHORT": "0123456",
        "ARGOCD_APP_REVISION_SHORT_8": "01234567", "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/specs.git",
        "ARGOCD_APP_SOURCE_PATH": app_path, "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        # The examples' inventory says the cluster runs the Prometheus operator (PodMonitors).
        "KUBE_VERSION": "1.32.2", "KUBE_API_VERSIONS": "v1,apps/v1,autoscaling/v2,policy/v1,monitoring.coreos.com/v1,"
        # The examples' gateway: RBAC of the endpoint pickers, their pools and the models' routes.
        "rbac.authorization.k8s.io/v1,inference.networking.k8s.io/v1,gateway.networking.k8s.io/v1,"
        # The examples' multi-node endpoint: the LeaderWorkerSet controller.
        "leaderworkerset.x-k8s.io/v1,"
        # The examples' shared (ReadWriteMany) model cache: its download Jobs.
        "batch/v1",
        "ARGOCD_APP_PARAMETERS": "[]",
        **{f"ARGOCD_ENV_{name}": value for name, value in settings.items()},
    }
    run = subprocess.run(plugin_command(), cwd=unpacked / app_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert snapshot(unpacked) == before, "the plugin must write nothing into the repository"
    return run


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if not p.is_symlink()}


@pytest.mark.e2e
def test_contract_success_at_the_repository_root(tmp_path):
    repository = examples_repository(tmp_path / "origin")
    run = run_like_cmp_server(repository, tmp_path, ".", {})
    assert run.returncode == 0, run.stderr
    objects = parse_like_argocd(run.stdout)
    direct = subprocess.run([sys.executable, "-m", "aimc", "build", "examples"], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert objects == parse_like_argocd(direct.stdout)
    assert {o["kind"] for o in objects} >= {"Deployment", "Service"}


@pytest.mark.e2e
def test_contract_app_path_in_a_subfolder_reaches_the_rest_of_the_repository(tmp_path):
    files = {f"apps/prod/{p.relative_to(REPO / 'examples/endpoints').as_posix()}": p.read_text()
             for p in sorted((REPO / "examples" / "endpoints").glob("*.yaml"))}
    files["clusters/prod.yaml"] = (REPO / "examples" / "cluster.yaml").read_text()
    files["apps/staging/ignored.yaml"] = ENDPOINT.format(name="not-this-app", gpus=4)
    repository = git_repository(tmp_path / "origin", files)
    run = run_like_cmp_server(repository, tmp_path, "apps/prod",
                              {"AIMC_INVENTORY": "../../clusters/prod.yaml", "AIMC_PATHS": "."})
    assert run.returncode == 0, run.stderr
    names = {o["metadata"]["name"] for o in parse_like_argocd(run.stdout)}
    assert "qwen3-32b-vllm" in names and not any(n.startswith("not-this-app") for n in names)


@pytest.mark.e2e
def test_contract_namespace_defaults_to_the_application_namespace(tmp_path):
    repository = git_repository(tmp_path / "origin", {
        "cluster.yaml": (REPO / "examples" / "cluster.yaml").read_text().replace("    namespace: inference\n", ""),
        "qwen.yaml": ENDPOINT.format(name="qwen", gpus=4)})
    run = run_like_cmp_server(repository, tmp_path, ".", {})
    assert run.returncode == 0, run.stderr
    # The body-based router lives in the gateway's own namespace.
    assert {o["metadata"]["namespace"] for o in parse_like_argocd(run.stdout)} == {"apps", "gateway-system"}


@pytest.mark.e2e
def test_contract_bad_input_fails_with_file_and_line_and_no_output(tmp_path):
    repository = examples_repository(tmp_path / "origin")
    (repository / "endpoints" / "broken.yaml").write_text(ENDPOINT.format(name="broken", gpus=0))
    run = run_like_cmp_server(repository, tmp_path, ".", {"AIMC_STRICT": "true"})
    assert run.returncode == 1 and run.stdout == ""
    assert "endpoints/broken.yaml:9: spec.gpuCount:" in run.stderr
    assert "Traceback" not in run.stderr and str(tmp_path) not in run.stderr
    assert len(run.stderr.splitlines()) <= 5


@pytest.mark.e2e
def test_contract_strict_turns_warnings_into_errors(tmp_path):
    repository = examples_repository(tmp_path / "origin")
    tuned = repository / "endpoints" / "qwen3-32b-tuned.yaml"  # the seed's documented flag aliases: a warning
    tuned.write_text(tuned.read_text().replace("--max-num-seqs:", "--max-batch-size:"))
    assert run_like_cmp_server(repository, tmp_path / "lenient", ".", {}).returncode == 0
    run = run_like_cmp_server(repository, tmp_path / "strict", ".", {"AIMC_STRICT": "true"})
    assert run.returncode == 1 and run.stdout == "" and "--max-batch-size" in run.stderr


@pytest.mark.e2e
def test_contract_dot_dot_escape_is_refused(tmp_path):
    repository = examples_repository(tmp_path / "origin", prefix="apps/prod/")
    run = run_like_cmp_server(repository, tmp_path, "apps/prod", {"AIMC_PATHS": "../../.."})
    assert run.returncode == 1 and run.stdout == ""
    assert "ARGOCD_ENV_AIMC_PATHS entry 1: leaves the repository" in run.stderr


@pytest.mark.e2e
def test_contract_empty_application_is_an_error_not_an_empty_stream(tmp_path):
    repository = git_repository(tmp_path / "origin", {"README.md": "nothing here\n", "ci.yaml": "jobs: {}\n"})
    run = run_like_cmp_server(repository, tmp_path, ".", {})
    assert run.returncode == 1 and run.stdout == "" and "empty stream" in run.stderr


@pytest.mark.e2e
def test_contract_excluding_every_endpoint_is_an_error_not_the_router_alone(tmp_path):
    # The examples' inventory renders the body-based router: excluding every file but the inventory used to print
    # only the router's objects with exit 0, and auto-prune would then delete every endpoint.
    repository = examples_repository(tmp_path / "origin")
    run = run_like_cmp_server(repository, tmp_path, ".", {"AIMC_EXCLUDE": "**/*", "AIMC_INVENTORY": "cluster.yaml"})
    assert run.returncode == 1 and run.stdout == "", run.stderr
    assert "no AIMEndpoint and no Kubernetes object found: refusing to render only the" in run.stderr


@pytest.mark.e2e
def test_contract_kube_version_too_old_for_an_api_version(tmp_path):
    repository = examples_repository(tmp_path / "origin")
    (repository / "hpa.yaml").write_text(HPA_V2)
    for strict, code in (("false", 0), ("true", 1)):
        run = subprocess.run(plugin_command(), cwd=repository, capture_output=True, text=True, env={
            "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "KUBE_VERSION": "1.22.17",
            # qwen3-32b and the disaggregated endpoint's decode role autoscale: their own autoscaling/v2 HPAs would
            # also be too new for 1.22; without qwen3-32b and its canary, the standby qwen3-32b-multi and
            # qwen3-32b-adapters (weight 0) would be a warning.
            "ARGOCD_ENV_AIMC_EXCLUDE": "endpoints/qwen3-32b-tuned.yaml,endpoints/qwen3-32b.yaml,"
                                       "endpoints/qwen3-32b-multi.yaml,endpoints/qwen3-32b-adapters.yaml,"
                                       "endpoints/qwen3-32b-disaggregated.yaml",
            "ARGOCD_ENV_AIMC_STRICT": strict})
        assert run.returncode == code, run.stderr
        assert ("hpa.yaml:1: " + ("" if strict == "true" else "warning: ")
                + "HorizontalPodAutoscaler 'extra': HorizontalPodAutoscaler autoscaling/v2 needs Kubernetes 1.23 "
                  "or later; the target is 1.22") in run.stderr


# -- the sidecar ------------------------------------------------------------------------------------------

def test_dockerfile_runs_as_999_with_the_plugin_baked_in():
    text = (REPO / "plugin" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "\nUSER 999\n" in text
    assert "COPY argocd-cmp.yaml /home/argocd/cmp-server/config/plugin.yaml" in text
    assert 'ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]' in text
    assert "HOME=/tmp" in text


def test_example_application_names_the_versioned_plugin_with_known_settings():
    plugin = yaml.safe_load((REPO / "argocd-cmp.yaml").read_text())
    application = yaml.safe_load((REPO / "plugin" / "application.yaml").read_text())
    source = application["spec"]["source"]["plugin"]
    assert source["name"] == f"{plugin['metadata']['name']}-{plugin['spec']['version']}" == "aimc-v1.0"
    for entry in source["env"]:
        assert entry["name"] in argocd.SETTINGS


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_patch_adds_the_sidecar_to_argo_cds_repo_server(tmp_path):
    from conftest import SHARED_FIXTURES

    repo_server = SHARED_FIXTURES / "argo-cd" / "manifests" / "base" / "repo-server"
    if not repo_server.is_dir():
        pytest.skip("shared Argo CD fixture absent")
    shutil.copytree(repo_server, tmp_path / "repo-server")
    ours = yaml.safe_load((REPO / "plugin" / "kustomization.yaml").read_text())
    for patch in ours["patches"]:
        shutil.copy(REPO / "plugin" / patch["path"], tmp_path / patch["path"])
    ours["resources"] = ["repo-server"]  # Argo CD's own manifests, offline
    ours.pop("namespace", None)
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(ours))
    built = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    deployment = next(d for d in yaml.safe_load_all(built.stdout)
                      if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "argocd-repo-server")
    pod = deployment["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert "argocd-repo-server" in containers  # the patch adds, it does not replace
    sidecar = containers["aimc-cmp"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["image"] == "registry.example.com/aimc-cmp:0.1.0"
    assert sidecar["securityContext"]["runAsNonRoot"] is True and sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m["name"] for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"] == "plugins"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]] and mounts["/tmp"] != "tmp"  # private, not the repo-server's
    assert {"var-files", "plugins"} <= set(volumes)
    # The plugin file is baked into the image where argocd-cmp-server reads it, not mounted over.
    assert "/home/argocd/cmp-server/config" not in " ".join(mounts)
    assert "/home/argocd/cmp-server/config/plugin.yaml" in (REPO / "plugin" / "Dockerfile").read_text()


def test_api_versions_the_target_cannot_serve_are_errors_for_rendered_objects(monkeypatch):
    """An HPA rendered by aimc (autoscaling/v2) on Kubernetes 1.22 is an error naming the endpoint's file and line."""
    from aimc import pipeline

    monkeypatch.chdir(REPO)
    result = pipeline.compile(pipeline.Options(paths=("examples",), exclude=("endpoints/qwen3-32b-tuned.yaml",
                                                                             "endpoints/qwen3-32b-disaggregated.yaml")))
    endpoint = next(e for e in result.inputs.endpoints if e.name == "qwen3-32b")  # autoScaling: an HPA
    settings = argocd.settings_from_env({"KUBE_VERSION": "1.22.3"})
    errors, warnings = argocd.api_version_checks(result, settings)
    assert [e.format() for e in errors] == [
        f"{endpoint.origin.file}:{endpoint.origin.line}: HorizontalPodAutoscaler 'qwen3-32b-vllm': "
        "HorizontalPodAutoscaler autoscaling/v2 needs Kubernetes 1.23 or later; the target is 1.22"]
    assert warnings == []
    assert argocd.api_version_checks(result, argocd.settings_from_env({"KUBE_VERSION": "1.23.0"})) == ([], [])


def test_long_error_lists_are_cut_for_the_argo_cd_ui():
    from aimc.errors import Diagnostic

    many = [Diagnostic(f"e{i}.yaml", 1, "", "bad") for i in range(30)]
    short = argocd.shortened(many)
    assert len(short) == argocd.MAX_REPORTED_ERRORS + 1 and "10 more errors" in short[-1].message


@pytest.mark.e2e
def test_the_image_build_context_holds_what_pip_install_needs(tmp_path):
    """plugin/Dockerfile.dockerignore must not exclude anything `pip install /src/aimc` needs (docker itself is not
    available to the tests: build the wheel from the same context instead)."""
    import fnmatch

    ignored = [line.strip() for line in (REPO / "plugin" / "Dockerfile.dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]

    def ignore(folder, names):
        rel = Path(folder).relative_to(REPO)
        return {n for n in names if any(fnmatch.fnmatch((rel / n).as_posix(), p.replace("**/", ""))
                                        or fnmatch.fnmatch(n, p.replace("**/", "")) for p in ignored)}

    context = tmp_path / "context"
    shutil.copytree(REPO, context, ignore=ignore)
    assert (context / "argocd-cmp.yaml").is_file()  # COPY argocd-cmp.yaml needs it
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(context)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert list((tmp_path / "dist").glob("aimc-*.whl"))


def test_errors_in_argo_cd_mode_name_the_setting_not_a_cli_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as argocd-cmp-server runs it: at the application's path
    write_tree(tmp_path, {"e.yaml": ENDPOINT.format(name="a", gpus=4)})
    with pytest.raises(UserError) as caught:
        argocd.generate({"ARGOCD_ENV_AIMC_NAMESPACE": "Bad_NS"}, tmp_path)
    text = str(caught.value)
    assert "ARGOCD_ENV_AIMC_NAMESPACE: the value is not a valid namespace" in text
    assert "--namespace" not in text and "Bad_NS" not in text
    with pytest.raises(UserError) as caught:
        argocd.generate({}, tmp_path)
    assert "e.yaml:1: no ClusterInventory found among the inputs: add one (kind: ClusterInventory) or set " \
           "ARGOCD_ENV_AIMC_INVENTORY" in str(caught.value)
    assert "--inventory" not in str(caught.value)


def test_overcommit_errors_in_argo_cd_mode_do_not_advise_a_cli_flag(tmp_path, monkeypatch):
    shutil.copytree(REPO / "tests/cases/error-overcommit/inputs", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    with pytest.raises(UserError) as caught:
        argocd.generate({}, tmp_path / "app")
    assert "is overcommitted" in str(caught.value) and "--allow-overcommit" not in str(caught.value)


def test_a_setting_in_lower_case_is_reported_as_a_likely_typo_not_ignored():
    with pytest.raises(UserError) as caught:
        argocd.settings_from_env({"ARGOCD_ENV_aimc_strict": "true", "ARGOCD_ENV_Aimc_Namespace": "secret-ns"})
    text = str(caught.value)
    assert "ARGOCD_ENV_aimc_strict: not a setting: settings are upper case, this looks like a typo for " \
           "'ARGOCD_ENV_AIMC_STRICT'" in text
    assert "ARGOCD_ENV_Aimc_Namespace:" in text and "secret-ns" not in text
