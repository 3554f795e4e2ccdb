"""`aimc kustomize check-output`: a Kustomize build meant to have run aimc must not still hold aimc's specs.

Which Kustomize builds run aimc's KRM function (a config object annotated `config.kubernetes.io/function: exec:
...`) is not obvious, and the ones that do not, skip it silently, printing the AIMEndpoints and the ClusterInventory
unchanged (exit 0):
- Kustomize skips an exec function unless --enable-exec is given: kyaml/runfn/runfn.go (kustomize v5.5.0) builds an
  exec filter only `if r.EnableExec && spec.Exec.Path != ""`, and `getFunctionFilters` passes over a function without
  a filter (`if c == nil { continue }`); reported as kubernetes-sigs/kustomize#4399.
- `kubectl kustomize` has no --enable-exec at all (kubernetes/kubectl#1498, closed without it), so even with
  --enable-alpha-plugins it never runs the function (tests/test_adapters_kustomize_output.py runs the real kubectl).
Nothing in such an output says a function was skipped, but aimc's own kinds in it do: no cluster serves them, and
`kubectl apply` of the output would fail on them (or Argo CD's sync would). This check runs before that, in CI.
"""

from __future__ import annotations

from aimc.errors import Diagnostic
from aimc.load.classify import API_GROUP

# The config object of aimc's Kustomize plugin (exec plugin and KRM function alike).
PLUGIN_GROUP = "aimc.amd.com"

NOT_RUN = ("aimc's Kustomize function did not run, so these specs were not compiled: `kubectl kustomize` never runs "
           "a KRM exec function (it has no --enable-exec), and `kustomize build` runs it only with "
           "--enable-alpha-plugins --enable-exec; either way it is skipped silently. Build with `kustomize build "
           "--enable-alpha-plugins --enable-exec`, use the exec plugin with `kubectl kustomize "
           "--enable-alpha-plugins` (`aimc kustomize install-plugin`, a config without the function annotation), or "
           "pipe the output into `aimc build -` (README, \"Kustomize\")")


def uncompiled(resources: list[dict]) -> list[str]:
    """`Kind/name` of every aimc spec (or aimc plugin config) among a build's resources, in output order."""
    found = []
    for obj in resources:
        group = str(obj.get("apiVersion") or "").partition("/")[0]
        if group in (API_GROUP, PLUGIN_GROUP):
            name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
            found.append(f"{obj.get('kind')}/{name}")
    return found


def check(resources: list[dict], source: str) -> list[Diagnostic]:
    """An error naming the specs left in the output, or none. An empty output is an error too: applying it with
    pruning would delete everything."""
    if not resources:
        return [Diagnostic(source, 0, "", "the Kustomize output holds no object")]
    left = uncompiled(resources)
    if not left:
        return []
    shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return [Diagnostic(source, 0, "", f"{len(left)} aimc spec{'s' if len(left) != 1 else ''} left uncompiled "
                                      f"({shown}): {NOT_RUN}")]
