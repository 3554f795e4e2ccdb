"""Ranking and filtering, on in-memory inputs."""

from __future__ import annotations

from aimc.model.inputs import (
    AutoScaling,
    Catalog,
    Endpoint,
    EngineRequest,
    Inventory,
    NodePool,
    Origin,
    Recipe,
    RecipeConfig,
)
from aimc.model.plan import Reason
from aimc.resolve import candidates as select

ORIGIN = Origin("t.yaml", "t.yaml", 1)


def pool(name, hardware, per_node=8, index=0, nodes=1):
    return NodePool(name, hardware, per_node, nodes, "amd.com/gpu", (), (), None, index, ORIGIN)


def recipe(rid, hardware, precision, gpus, builtin=True, engine="vllm", model="m/M"):
    configs = tuple(RecipeConfig(engine, n, True, (), (), (f"{engine}_serve", f"{n}_gpu")) for n in gpus)
    return Recipe(rid, model, model, hardware, precision, configs, (), ORIGIN, builtin)


def endpoint(**spec):
    base = dict(name="e", namespace=None, labels=(), annotations=(), model="m/M", hardware=None, precision=None,
                gpu_count=None, engines=(EngineRequest("vllm"),), multi_engine=False, recipe=None, metric=None,
                replicas=1, autoscaling=AutoScaling(), custom_args=(), overrides=(), image=None, env=(), origin=ORIGIN)
    base.update(spec)
    return Endpoint(**base)


def choose(ep, recipes, pools, **inventory_fields):
    inventory = Inventory("i", tuple(pools), None, (), ORIGIN, **inventory_fields)
    return select.select(ep, ep.engines[0], Catalog(tuple(recipes)), inventory)


def test_fewest_gpus_then_precision_then_id():
    recipes = [recipe("b-fp8", "MI300X", "fp8", [1]), recipe("a-bf16", "MI300X", "bf16", [2, 1])]
    chosen = choose(endpoint(), recipes, [pool("p", "MI300X")]).chosen
    assert (chosen.recipe.id, chosen.config.gpu_count) == ("a-bf16", 1)


def test_local_recipe_beats_builtin():
    recipes = [recipe("builtin", "MI300X", "bf16", [1]), recipe("local", "MI300X", "fp8", [8], builtin=False)]
    assert choose(endpoint(), recipes, [pool("p", "MI300X")]).chosen.recipe.id == "local"


def test_pool_order_decides_when_hardware_is_absent():
    recipes = [recipe("r300", "MI300X", "bf16", [1]), recipe("r250", "MI250", "bf16", [2])]
    pools = [pool("mi250", "MI250", index=0), pool("mi300x", "MI300X", index=1)]
    assert choose(endpoint(), recipes, pools).chosen.pool.name == "mi250"
    assert choose(endpoint(hardware="MI300X"), recipes, pools).chosen.pool.name == "mi300x"


def test_mi250x_pool_serves_mi250_recipe():
    assert choose(endpoint(), [recipe("r", "MI250", "bf16", [2])], [pool("x", "MI250X")]).chosen is not None


def test_node_fit_rejects_configurations_larger_than_a_node_and_no_whole_nodes():
    selection = choose(endpoint(gpu_count=6), [recipe("r", "MI300X", "bf16", [6])], [pool("p", "MI300X", 4, nodes=4)])
    assert selection.chosen is None
    assert selection.trace[0].reason is Reason.NODE_FIT
    assert "needs 6 GPUs on one node or a group of whole nodes; p has 4 per node" in selection.trace[0].why


def test_configuration_larger_than_a_node_is_a_group_of_whole_nodes():
    selection = choose(endpoint(gpu_count=8), [recipe("r", "MI300X", "bf16", [8])], [pool("p", "MI300X", 4, nodes=2)])
    assert selection.chosen is not None and selection.chosen.pool.name == "p"


def test_pool_with_too_few_nodes_for_the_group_is_rejected():
    selection = choose(endpoint(gpu_count=16), [recipe("r", "MI300X", "bf16", [16])], [pool("p", "MI300X", 8)])
    assert selection.chosen is None and selection.trace[0].reason is Reason.GROUP
    assert "a group of 2 nodes of 8 GPUs, pool p has 1 node" in selection.trace[0].why


