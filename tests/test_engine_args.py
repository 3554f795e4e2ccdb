"""Precedence: recipe args < aimFrameworkOverrides < customArgs; owned flags; engine-specific names."""

from __future__ import annotations

from aimc.engine_args import build_command


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
    assert sglang.diagnostics[0].message == ("--context_length is not a sglang 0.5.5.post3 flag "
                                             "(did you mean '--context-length'?)")


def test_owned_flag_in_custom_args_is_an_error():
    result = command(custom=(("--served-model-name", "x"),))
    assert result.diagnostics[0].severity == "error"
    assert "set spec.model instead" in result.diagnostics[0].message
