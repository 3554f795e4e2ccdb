"""Precedence: recipe args < aimFrameworkOverrides < customArgs; owned flags; engine-specific names."""

from __future__ import annotations

from aimc.resolve.engine_args import build_command


def where(kind, flag):
    return ("t.yaml", 1, flag)


def command(engine="vllm", recipe=None, overrides=(), custom=()):
    return build_command(engine, recipe or {}, 2, "org/weights", "org/Model", overrides, custom, where)


def test_precedence_recipe_then_overrides_then_custom_args():
    result = command(recipe={"--max-model-len": "32768", "--gpu-memory-utilization": "0.9"},
                     overrides=(("maxModelLen", 16384), ("gpuMemoryUtilization", "0.85")),
                     custom=(("--max-model-len", "8192"),))
    args = list(result.args)
    assert args[args.index("--max-model-len") + 1] == "8192"
    assert args[args.index("--gpu-memory-utilization") + 1] == "0.85"
    assert args.count("--max-model-len") == 1


def test_owned_flags_come_first_and_recipe_port_is_replaced():
    result = command(recipe={"--port": "8001", "--model": "x", "--tensor-parallel-size": "2", "--dtype": "bfloat16"})
    assert result.args[:8] == ("--model", "org/weights", "--served-model-name", "org/Model", "--port", "8000",
                               "--tensor-parallel-size", "2")
    assert result.args.count("--port") == 1 and "8001" not in result.args


def test_sglang_gets_its_own_names_and_host():
    result = command("sglang", overrides=(("gpuMemoryUtilization", 0.8), ("maxModelLen", 4096),
                                          ("kvCacheDtype", "fp8")))
    args = list(result.args)
    assert args[:6] == ["--model-path", "org/weights", "--served-model-name", "org/Model", "--host", "0.0.0.0"]
    assert "--mem-fraction-static" in args and "--context-length" in args
    assert args[args.index("--kv-cache-dtype") + 1] == "fp8_e4m3"
    assert args[args.index("--tp-size") + 1] == "2"


def test_null_removes_true_is_bare_and_numbers_are_text():
    result = command(recipe={"--enforce-eager": None, "--max-num-seqs": "64"},
                     custom=(("--enforce-eager", None), ("--enable-prefix-caching", True), ("--max-num-seqs", 128)))
    args = list(result.args)
    assert "--enforce-eager" not in args
    assert args[args.index("--enable-prefix-caching") + 1 :][:1] != ["True"]
    assert args[args.index("--max-num-seqs") + 1] == "128"


def test_boolean_override_false_uses_negation_on_vllm():
    args = command(recipe={"--trust-remote-code": None}, overrides=(("trustRemoteCode", False),)).args
    assert "--trust-remote-code" not in args and "--no-trust-remote-code" in args


def test_seed_design_aliases_warn_and_map():
    result = command(custom=(("--max-batch-size", "256"), ("--max-context-len", "16384")))
    args = list(result.args)
    assert args[args.index("--max-num-seqs") + 1] == "256"
    assert args[args.index("--max-model-len") + 1] == "16384"
    assert [d.severity for d in result.diagnostics] == ["warning", "warning"]


def test_underscores_are_dashes_for_vllm_only():
    assert "--max-model-len" in command(custom=(("--max_model_len", "1"),)).args
    sglang = command("sglang", custom=(("--context_length", "1"),))
    assert sglang.diagnostics[0].message == ("--context_length is not a sglang 0.5.16 flag "
                                             "(did you mean '--context-length'?)")


def test_owned_flag_in_custom_args_is_an_error():
    result = command(custom=(("--served-model-name", "x"),))
    assert result.diagnostics[0].severity == "error"
    assert "set spec.model instead" in result.diagnostics[0].message


# -- flag checks after the merge (aimc/flags.py) ------------------------------------------------------------------

def placed(kind, key):
    return (f"{kind.value}.yaml", {"recipe": 10, "override": 20, "customArgs": 30}[kind.value], key)


def placed_command(engine="vllm", recipe=None, overrides=(), custom=()):
    return build_command(engine, recipe or {}, 2, "org/weights", "org/Model", overrides, custom, placed)


def messages(result):
    return [d.format() for d in result.diagnostics]


def test_errors_point_at_where_the_flag_came_from():
    result = placed_command(recipe={"--dtype": "float8_e4m3", "--max-num-seq": "8"},
                            custom=(("--kv-cache-dtype", "fp9"),))
    places = [(d.file, d.line, d.field) for d in result.diagnostics]
    assert places == [("recipe.yaml", 10, "--dtype"), ("recipe.yaml", 10, "--max-num-seq"),
                      ("customArgs.yaml", 30, "--kv-cache-dtype")]


