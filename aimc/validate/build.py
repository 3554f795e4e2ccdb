"""validate: schema-check raw documents, then build the frozen dataclasses of `model.py`.

All documents are checked; every error of every file is collected before anything is reported.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from aimc.validate import kube_values, schema
from aimc.load.documents import Document, discover, load
from aimc.errors import Collector, Diagnostic
from aimc.model.inputs import AutoScaling, Catalog, Endpoint, EngineRequest, Inputs, Inventory, NodePool, Origin, PassthroughObject, Recipe, RecipeConfig
from aimc.catalog.files import data_dir
from aimc.load.yaml_positions import format_path, line_of

DEFAULT_GPU_RESOURCE = "amd.com/gpu"

# Endpoint spec fields the core reads itself; the rest are kept in `Endpoint.extra` for the renderers.
_CORE_SPEC_FIELDS = {
    "model", "hardware", "precision", "gpuCount", "servingEngine", "servingEngines", "recipe", "metric",
    "replicas", "autoScaling", "customArgs", "aimFrameworkOverrides", "image", "env",
}


def origin_of(doc: Document) -> Origin:
    return Origin(doc.file, doc.source, doc.line, doc.data)


def pairs(mapping) -> tuple:
    return tuple((k, v) for k, v in (mapping or {}).items())


# -- inputs -------------------------------------------------------------------------------------------------

def parse_inputs(documents: list[Document], collector: Collector, recipe_documents=(), builtin: Catalog | None = None,
                 inventory_documents=None) -> Inputs:
    """Validate every document and build the inputs of the compiler."""
    endpoints, inventories, recipes, objects, models = [], [], [], [], []
    for doc in documents:
        if doc.kind == "object":
            problems = object_problems(doc)
            if problems:
                collector.extend(problems)
            elif not _is_previous_output(doc.data):
                objects.append(PassthroughObject(dict(doc.data), origin_of(doc)))
            continue
        problems = schema.validate(doc.kind, doc.data, doc.file, doc.line) or \
            kube_values.problems(doc.kind, doc.data, doc.file, doc.line, schema.load_schema(doc.kind))
        collector.extend(problems)
        if any(p.severity == "error" for p in problems):
            continue
        if doc.kind == "endpoint":
            endpoint = parse_endpoint(doc, collector)
            if endpoint is not None:
                endpoints.append(endpoint)
        elif doc.kind == "inventory":
            inventories.append((doc, parse_inventory(doc, collector)))
        elif doc.kind in ("recipe", "profile"):
            recipe = parse_recipe(doc, collector, builtin=False)
            if recipe is not None:
                recipes.append(recipe)
        elif doc.kind == "model":
            models.append(doc)
    for doc in recipe_documents:
        if doc.kind in ("recipe", "profile"):
            problems = schema.validate(doc.kind, doc.data, doc.file, doc.line) or \
                kube_values.problems(doc.kind, doc.data, doc.file, doc.line, schema.load_schema(doc.kind))
            collector.extend(problems)
            if any(p.severity == "error" for p in problems):
                continue
            recipe = parse_recipe(doc, collector, builtin=False)
            if recipe is not None:
                recipes.append(recipe)
        elif doc.kind == "model":
            if not schema.validate("model", doc.data, doc.file, doc.line):
                models.append(doc)
    inventory = _choose_inventory(inventories, inventory_documents, collector)
    catalog = merge_catalog(builtin or builtin_catalog(), recipes, collector)
    _check_unique_endpoints(endpoints, collector)
    return Inputs(tuple(endpoints), inventory, catalog, tuple(objects), tuple(models))


# What aimc itself relies on in an object it passes through: it sorts by kind, namespace and name, writes
# `<namespace>/<kind>-<name>.yaml` under --output-dir, and reads labels. Everything else is the cluster's business.
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+[a-z0-9]*$")
_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_FORBIDDEN_IN_NAME = re.compile(r"[/%\x00-\x20\x7f]")


def object_problems(doc: Document) -> list[Diagnostic]:
    """Problems of a pass-through Kubernetes object that would make aimc render it wrong (or write outside -o)."""
    data, problems = doc.data, []

    def problem(path: tuple, message: str) -> None:
        problems.append(doc.diag(line_of(data, path, doc.line), format_path(path), message))

    if not _API_VERSION.match(data["apiVersion"]):
        problem(("apiVersion",), f"{data['apiVersion']!r} is not a Kubernetes apiVersion (e.g. 'v1', 'apps/v1')")
    if not _KIND.match(data["kind"]):
        problem(("kind",), f"{data['kind']!r} is not a Kubernetes kind (letters and digits, e.g. 'ConfigMap')")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        problem(("metadata",), "missing or not a mapping: every Kubernetes object needs metadata.name")
        return problems
    name = metadata.get("name")
    if name is None and metadata.get("generateName") is None:
        problem(("metadata",), "missing required field 'name'")
    for key in ("name", "generateName"):
        value = metadata.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > 253
                                  or value in (".", "..") or _FORBIDDEN_IN_NAME.search(value)):
            problem(("metadata", key), f"{value!r} is not a valid object name: a non-empty string of at most 253 "
                                       "characters without '/', '%', spaces or control characters")
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or len(namespace) > 63
                                  or not _DNS_1123_LABEL.match(namespace)):
        problem(("metadata", "namespace"), f"{namespace!r} is not a valid namespace: a DNS-1123 label (lowercase "
                                           "letters, digits and '-', at most 63 characters)")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            problem(("metadata", key), f"{schema.describe(value)} is not valid; expected a mapping of strings to strings")
            continue
        for item_key, item in value.items():
            if not isinstance(item, str):
                problem(("metadata", key, item_key), f"{schema.describe(item)} is not valid; expected a string (quote it)")
    return problems


def _is_previous_output(data) -> bool:
    """Objects aimc rendered earlier (a committed render folder among the inputs) are not inputs."""
    labels = (data.get("metadata") or {}).get("labels") or {}
    return isinstance(labels, dict) and labels.get("app.kubernetes.io/managed-by") == "aimc"


def _choose_inventory(found, given, collector: Collector) -> Inventory | None:
    if given is not None:
        parsed = []
        for doc in given:
            if doc.kind != "inventory":
                continue
            problems = schema.validate("inventory", doc.data, doc.file, doc.line)
            if problems:
                collector.extend(problems)
                return None
            parsed.append((doc, parse_inventory(doc, collector)))
        if not given and collector.errors:
            return None  # the file itself could not be read: that error says it all
        if len(parsed) != 1:
            where = given[0].file if given else "--inventory"
            collector.error(where, 0, "", f"expected exactly one ClusterInventory in the --inventory file, found "
                                          f"{len(parsed)}")
            return None
        return parsed[0][1]
    if len(found) > 1:
        places = ", ".join(f"{doc.file}:{doc.line}" for doc, _ in found)
        first = found[1][0]
        collector.error(first.file, first.line, "", f"{len(found)} ClusterInventory documents found ({places}); "
                                                    "choose one with --inventory FILE")
        return None
    return found[0][1] if found else None


def _check_unique_endpoints(endpoints, collector: Collector) -> None:
    seen: dict = {}
    for endpoint in endpoints:
        key = (endpoint.namespace, endpoint.name)
        if key in seen:
            first = seen[key]
            collector.error(endpoint.origin.file, endpoint.origin.line_of("metadata", "name"), "metadata.name",
                            f"duplicate endpoint '{endpoint.name}'"
                            + (f" in namespace '{endpoint.namespace}'" if endpoint.namespace else "")
                            + f": first defined at {first.origin.file}:{first.origin.line_of('metadata', 'name')}")
        else:
            seen[key] = endpoint


# -- endpoint -----------------------------------------------------------------------------------------------

def parse_endpoint(doc: Document, collector: Collector) -> Endpoint | None:
    data, origin = doc.data, origin_of(doc)
    metadata, spec = data["metadata"], data["spec"]
    ok = True
    if "servingEngine" in spec and "servingEngines" in spec:
        collector.error(doc.file, origin.line_of("spec", "servingEngines"), "spec.servingEngines",
                        "give either servingEngine (one engine) or servingEngines (several), not both")
        ok = False
    engines = _engine_requests(spec, origin, collector)
    if engines is None:
        ok = False
    autoscaling = _autoscaling(spec.get("autoScaling"), origin, collector)
    if autoscaling is None:
        ok = False
    if not ok:
        return None
    return Endpoint(
        name=metadata["name"],
        namespace=metadata.get("namespace"),
        labels=pairs(metadata.get("labels")),
        annotations=pairs(metadata.get("annotations")),
        model=spec["model"],
        hardware=spec["hardware"].upper() if spec.get("hardware") else None,
        precision=spec.get("precision"),
        gpu_count=spec.get("gpuCount"),
        engines=engines,
        multi_engine="servingEngines" in spec,
        recipe=spec.get("recipe"),
        metric=spec.get("metric"),
        replicas=spec.get("replicas", 1),
        autoscaling=autoscaling,
        custom_args=pairs(spec.get("customArgs")),
        overrides=pairs(spec.get("aimFrameworkOverrides")),
        image=spec.get("image"),
        env=tuple(spec.get("env") or ()),
        origin=origin,
        extra=tuple((k, v) for k, v in spec.items() if k not in _CORE_SPEC_FIELDS),
    )


def _engine_requests(spec, origin: Origin, collector: Collector):
    if "servingEngines" not in spec:
        return (EngineRequest(spec.get("servingEngine", "vllm"), path=("spec", "servingEngine")),)
    requests, seen = [], set()
    for index, entry in enumerate(spec["servingEngines"]):
        path = ("spec", "servingEngines", index)
        if isinstance(entry, str):
            request = EngineRequest(entry, path=path)
        else:
            request = EngineRequest(entry["engine"], entry.get("gpuCount"), entry.get("replicas"),
                                    pairs(entry.get("customArgs")), entry.get("recipe"), path)
        if request.engine in seen:
            collector.error(origin.file, origin.line_of(*path), f"spec.servingEngines[{index}]",
                            f"engine '{request.engine}' is listed twice; each engine may appear once")
            return None
        seen.add(request.engine)
        requests.append(request)
    return tuple(requests)


def _autoscaling(raw, origin: Origin, collector: Collector) -> AutoScaling | None:
    if not raw:
        return AutoScaling()
    minimum, maximum = raw.get("minReplicas", 1), raw.get("maxReplicas", raw.get("minReplicas", 1))
    if minimum > maximum:
        collector.error(origin.file, origin.line_of("spec", "autoScaling", "minReplicas"), "spec.autoScaling",
                        f"minReplicas ({minimum}) is greater than maxReplicas ({maximum}); minReplicas must be "
                        "≤ maxReplicas")
        return None
    metric = raw.get("metric") or {}
    target = metric.get("target")
    return AutoScaling(
        enabled=bool(raw.get("enabled", False)),
        min_replicas=minimum,
        max_replicas=maximum,
        provider=raw.get("provider", "hpa"),
        metric_name=metric.get("name"),
        metric_target=float(target) if target is not None else None,
        scale_down_stabilization_seconds=raw.get("scaleDownStabilizationSeconds"),
    )


# -- inventory ----------------------------------------------------------------------------------------------

def parse_inventory(doc: Document, collector: Collector) -> Inventory:
    data, origin = doc.data, origin_of(doc)
    spec = data["spec"]
    pools, names = [], {}
    for index, raw in enumerate(spec["nodePools"]):
        if raw["name"] in names:
            collector.error(doc.file, origin.line_of("spec", "nodePools", index, "name"),
                            f"spec.nodePools[{index}].name",
                            f"duplicate node pool '{raw['name']}' (also spec.nodePools[{names[raw['name']]}])")
        names[raw["name"]] = index
        pools.append(NodePool(
            name=raw["name"],
            hardware=raw["hardware"].upper(),
            gpus_per_node=raw["gpusPerNode"],
            node_count=raw["nodeCount"],
            gpu_resource=raw.get("gpuResource", DEFAULT_GPU_RESOURCE),
            node_selector=pairs(raw.get("nodeSelector")),
            tolerations=tuple(raw.get("tolerations") or ()),
            memory_gib=raw.get("memoryGiB"),
            index=index,
            origin=origin,
        ))
    defaults = spec.get("defaults") or {}
    return Inventory(
        name=data["metadata"]["name"],
        pools=tuple(pools),
        default_namespace=defaults.get("namespace"),
        images=pairs(defaults.get("images")),
        origin=origin,
        extra=tuple((k, v) for k, v in spec.items() if k not in ("nodePools",)),
    )


# -- recipes ------------------------------------------------------------------------------------------------

def parse_recipe(doc: Document, collector: Collector, builtin: bool) -> Recipe | None:
    if doc.kind == "profile":
        return parse_profile(doc, builtin)
    data, origin = doc.data, origin_of(doc)
    stem = PurePosixPath(doc.source).stem
    if doc.source not in ("<stdin>",) and stem != data["recipe_id"] and doc.index == 0:
        collector.error(doc.file, origin.line_of("recipe_id"), "recipe_id",
                        f"'{data['recipe_id']}' differs from the file name '{stem}': name the file "
                        f"{data['recipe_id']}.yaml or set recipe_id: {stem}")
    configs = []
    for engine in ("vllm", "sglang"):
        section = data.get(f"{engine}_serve") or {}
        for key, raw in section.items():
            path = (f"{engine}_serve", key)
            configs.append(RecipeConfig(
                engine=engine,
                gpu_count=int(key.split("_", 1)[0]),
                enabled=raw["enabled"],
                args=tuple((flag, _recipe_value(value)) for flag, value in (raw.get("args") or {}).items()),
                env=tuple((k, str(v)) for k, v in (raw.get("env") or {}).items()),
                path=path,
            ))
    if not any(c.enabled for c in configs):
        collector.error(doc.file, origin.line, "", f"recipe '{data['recipe_id']}' has no enabled configuration; "
                                                   "set enabled: true on at least one <N>_gpu entry")
    return Recipe(
        id=data["recipe_id"],
        model_id=data["model_id"],
        huggingface_id=data["huggingface_id"],
        hardware=str(data["hardware"]).upper(),
        precision=data["precision"],
        configs=tuple(sorted(configs, key=lambda c: (c.engine != "vllm", c.gpu_count))),
        env=tuple((k, str(v)) for k, v in (data.get("env") or {}).items()),
        origin=origin,
        builtin=builtin,
    )


def _recipe_value(value):
    """AIM framework recipes write every value as a string; 'true' (or true) means a bare flag."""
    if value is True or (isinstance(value, str) and value.lower() == "true"):
        return None
    if value is False or (isinstance(value, str) and value.lower() == "false"):
        return False
    return _scalar_text(value)


def _scalar_text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_profile(doc: Document, builtin: bool) -> Recipe:
    """An official AIM profile is a recipe with exactly one configuration."""
    data, origin = doc.data, origin_of(doc)
    meta = data["metadata"]
    stem = PurePosixPath(doc.source).stem
    args = []
    for name, value in (data.get("engine_args") or {}).items():
        flag = name if name.startswith("-") else f"--{name}"
        if value is False:
            continue  # false: the flag is omitted
        if value is None or value is True:
            args.append((flag, None))
        elif isinstance(value, list):
            args.append((flag, tuple(_scalar_text(v) for v in value)))
        elif isinstance(value, dict):
            args.append((flag, json.dumps(value, sort_keys=True, separators=(",", ":"))))
        else:
            args.append((flag, _scalar_text(value)))
    config = RecipeConfig(
        engine=meta["engine"], gpu_count=meta["gpu_count"], enabled=True, args=tuple(args),
        env=tuple((k, str(v)) for k, v in (data.get("env_vars") or {}).items()), path=("engine_args",),
    )
    model = data.get("aim_id") or data.get("model_id") or ""
    custom = "custom" in PurePosixPath(doc.source).parts[:-1]
    return Recipe(
        id=profile_id(stem, model, custom), model_id=model, huggingface_id=data.get("model_id") or "", hardware=str(meta["gpu"]).upper(),
        precision=meta["precision"], configs=(config,), env=(), origin=origin, builtin=builtin, format="profile",
        metric=meta.get("metric"), profile_type=meta.get("type"),
        manual_selection_only=bool(meta.get("manual_selection_only", False)),
        search_order=0 if custom else (2 if not model else 1), profile_name=stem,
    )


def profile_id(stem: str, model: str, custom: bool) -> str:
    """Profiles of different models share file names (vllm-mi300x-fp16-tp1-latency.yaml), so the id carries the
    model as AMD's folder layout does: `<model>/<stem>`, `general/<stem>`, `custom/<model>/<stem>`."""
    prefix = model or "general"
    return f"custom/{prefix}/{stem}" if custom else f"{prefix}/{stem}"


