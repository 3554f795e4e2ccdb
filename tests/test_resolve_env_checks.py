"""Architecture-specific environment against the hardware (aimc/env_checks.py)."""

from __future__ import annotations

import pytest

from aimc.resolve.env_checks import env_problem, gfx_version, gpu_arches


def test_arches_come_from_the_hardware_catalog():
    arches = gpu_arches()
    assert arches["MI300X"] == "gfx942" and arches["MI250"] == "gfx90a" and arches["MI355X"] == "gfx950"


@pytest.mark.parametrize("name, value, hardware", [
    ("PYTORCH_ROCM_ARCH", "gfx90a", "MI300X"),
    ("GPU_ARCHS", "gfx90a;gfx908", "MI300X"),
    ("PYTORCH_ROCM_ARCH", "gfx942", "MI250"),
    ("HSA_OVERRIDE_GFX_VERSION", "9.0.10", "MI300X"),
])
def test_contradicting_arch_is_an_error(name, value, hardware):
    message, severity = env_problem(name, value, hardware)
    assert severity == "error" and gpu_arches()[hardware] in message


@pytest.mark.parametrize("name, value, hardware", [
    ("PYTORCH_ROCM_ARCH", "gfx942", "MI300X"),
    ("PYTORCH_ROCM_ARCH", "gfx90a;gfx942", "MI300X"),
    ("GPU_ARCHS", "gfx942:sramecc+:xnack-", "MI300X"),
    ("PYTORCH_ROCM_ARCH", "gfx90a", "mi250x"),
    ("HSA_OVERRIDE_GFX_VERSION", "9.4.2", "MI300X"),
    ("VLLM_ROCM_USE_AITER", "1", "MI300X"),
    ("PYTORCH_ROCM_ARCH", "gfx942", "UNKNOWN-GPU"),
])
def test_matching_or_unrelated_env_is_fine(name, value, hardware):
    assert env_problem(name, value, hardware) is None


def test_the_exact_message():
    assert env_problem("PYTORCH_ROCM_ARCH", "gfx90a", "MI300X") == (
        "PYTORCH_ROCM_ARCH=gfx90a does not include gfx942, the architecture of MI300X: set it to gfx942 "
        "(or remove it)", "error")


@pytest.mark.parametrize("name", ["HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"])
def test_device_visibility_is_a_warning(name):
    message, severity = env_problem(name, "0", "MI300X")
    assert severity == "warning" and "device plugin" in message


def test_gfx_version():
    assert (gfx_version("gfx942"), gfx_version("gfx90a"), gfx_version("gfx950")) == ("9.4.2", "9.0.10", "9.5.0")