def test_custom_args_fix_a_bad_recipe_value_before_it_is_checked():
    result = placed_command(recipe={"--dtype": "float8_e4m3"}, custom=(("--dtype", "auto"),))
    assert result.diagnostics == ()
    assert result.args[-2:] == ("--dtype", "auto")


def test_an_unknown_flag_is_never_passed_through():
    result = command(custom=(("--max-num-seq", "8"),))
    assert "--max-num-seq" not in result.args
    assert result.diagnostics[0].message.endswith("write the full name --max-num-seqs")


def test_engine_aliases_merge_with_the_flags_own_name():
    args = command(recipe={"-q": "fp8"}, custom=(("--quantization", "ptpc_fp8"),)).args
    assert args[-2:] == ("--quantization", "ptpc_fp8") and "-q" not in args


def test_vllm_booleans_false_is_the_negation_null_is_the_engine_default():
    assert command(custom=(("--enable-prefix-caching", False),)).args[-1] == "--no-enable-prefix-caching"
    assert command(custom=(("--enable-prefix-caching", "false"),)).args[-1] == "--no-enable-prefix-caching"
    assert command(recipe={"--enable-prefix-caching": False}).args[-1] == "--no-enable-prefix-caching"
    cleared = command(recipe={"--no-enable-prefix-caching": None}, custom=(("--enable-prefix-caching", None),))
    assert "--no-enable-prefix-caching" not in cleared.args and "--enable-prefix-caching" not in cleared.args
    assert command(recipe={"--enforce-eager": None}, custom=(("--enforce-eager", "true"),)).args[-1] == \
        "--enforce-eager"


def test_sglang_store_true_false_removes_it():
    result = command("sglang", recipe={"--trust-remote-code": None}, custom=(("--trust-remote-code", False),))
    assert "--trust-remote-code" not in result.args and result.diagnostics == ()
    override = command("sglang", overrides=(("trustRemoteCode", False),))
    assert "--trust-remote-code" not in override.args and "--no-trust-remote-code" not in override.args


def test_boolean_with_a_value_other_than_true_or_false_is_an_error():
    result = command("sglang", custom=(("--trust-remote-code", "yes"),))
    assert result.diagnostics[0].message == ("--trust-remote-code is a boolean flag and takes no value ('yes' "
                                             "given): write true for the bare flag or false to leave it out")


def test_vllm_names_under_sglang_are_translated_with_a_warning_each():
    recipe = {"--model": "x", "--max-model-len": "8192", "--gpu-memory-utilization": "0.9",
              "--max-num-batched-tokens": "8192", "--max-num-seqs": "64", "--kv-cache-dtype": "fp8",
              "--enforce-eager": None, "--port": "8001"}
    result = placed_command("sglang", recipe=recipe)
    assert result.args[8:] == ("--tp-size", "2", "--enable-metrics", "--context-length", "8192", "--mem-fraction-static", "0.9",
                               "--chunked-prefill-size", "8192", "--max-running-requests", "64",
                               "--kv-cache-dtype", "fp8_e4m3", "--disable-cuda-graph")
    assert [(d.severity, d.field) for d in result.diagnostics] == [
        ("warning", "--max-model-len"), ("warning", "--gpu-memory-utilization"),
        ("warning", "--max-num-batched-tokens"), ("warning", "--max-num-seqs"), ("warning", "--kv-cache-dtype"),
        ("warning", "--enforce-eager"), ("warning", "--enforce-eager")]  # and 0.5.16 deprecates --disable-cuda-graph
    assert messages(result)[-1].endswith("--disable-cuda-graph is deprecated in sglang 0.5.16")
    assert messages(result)[0] == ("recipe.yaml:10: warning: --max-model-len: --max-model-len is vLLM's name; "
                                   "sglang 0.5.16 calls it --context-length: translated (write --context-length "
                                   "to silence this warning)")


def test_sglang_names_are_not_translated_under_vllm():
    result = command("vllm", recipe={"--context-length": "8192"})
    assert result.diagnostics[0].message == ("--context-length is not a vllm 0.27.1 flag: it is SGLang's name; "
                                             "vLLM calls it --max-model-len")


def test_prefix_caching_under_sglang_follows_its_radix_cache():
    off = command("sglang", custom=(("--enable-prefix-caching", False),))
    assert off.args[-1] == "--disable-radix-cache" and off.diagnostics[0].severity == "warning"
    on = command("sglang", custom=(("--enable-prefix-caching", True),))
    assert "--enable-prefix-caching" not in on.args
    assert "does this by default, so it is left out" in on.diagnostics[0].message


def test_tensor_parallel_mismatch_in_a_recipe_is_an_error_under_every_spelling():
    for engine, flag in (("vllm", "--tensor-parallel-size"), ("vllm", "-tp"), ("vllm", "--tensor_parallel_size"),
                         ("sglang", "--tp-size"), ("sglang", "--tensor-parallel-size")):
        result = placed_command(engine, recipe={flag: "4"})
        assert [d.message for d in result.diagnostics if d.severity == "error"] == [
            "tensor-parallel size 4 differs from the configuration's GPU count 2; they must be equal"], (engine, flag)
        assert result.args.count("2") >= 1 and "4" not in result.args


