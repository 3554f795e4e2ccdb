"""What a merged command line says about memory (`fit_settings.settings`)."""

from __future__ import annotations

from aimc.memo import one_compile
from aimc.resolve.arg_merge import merge_args
from aimc.resolve.fit_settings import arg_effect, settings


def _each_line_keeps_its_own_settings():
    first = settings(merge_args("vllm", {"--gpu-memory-utilization": "0.9", "--max-model-len": "8192"}, 1))
    second = settings(merge_args("vllm", {"--gpu-memory-utilization": "0.8", "--max-model-len": "4096"}, 1))
    assert (first.utilisation, first.max_len) == (0.9, 8192)
    assert (second.utilisation, second.max_len) == (0.8, 4096)
    assert settings(merge_args("sglang", {"--mem-fraction-static": "0.7"}, 1)).utilisation == 0.7
    assert settings(merge_args("vllm", {"--enforce-eager": "false"}, 1)).no_graphs is False
    assert settings(merge_args("vllm", {"--enforce-eager": None}, 1)).no_graphs is True


def test_settings_keep_each_flag_and_value_apart():
    """Outside a compile, and twice inside one (the second time the merges come from the compile's memo)."""
    _each_line_keeps_its_own_settings()
    with one_compile():
        _each_line_keeps_its_own_settings()
        _each_line_keeps_its_own_settings()
    assert arg_effect("--kv-cache-dtype", "fp8") == ("kv_dtype", "fp8")
    assert arg_effect("--dtype", "bfloat16") is None


def test_a_removed_value_falls_back_to_the_engine_default():
    merged = merge_args("vllm", {"--max-model-len": "8192"}, 1, custom_args=(("--max-model-len", None),))
    assert settings(merged).max_len is None
