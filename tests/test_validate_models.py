"""AIMModel documents become typed facts in validate (aimc/validate/models.py): the build's ModelCatalog is built
once per compile, with every problem reported, and resolve and render read that same catalog."""

from __future__ import annotations

from pathlib import Path

from aimc.errors import Collector
from aimc.model.facts import ModelCatalog, ModelFacts
from aimc.pipeline import Options, compile, load_inputs
from aimc.validate import models as models_mod

CASE = Path(__file__).parent / "cases" / "aimmodel-smallest-fit" / "inputs"


def test_validate_hands_on_typed_facts_not_documents():
    inputs = load_inputs(Options(paths=(str(CASE),)), Collector())
    assert isinstance(inputs.models, ModelCatalog)
    local = [m for m in inputs.models.models if m.source != "built-in"]
    assert local and all(isinstance(m, ModelFacts) for m in local)
    assert local[0].source.endswith("inputs/models.yaml:2")  # file:line of the AIMModel document


def test_the_model_catalog_is_built_once_per_compile(monkeypatch):
    """Before, resolve built it with error reporting and render built it again without."""
    calls = []
    real = models_mod.model_catalog

    def counted(documents, collector):
        calls.append(len(list(documents)))
        return real(documents, collector)

    monkeypatch.setattr(models_mod, "model_catalog", counted)
    monkeypatch.setattr("aimc.validate.build.model_catalog", counted)
    facts_read = []
    real_from_spec = models_mod.from_spec
    monkeypatch.setattr(models_mod, "from_spec", lambda spec, source: facts_read.append(source) or
                        real_from_spec(spec, source))
    result = compile(Options(paths=(str(CASE),)))
    assert result.objects
    assert calls == [1]
    assert len(facts_read) == 1  # the one AIMModel document, read once


def test_render_sizes_with_the_catalog_validate_built(monkeypatch):
    seen = []
    from aimc import render

    real = render.render_all

    def spy(endpoints, inventory, models):
        seen.append(models)
        return real(endpoints, inventory, models)

    monkeypatch.setattr(render, "render_all", spy)  # the pipeline imports it when it renders
    result = compile(Options(paths=(str(CASE),)))
    assert seen == [result.inputs.models] and seen[0] is result.inputs.models