def test_seed_design_aliases_also_map_in_recipes():
    result = placed_command("sglang", recipe={"--max-batch-size": "32"})
    assert result.args[-2:] == ("--max-running-requests", "32")
    assert result.diagnostics[0].format() == (
        "recipe.yaml:10: warning: --max-batch-size: --max-batch-size is not a sglang flag; using "
        "--max-running-requests, its documented alias (write --max-running-requests to silence this warning)")


def test_a_mapping_in_custom_args_is_json_text_for_a_json_flag():
    result = command(custom=(("--compilation-config", {"mode": 3, "cudagraph_mode": "FULL"}),))
    assert result.args[-2:] == ("--compilation-config", '{"cudagraph_mode":"FULL","mode":3}')
    assert result.diagnostics == ()


def test_arg_checks_memo_tells_values_sources_and_flag_sets_apart():
    from aimc.catalog.flag_sets import flag_set, read_flag_set
    from aimc.memo import one_compile
    from aimc.resolve.arg_merge import ArgSource, MergedArg
    from aimc.resolve.engine_args import check_arg

    vllm = flag_set("vllm")
    good = MergedArg("--dtype", "bfloat16", ArgSource.RECIPE, "--dtype")
    bad = MergedArg("--dtype", "float9", ArgSource.RECIPE, "--dtype")
    typed = MergedArg("--dtype", "float9", ArgSource.CUSTOM_ARGS, "dtype")
    alone = {arg: check_arg(vllm, arg) for arg in (good, bad, typed)}  # outside a compile: computed
    with one_compile():
        for arg in (good, bad, typed, good, bad, typed):  # the second round comes from the memo
            assert check_arg(vllm, arg) == alone[arg]
        assert check_arg(vllm, good)[0] is None and check_arg(vllm, good)[2:] == ("--dtype", "bfloat16")
        assert check_arg(vllm, bad)[0].source is ArgSource.RECIPE and "float9" in check_arg(vllm, bad)[0].message
        assert check_arg(vllm, typed)[0].source is ArgSource.CUSTOM_ARGS and check_arg(vllm, typed)[0].key == "dtype"
        # another flag set (another version or engine) is another key
        sglang = read_flag_set("sglang", flag_set("sglang").version)
        unknown_there = MergedArg("--max-model-len", "4096", ArgSource.RECIPE, "--max-model-len")
        assert check_arg(vllm, unknown_there)[0] is None
        assert check_arg(sglang, unknown_there)[0] is not None  # SGLang calls it --context-length


def test_one_compile_checks_a_merge_once_and_each_endpoint_gets_its_own_places(monkeypatch):
    """The checked part of a command line is remembered per merge for the compile (`engine_args._checked`): the
    engine's start-up checks run once for endpoints that share a merge, while every endpoint's problems still point at
    its own file, and a value of another YAML type (`true`, `1`) is another merge with its own checks."""
    from aimc.memo import one_compile
    from aimc.resolve import engine_args

    calls = []
    real = engine_args.startup_check
    monkeypatch.setattr(engine_args, "startup_check", lambda *args: calls.append(args) or real(*args))

    def placed(file):
        return lambda kind, flag: (file, 7, flag)

    custom = (("--max-num-seq", "8"),)  # misspelt: an error at each endpoint's own customArgs
    with one_compile():
        first = build_command("vllm", {}, 2, "org/weights", "org/Model", (), custom, placed("a.yaml"))
        second = build_command("vllm", {}, 2, "org/weights", "org/Model", (), custom, placed("b.yaml"))
        bare = build_command("sglang", {}, 2, "org/w", "org/M", (), (("--hybrid-kvcache-ratio", True),), where,
                             version="0.5.12")
        one = build_command("sglang", {}, 2, "org/w", "org/M", (), (("--hybrid-kvcache-ratio", 1),), where,
                            version="0.5.12")
    assert len(calls) == 3  # one merge for the first two endpoints, one each for `true` and `1`
    assert [d.file for d in first.diagnostics] == ["a.yaml"] and [d.file for d in second.diagnostics] == ["b.yaml"]
    assert first.args == second.args and first.diagnostics[0].message == second.diagnostics[0].message
    assert bare.args[-1] == "--hybrid-kvcache-ratio" and one.args[-2:] == ("--hybrid-kvcache-ratio", "1")
    outside = build_command("vllm", {}, 2, "org/weights", "org/Model", (), custom, placed("c.yaml"))
    assert [d.file for d in outside.diagnostics] == ["c.yaml"] and len(calls) == 4  # no memo outside a compile