def merge_catalog(builtin: Catalog, local: list[Recipe], collector: Collector) -> Catalog:
    """Repository-local recipes win over built-in ones with the same id; two local ones with one id is an error."""
    by_id = {r.id: r for r in builtin.recipes}
    local_ids: dict = {}
    for recipe in local:
        if recipe.id in local_ids:
            first = local_ids[recipe.id]
            collector.error(recipe.origin.file, recipe.origin.line, "recipe_id",
                            f"recipe id '{recipe.id}' is also defined at {first.origin.file}:{first.origin.line}")
            continue
        local_ids[recipe.id] = recipe
        by_id[recipe.id] = recipe
    return Catalog(tuple(by_id[k] for k in sorted(by_id)))


_BUILTIN: Catalog | None = None


def builtin_catalog() -> Catalog:
    """The recipes shipped with aimc. A defect here is a bug in aimc, not a user error."""
    global _BUILTIN
    if _BUILTIN is None:
        collector = Collector()
        root = data_dir("recipes")
        files = discover([str(root)], collector)
        recipes = []
        for doc in load(files, collector):
            if doc.kind not in ("recipe", "profile"):
                continue
            problems = schema.validate(doc.kind, doc.data, doc.file, doc.line)
            collector.extend(problems)
            if not problems:
                recipe = parse_recipe(doc, collector, builtin=True)
                if recipe is not None:
                    recipes.append(recipe)
        if collector.errors:
            raise RuntimeError("built-in recipe catalog is invalid:\n" + "\n".join(d.format() for d in collector.errors))
        _BUILTIN = Catalog(tuple(sorted(recipes, key=lambda r: r.id)))
    return _BUILTIN
