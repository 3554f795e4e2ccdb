"""Each engine's own name for a flag as written in a recipe, aimFrameworkOverrides or customArgs.

vLLM turns underscores into dashes; the seed design's names that no engine has are documented aliases; recipes
written for vLLM are sometimes read by SGLang (the published prototype recipes write vLLM names under
`sglang_serve`), so vLLM names are translated there. Each translation warns, so the source can be fixed.
"""

from __future__ import annotations

from aimc.catalog.flag_sets import FlagSet

# Names used by the seed design's examples that no engine has. Accepted as documented aliases, with a warning;
# passing them through would fail (or, with argparse prefix matching, silently mean another flag).
FLAG_ALIASES = {
    "vllm": {"--max-batch-size": "--max-num-seqs", "--max-context-len": "--max-model-len"},
    "sglang": {"--max-batch-size": "--max-running-requests", "--max-context-len": "--context-length"},
}

# vLLM's fp8 KV cache is SGLang's fp8_e4m3 (SGLang has no plain fp8).
SGLANG_KV_DTYPE = {"fp8": "fp8_e4m3"}

# vLLM names under `sglang_serve` (the published prototype recipes write them) -> SGLang's own flag, translated with a
# warning. None: SGLang does this by default, so the flag is dropped. Only names SGLang does not have are translated.
VLLM_TO_SGLANG = {
    "--max-model-len": "--context-length",
    "--gpu-memory-utilization": "--mem-fraction-static",
    "--max-num-batched-tokens": "--chunked-prefill-size",
    "--max-num-seqs": "--max-running-requests",
    "--seed": "--random-seed",
    "--tokenizer": "--tokenizer-path",
    "--enforce-eager": "--disable-cuda-graph",
    "--no-enable-prefix-caching": "--disable-radix-cache",
    "--enable-prefix-caching": None,
    "--no-enforce-eager": None,
    "--enable-log-requests": "--log-requests",
    "--max-loras": "--max-loras-per-batch",
    "-tp": "--tensor-parallel-size",
    "-pp": "--pipeline-parallel-size",
    "-dp": "--data-parallel-size",
    "-q": "--quantization",
}
# The other way round is an error (recipes under vllm_serve are expected to use vLLM's names), with the vLLM name.
SGLANG_TO_VLLM = {sglang: vllm for vllm, sglang in VLLM_TO_SGLANG.items() if sglang and vllm.startswith("--")}
# Where the meaning differs, the warning says how.
TRANSLATION_CAVEATS = {
    "--gpu-memory-utilization": "; note that SGLang's fraction covers weights and KV cache only, vLLM's the whole "
                                "instance",
    "--max-num-batched-tokens": "; SGLang's closest match, the largest prefill chunk",
}


def normalise_flag(flag: str, engine: str) -> str:
    """`max_model_len` -> `--max-model-len` for vLLM (which turns underscores into dashes); SGLang does not."""
    flag = str(flag)
    if not flag.startswith("-"):
        flag = "--" + flag
    if engine == "vllm" and flag.startswith("--"):
        name, dot, rest = flag[2:].partition(".")
        flag = "--" + name.replace("_", "-") + dot + rest
    return flag


def engine_name(flags: FlagSet, raw_flag, value, warn):
    """The engine's own name for a flag as written, and its value; None when the flag is dropped.

    vLLM underscores become dashes; the seed design's aliases and vLLM names under SGLang are translated (each
    with a warning); an engine alias becomes the flag's own name, so that precedence merges them.
    """
    engine = flags.engine
    flag = normalise_flag(raw_flag, engine)
    if flag in FLAG_ALIASES[engine]:
        real = FLAG_ALIASES[engine][flag]
        warn(f"{flag} is not a {engine} flag; using {real}, its documented alias (write {real} to silence this "
             "warning)")
        flag = real
    elif engine == "sglang" and flags.lookup(flag) is None:
        written = flag
        if value is False and "--no-" + flag[2:] in VLLM_TO_SGLANG:  # `--enforce-eager: false` is `--no-enforce-eager`
            flag, value, written = "--no-" + flag[2:], None, f"{flag} false (--no-{flag[2:]})"
        if flag in VLLM_TO_SGLANG:
            sglang_name = VLLM_TO_SGLANG[flag]
            if sglang_name is None:
                warn(f"{written} is vLLM's name; {flags.label} does this by default, so it is left out")
                return None
            warn(f"{written} is vLLM's name; {flags.label} calls it {sglang_name}: translated (write {sglang_name} "
                 f"to silence this warning){TRANSLATION_CAVEATS.get(flag, '')}")
            flag = sglang_name
    if engine == "sglang" and flag == "--kv-cache-dtype" and value in SGLANG_KV_DTYPE:
        real = SGLANG_KV_DTYPE[value]
        warn(f"--kv-cache-dtype {value} is vLLM's value; {flags.label} calls it {real}: translated")
        value = real
    return flags.canonical(flag), value