def test_inventory_without_leaderworkerset_rejects_groups():
    from aimc.model.inputs import Capabilities

    selection = choose(endpoint(gpu_count=16), [recipe("r", "MI300X", "bf16", [16])],
                       [pool("p", "MI300X", 8, nodes=4)], capabilities=Capabilities(leader_worker_set=False))
    assert selection.chosen is None
    assert "no LeaderWorkerSet controller (spec.capabilities.leaderWorkerSet: false)" in selection.trace[0].why


def test_pinned_recipe_restricts_candidates():
    recipes = [recipe("a", "MI300X", "bf16", [1]), recipe("b", "MI300X", "bf16", [1])]
    assert choose(endpoint(recipe="b"), recipes, [pool("p", "MI300X")]).chosen.recipe.id == "b"


def test_model_match_is_case_insensitive():
    assert choose(endpoint(model="M/m"), [recipe("r", "MI300X", "bf16", [1])], [pool("p", "MI300X")]).chosen


def _catalog_with_overrides():
    """The built-in catalog with local recipes that take over built-in ids (another model, hardware, precision)."""
    from aimc.errors import Collector
    from aimc.records import replace
    from aimc.validate.recipes import builtin_catalog, merge_catalog

    builtin = builtin_catalog()
    first, second = builtin.recipes[0], builtin.recipes[1]
    local = [replace(first, builtin=False, model_id=second.model_id.upper()),
             replace(second, builtin=False, hardware="MI250", precision="fp8"),
             recipe("local-only", "MI300X", "bf16", [1, 2], builtin=False, model="m/M"),
             replace(recipe("local-throughput", "MI300X", "fp8", [1], builtin=False), metric="throughput")]
    return merge_catalog(builtin, local, Collector())


def test_model_index_returns_what_the_linear_filter_returns():
    from aimc.validate.recipes import builtin_catalog

    inventory = Inventory("i", (pool("p", "MI300X"),), None, (), ORIGIN)
    for catalog in (builtin_catalog(), _catalog_with_overrides()):
        screen = select.Screen(catalog, inventory)
        models = {r.model_id for r in catalog.recipes} | {"m/M", "M/m", "unknown/model"}
        for model in sorted(models | {m.upper() for m in models}):
            expected = tuple(r for r in catalog.recipes if select.model_matches(r, model))
            assert screen.recipes_for(model) == expected, model


def test_shared_screen_selects_exactly_what_a_fresh_one_selects():
    """The memo's key holds every endpoint field the built-in filters read: a screen shared by endpoints of every
    shape gives each the trace (rejections and their reasons included) it gets alone."""
    catalog = _catalog_with_overrides()
    pools = (pool("a", "MI300X", 8, index=0, nodes=2), pool("b", "MI250X", 8, index=1), pool("c", "MI355X", 4, 2, 4))
    inventory = Inventory("i", pools, None, (), ORIGIN)
    shared = select.Screen(catalog, inventory)
    models = sorted({r.model_id for r in catalog.recipes if r.model_id})[:6] + ["m/M"]
    pins = (None, catalog.recipes[0].id, catalog.recipes[1].id)
    count = 0
    for model in models:
        for hardware in (None, "MI300X", "mi250", "MI355X"):
            for precision in (None, "bf16", "fp8"):
                for gpu_count in (None, 1, 8, 16):
                    for metric in (None, "latency"):
                        for pinned in pins:
                            for engine in ("vllm", "sglang"):
                                ep = endpoint(model=model, hardware=hardware, precision=precision,
                                              gpu_count=gpu_count, metric=metric, recipe=pinned,
                                              engines=(EngineRequest(engine),))
                                alone = select.select(ep, ep.engines[0], catalog, inventory)
                                together = select.select(ep, ep.engines[0], catalog, inventory, screen=shared)
                                assert together == alone
                                count += bool(alone.trace)
    assert count > 100  # the grid reaches real candidates, not only empty traces
