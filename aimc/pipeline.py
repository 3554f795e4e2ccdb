"""The whole compiler: discover → load → validate → resolve → render. The CLI and every adapter call `compile`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aimc.errors import Collector, Diagnostic, quote
from aimc.load import documents
from aimc.memo import one_compile
from aimc.model.inputs import Inputs
from aimc.records import Record, object_identity
from aimc.resolve import capacity, fit, fit_groups, gated, generated, kube_target
from aimc.resolve import endpoints as resolve_mod
from aimc.validate import build as parse
from aimc.validate.secrets import inline_token_errors

if TYPE_CHECKING:  # the build path does not import what only Argo CD needs; explain and plan render nothing
    from aimc.k8s.versions import KubeVersion
    from aimc.load.parsed import ParsedObject
    from aimc.render import Rendered


class Options(Record):
    """What one compile reads and how strictly: the CLI and every adapter (Argo CD, Kustomize, KRM, diff) build one."""

    paths: tuple[str, ...] = (".",)
    inventory: str | None = None
    recipe_dirs: tuple[str, ...] = ()
    stdin_text: str | None = None
    # Objects another tool handed over already parsed (Kustomize, KRM), read before the paths.
    objects: tuple[ParsedObject, ...] = ()
    # The folder relative paths are relative to (`aimc diff` renders a revision extracted elsewhere); None: the
    # working directory.
    root: str | None = None
    default_namespace: str | None = None
    strict: bool = False
    exclude: tuple[str, ...] = ()
    allow_empty: bool = False
    allow_overcommit: bool = False
    # The target cluster (Argo CD's KUBE_VERSION and KUBE_API_VERSIONS), checked by the Argo CD adapter.
    kube_version: KubeVersion | None = None
    api_versions: frozenset[str] = frozenset()


class Result(Record):
    objects: tuple[Rendered, ...]
    warnings: tuple[Diagnostic, ...]
    inputs: Inputs
    resolution: resolve_mod.Resolution


def load_inputs(options: Options, collector: Collector,
                keep: Callable[[documents.SourceFile], bool] | None = None) -> Inputs:
    """The parsed inputs; `keep` (explain of named endpoints) picks the input files worth parsing from their text."""
    files = documents.discover(options.paths, collector, options.stdin_text, options.exclude, options.root)
    if keep is not None:
        files = [f for f in files if keep(f)]
    docs = documents.load(files, collector)
    if options.objects:
        from aimc.load import parsed

        docs = parsed.load(list(options.objects), collector) + docs
    recipe_docs = []
    if options.recipe_dirs:
        recipe_files = documents.discover(options.recipe_dirs, collector, root=options.root)
        recipe_docs = documents.load(recipe_files, collector)
    inventory_docs = None
    if options.inventory:
        inventory_files = documents.discover([options.inventory], collector, root=options.root)
        inventory_docs = documents.load(inventory_files, collector)
        # The inventory given with --inventory is not also an input, even when it lives among the inputs.
        chosen = {f.path for f in inventory_files}
        docs = [d for d in docs if not (d.kind == "inventory" and d.file in chosen)]
    return parse.parse_inputs(docs, collector, recipe_docs, inventory_documents=inventory_docs)


def compile(options: Options) -> Result:
    """Render every object, or raise UserError with every problem found. Whatever is memoised lives for this
    compile only (aimc/memo.py).

    One pass finds every error: the checks of one stage run on every input whose own earlier checks did not make it
    unusable (an endpoint whose autoscaling bounds are wrong is still resolved, its flags still checked), and
    nothing is rendered until no error is left."""
    with one_compile():
        return _compile(options)


def _compile(options: Options) -> Result:
    # Imported here: `explain` and `plan` load and resolve through this module but render nothing (the render
    # modules are about a quarter of explain's imports, issue 24).
    from aimc.render import Rendered, benchmark, render_all
    from aimc.render import check as render_check

    collector = Collector()
    inputs = load_inputs(options, collector)
    _check_namespace_option(options.default_namespace, collector)
    collector.extend(inline_token_errors(inputs))
    # With an error in what every endpoint depends on (the inventory, a recipe, an AIMModel), resolving would answer
    # from part of the inputs: those errors are reported, resolution waits for them to be fixed.
    resolution = resolve_mod.Resolution((), (), ())
    if inputs.shared_valid and inputs.endpoints and inputs.inventory is None:
        first = inputs.endpoints[0].origin
        collector.error(first.file, first.line, "", "no ClusterInventory found among the inputs: add one "
                                           "(kind: ClusterInventory) or pass --inventory FILE")
    elif inputs.shared_valid:
        resolution = resolve_inputs(inputs, collector, options)
        collector.extend(render_check(resolution.endpoints, inputs.inventory))
    collector.raise_if_errors()
    # The model facts resolve used (built-in plus AIMModel documents, read once by validate) size the startup budget
    # and the cache claims.
    objects = render_all(resolution.endpoints, inputs.inventory, inputs.models)
    objects += benchmark.post_sync(resolution.endpoints, inputs.benchmarks, inputs.inventory)
    objects += [Rendered(o.data, o.origin.source, o.origin.file, o.origin.line_of("metadata", "name"), o.origin.data)
                for o in inputs.objects]
    _check_collisions(objects, inputs, collector)
    if not resolution.endpoints and not inputs.objects and not options.allow_empty:
        # Argo CD with auto-prune deletes every resource of an application that renders empty, or that renders only
        # the objects the inventory shares between endpoints (the body-based router): nothing of the application's
        # own, so the endpoints it had were deleted. Counted on the inputs, whatever shared objects come with them.
        places = (("<resources>",) if options.objects else ()) + tuple(options.paths)
        what = (f"only the {len(objects)} objects the inventory shares between endpoints (the body-based router)"
                if objects else "an empty stream")
        collector.error(", ".join(places), 0, "", f"no AIMEndpoint and no Kubernetes object found: refusing to "
                                                  f"render {what}")
    warnings = tuple(collector.warnings)
    if options.strict:
        collector.warnings_as_errors()
    collector.raise_if_errors()
    return Result(tuple(objects), warnings, inputs, resolution)


def _check_namespace_option(namespace: str | None, collector: Collector) -> None:
    """--namespace lands in metadata.namespace and in -o paths: a DNS-1123 label like every namespace."""
    import re

    if namespace is not None and (len(namespace) > 63 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace)):
        collector.error("--namespace", 0, "", f"{quote(namespace)} is not a valid namespace: a DNS-1123 label "
                                              "(lowercase letters, digits and '-', at most 63 characters)")


def resolve_inputs(inputs: Inputs, collector: Collector, options: Options,
                   explain_hint: bool = True) -> resolve_mod.Resolution:
    """Resolve every endpoint with the memory-fit filter, then the repository-wide checks (fit not checked,
    capacity per node pool). `explain` and `plan` call this too, so they see what `build` sees (`explain` without
    the errors' advice to run `aimc explain`)."""
    with one_compile():
        return _resolve_inputs(inputs, collector, options, explain_hint)


def _resolve_inputs(inputs: Inputs, collector: Collector, options: Options,
                    explain_hint: bool) -> resolve_mod.Resolution:
    models = inputs.models
    inputs = generated.with_generated(inputs, models)  # models with facts and no recipe: generated candidates
    resolution = resolve_mod.resolve(inputs, collector, options.default_namespace,
                                     checks=(fit_groups.memory_check(models, inputs.inventory),),
                                     explain_hint=explain_hint)
    collector.extend(fit.unchecked_warnings(resolution.endpoints, models))
    collector.extend(gated.token_warnings(resolution.endpoints, models, inputs.inventory))
    collector.extend(generated.warnings(resolution.endpoints, models))
    collector.extend(kube_target.dra_problems(resolution.endpoints, inputs.inventory, options.kube_version))
    collector.extend(kube_target.image_volume_problems(resolution.endpoints, inputs.inventory, options.kube_version))
    if inputs.inventory is not None:
        plans = capacity.plan(resolution.endpoints, inputs.inventory)
        collector.extend(capacity.overcommit_diagnostics(plans, options.allow_overcommit))
    return resolution


def _check_collisions(objects: list[Rendered], inputs: Inputs, collector: Collector) -> None:
    """Two objects with one kind, namespace and name: the second would silently replace the first."""
    seen: dict = {}
    for item in objects:
        key = object_identity(item.obj)
        first = seen.get(key)
        if first is None:
            seen[key] = item
        else:
            collector.error(item.file or item.source, item.line, "metadata.name",
                            f"{key[1]} '{key[3]}' is produced twice (also from {first.file or first.source}:"
                            f"{first.line}); rename one of them")
