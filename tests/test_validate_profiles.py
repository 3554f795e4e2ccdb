"""Official AIM profiles read as one-configuration recipes (aimc/validate/profiles.py, `parse_profile`)."""

from __future__ import annotations

from aimc.load.documents import Document


def test_profile_engine_args_value_rules_and_ids():
    from aimc.load.yaml_positions import load_all
    from aimc.validate import profiles as parse

    text = ("aim_id: Acme/Big-40B\nmodel_id: acme/big-fp8\nmetadata: {engine: vllm, gpu: MI300X, gpu_count: 2, "
            "manual_selection_only: false, metric: latency, precision: fp8, type: preview}\n"
            "engine_args: {tensor-parallel-size: 2, a: null, b: true, c: false, d: [x, 2], e: {k: 1, a: [1]}, "
            "f: 0.5}\nenv_vars: {X: 1}\n")
    _, data = next(iter(load_all(text)))
    for source, expected_id, order in (("profiles/custom/x/vllm-p.yaml", "custom/Acme/Big-40B/vllm-p", 0),
                                       ("profiles/Acme/Big-40B/vllm-p.yaml", "Acme/Big-40B/vllm-p", 1)):
        doc = Document(file=source, source=source, index=0, line=1, kind="profile", data=data)
        recipe = parse.parse_profile(doc, builtin=False)
        assert (recipe.id, recipe.search_order, recipe.profile_name) == (expected_id, order, "vllm-p")
    args = dict(recipe.configs[0].args)
    assert args == {"--tensor-parallel-size": "2", "--a": None, "--b": None, "--d": ("x", "2"),
                    "--e": '{"a":[1],"k":1}', "--f": "0.5"}
    assert recipe.configs[0].env == (("X", "1"),)
    assert (recipe.model_id, recipe.huggingface_id, recipe.profile_type, recipe.metric) == (
        "Acme/Big-40B", "acme/big-fp8", "preview", "latency")
