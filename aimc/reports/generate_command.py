"""`aimc recipes generate MODEL`: find the model's facts (built-in catalog, AIMModel documents among PATHs, or
`--model-config`), the hardware (`--hardware`, else the inventory's), generate, and format."""

from __future__ import annotations

from aimc.catalog import model_facts as facts_mod
from aimc.errors import Collector, Diagnostic, UserError, comment_text, did_you_mean
from aimc.records import Record
from aimc.reports import generated_recipe
from aimc.resolve import generate

HERE = "aimc recipes generate"


class Request(Record):
    model: str
    paths: tuple[str, ...] = ()
    inventory: str | None = None
    model_config: str | None = None
    hardware: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    engines: tuple[str, ...] = ("vllm",)
    output_format: str = "recipe"


def run(request: Request) -> tuple[str, list[Diagnostic]]:
    """(YAML text, warnings); raises UserError when nothing can be generated."""
    from aimc import pipeline

    _check_model_id(request.model)
    collector = Collector()
    inputs = None
    if request.paths or request.inventory:
        inputs = pipeline.load_inputs(pipeline.Options(paths=request.paths or (".",), inventory=request.inventory,
                                                       allow_empty=True), collector)
    catalog = inputs.models if inputs else facts_mod.builtin_catalog()
    collector.raise_if_errors()
    model, source = _facts(request, catalog)
    targets = _targets(request, inputs)
    generation = generate.generate(model, targets, request.engines, request.precisions, request.model)
    problems = [Diagnostic(HERE, 0, "", generated_recipe.shortfall_message(generation, s))
                for s in generation.shortfalls]
    for target in targets:
        offered = generate.precisions(model, target.arch)
        for precision in (p for p in request.precisions if p not in offered):
            can = ", ".join(offered) or "nothing"
            problems.append(Diagnostic(HERE, 0, "--precision", f"{request.model} cannot be served in {precision} on "
                                       f"{target.hardware} ({target.arch}): it can in {can}"))
    if not generation.recipes:
        raise UserError(problems or [Diagnostic(HERE, 0, "", f"nothing to generate for {request.model}")])
    _check_documents(generation, request)
    text = (generated_recipe.profiles_text(generation, source) if request.output_format == "profile"
            else generated_recipe.recipes_text(generation, source))
    return text, [p.as_warning() for p in problems]


def _check_model_id(model_id: str) -> None:
    """MODEL names the recipes (`<name>-<hardware>-<precision>`) and lands in their model_id: it must give a name."""
    if not model_id.isprintable():
        raise UserError([Diagnostic(HERE, 0, "MODEL", f"'{comment_text(model_id)}' is not a model id: it holds a line "
                                                      "break or a control character")])
    if not generate.model_slug(model_id):
        raise UserError([Diagnostic(HERE, 0, "MODEL", f"cannot name recipes after '{model_id}': the part after the "
                                                      "last '/' has no letter or digit that maps to a-z, 0-9 (recipe "
                                                      "ids match ^[a-z0-9][a-z0-9._-]*$)")])


def _check_documents(generation, request: Request) -> None:
    """Every document printed is one its schema accepts: the inputs were checked, so a refusal here is a bug in
    aimc (exit 3), never a document that `aimc recipes validate` would then refuse."""
    from aimc.validate import schema

    kind = "profile" if request.output_format == "profile" else "recipe"
    documents = (generated_recipe.profile_documents(generation) if kind == "profile"
                 else generated_recipe.recipe_documents(generation))
    for document in documents:
        problems = schema.validate(kind, document, HERE, 0)
        if problems:
            raise AssertionError("a generated document fails its schema: " + "; ".join(p.format() for p in problems))


def _facts(request: Request, catalog):
    if request.model_config:
        from aimc.catalog import hf_config
        from aimc.reports import model_import

        # The facts `aimc models import` would print, checked as it checks them (a config with zero heads is an
        # error naming num_attention_heads, not a division by zero).
        imported = hf_config.import_model(request.model_config, request.model)
        return facts_mod.from_spec(model_import.checked_document(imported)["spec"], imported.config_file), \
            imported.config_file
    known = catalog.lookup(request.model)
    if known is None:
        ids = sorted(m.id for m in catalog.models)
        raise UserError([Diagnostic(HERE, 0, "MODEL", f"no facts for model '{request.model}'"
                                    f"{did_you_mean(request.model, ids)}: import them from the checkpoint's "
                                    f"config.json with `aimc models import PATH --name {request.model} > "
                                    "models/<name>.yaml` and pass that file (or folder), or pass --model-config PATH")])
    return known, known.source if known.source != "built-in" else "the built-in model catalog"


def _targets(request: Request, inputs) -> tuple[generate.Target, ...]:
    if request.hardware:
        out: list[generate.Target] = []
        for name in request.hardware:
            known = facts_mod.gpu(name)
            if known is None:
                names = sorted(facts_mod.hardware())
                raise UserError([Diagnostic(HERE, 0, "--hardware", f"unknown hardware '{name}'"
                                            f"{did_you_mean(name.upper(), names)}; known: {', '.join(names)}")])
            if known.name not in (t.hardware for t in out):
                out.append(generate.Target(known.name, known.memory_gib, known.arch))
        return tuple(out)
    if inputs is not None and inputs.inventory is not None:
        from aimc.resolve.generated import inventory_targets

        return inventory_targets(inputs.inventory)
    raise UserError([Diagnostic(HERE, 0, "--hardware", "no hardware to generate for: pass --hardware H (repeatable) "
                                                       "or inputs that hold a ClusterInventory")])
