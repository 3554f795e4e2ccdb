"""`aimc estimate`: from the command line's values to predictions, with every problem a user error naming the
option (a model without facts, a GPU without peaks, a configuration that does not fit)."""

from __future__ import annotations

from typing import Any

from aimc.catalog import model_facts as facts_mod
from aimc.errors import Collector, Diagnostic, UserError, quote
from aimc.model.facts import ModelCatalog
from aimc.model.performance import Prediction
from aimc.perf.calibration import shipped
from aimc.perf.serving import Workload
from aimc.records import Record
from aimc.resolve import evidence
from aimc.resolve import fit as fit_mod
from aimc.resolve.candidates import model_matches, same_hardware
from aimc.resolve.fit_settings import Settings
from aimc.resolve.performance import Unpredictable, configuration

PRECISIONS = tuple(facts_mod.BYTES_PER_PARAMETER)


class Request(Record):
    model: str
    hardware: str
    precision: str | None
    engine: str
    gpus: int
    input_tokens: int
    output_tokens: int
    concurrency: tuple[int, ...]
    max_num_seqs: int | None = None
    kv_cache_dtype: str | None = None
    facts_file: str | None = None
    recipe_dir: str | None = None  # repository-local recipes, whose `benchmarks` are measured evidence
    roles: Any = None  # estimate_disaggregated.Roles: also predict the disaggregated layout


def _fail(option: str, message: str) -> UserError:
    return UserError([Diagnostic(option, 0, "", message)])


def _models(facts_file: str | None) -> ModelCatalog:
    if facts_file is None:
        return facts_mod.builtin_catalog()
    from aimc.load import documents
    from aimc.validate.build import parse_inputs

    collector = Collector()
    docs = documents.load(documents.discover([facts_file], collector), collector)
    models = parse_inputs([d for d in docs if d.kind == "model"], collector).models
    collector.raise_if_errors()
    if not any(d.kind == "model" for d in docs):
        raise _fail("--model-facts", f"{quote(facts_file)} holds no AIMModel document")
    return models


def _measured(request: Request, model_ids: tuple[str, ...], precision: str) -> tuple:
    """Measurements recorded for this configuration by a recipe (built-in, or under --recipes) that serves the
    model on this hardware in this precision."""
    from aimc.load import documents
    from aimc.validate.build import parse_inputs
    from aimc.validate.recipes import builtin_catalog

    collector = Collector()
    docs = documents.load(documents.discover([request.recipe_dir], collector), collector) if request.recipe_dir else []
    inputs = parse_inputs([d for d in docs if d.kind == "scenario"], collector, recipe_documents=docs,
                          builtin=builtin_catalog(frozenset(m.lower() for m in model_ids)))
    collector.raise_if_errors()
    local = inputs.benchmarks.scenarios if inputs.benchmarks else ()
    for recipe in inputs.catalog.recipes:
        if (recipe.general or not any(model_matches(recipe, m) for m in model_ids)
                or not same_hardware(recipe.hardware, request.hardware) or recipe.precision != precision):
            continue
        found = evidence.measurements(recipe, request.engine, f"{request.gpus}_gpu", local)
        if found:
            return found
    return ()


class Setup(Record):
    facts: Any  # ModelFacts
    gpu: Any  # the hardware catalog's GPU
    precision: str
    settings: Settings
    config: Any  # the aggregated replica's Configuration


def setup(request: Request) -> Setup:
    facts = _models(request.facts_file).lookup(request.model)
    if facts is None:
        raise _fail("MODEL", f"no facts for model {quote(request.model)}: pass --model-facts FILE (an AIMModel "
                             "document, e.g. from `aimc models import`)")
    gpu = facts_mod.gpu(request.hardware)
    if gpu is None:
        raise _fail("--hardware", f"unknown GPU {quote(request.hardware)}: one of "
                                  f"{', '.join(sorted(facts_mod.hardware()))}")
    precision = request.precision or facts.native_precision or "bf16"
    if precision not in PRECISIONS:
        raise _fail("--precision", f"unknown precision {quote(precision)}: one of {', '.join(PRECISIONS)}")
    settings = Settings(None, request.input_tokens + request.output_tokens, request.kv_cache_dtype,
                        max_num_seqs=request.max_num_seqs)
    fit = fit_mod.compute(facts, precision, request.gpus, gpu.memory_gib, settings, request.engine)
    config = configuration(facts, gpu.name, precision, request.engine, request.gpus, 1, gpu.memory_gib, settings,
                           fit)
    if isinstance(config, Unpredictable):
        raise _fail("--gpus" if "tensor parallelism" in config.reason or "fit" in config.reason else "--hardware",
                    f"{facts.id} in {precision} on {request.gpus} x {gpu.name} ({request.engine}): {config.reason}")
    return Setup(facts, gpu, precision, settings, config)


def measured(request: Request, found: Setup) -> tuple:
    """What a recipe recorded for this configuration (`request.gpus` GPUs), as measured evidence."""
    return _measured(request, (request.model, found.facts.id, *found.facts.aliases), found.precision)


def predictions(request: Request) -> tuple[list[Prediction], str]:
    """One prediction per concurrency, and the header line that says what was predicted."""
    found = setup(request)
    facts, gpu, precision, config = found.facts, found.gpu, found.precision, found.config
    calibration = shipped()
    recorded = measured(request, found)
    out = [evidence.predict_with(config, Workload(request.input_tokens, request.output_tokens, c), calibration,
                                 recorded) for c in request.concurrency]
    header = (f"{facts.id} in {precision} on {request.gpus} x {gpu.name}, {request.engine}; "
              f"{request.input_tokens} input / {request.output_tokens} output tokens; "
              f"KV cache holds {config.kv_capacity_tokens or 0} tokens")
    return out, header


def comparison(request: Request):
    """The disaggregated layout of `request.roles` and the aggregated one on as many GPUs, per concurrency."""
    from aimc.resolve import estimate_disaggregated

    found = setup(request)
    compared = estimate_disaggregated.compare(
        found.facts, found.gpu.name, found.gpu.memory_gib, found.precision, request.engine, request.gpus,
        found.config, found.settings, request.roles, request.input_tokens, request.output_tokens,
        request.concurrency)
    layout = compared.layout
    header = (f"{found.facts.id} in {found.precision} on {found.gpu.name}, {request.engine}; "
              f"{request.input_tokens} input / {request.output_tokens} output tokens; aggregated: "
              f"{compared.aggregated_replicas} x {request.gpus} GPUs; disaggregated: {layout.prefill_replicas} "
              f"prefill x {layout.prefill.gpus} + {layout.decode_replicas} decode x {layout.decode.gpus} GPUs, KV "
              f"transfer at {layout.transfer_gb_s:g} GB/s per GPU")
    return compared, header
