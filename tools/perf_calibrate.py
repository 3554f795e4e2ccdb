#!/usr/bin/env python3
"""Refit the performance model's efficiency factors on the public measurements and record the error they leave.

    python3 tools/perf_calibrate.py            # fit, print the error table, write aimc/catalog/perf-calibration.json
    python3 tools/perf_calibrate.py --check    # exit 1 when the committed file is not what a fit gives now

Input: tests/fixtures/perf/calibration.jsonl (measured points with their sources: tests/fixtures/perf/PROVENANCE.md).
A row is used when aimc knows its model (the catalog, or tools/perf_models.yaml), its GPU has peaks in the hardware
catalog, and its workload has fixed lengths: the agentic trace replays (prefix-cached, variable lengths), MLPerf press
figures (no lengths) and article statements (no configuration) are counted as excluded, with the reason. Rows with
speculative decoding (MTP) keep their TTFT only: speculation changes decode, not prefill.

Held out, never fitted: every row of the Vultr cookbook (MI325X, a third party), every row of AMD's table for the
rocm7.0.0_vllm_0.11.1 image, and the InferenceX Kimi-K2.5 points: the set's only fixed-length TTFT measurements,
of an int4 MoE with MTP speculation, unlike anything else in it, so TTFT is checked, never fitted. The fit minimises, per metric, the
mean squared log error (each metric weighs the same, however many points it has) by coordinate descent in log space
from a fixed start: deterministic, so --check can compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aimc.catalog.model_facts import builtin_catalog, from_spec  # noqa: E402
from aimc.model.facts import ModelCatalog  # noqa: E402
from aimc.perf import serving  # noqa: E402
from aimc.perf.calibration import Calibration  # noqa: E402
from aimc.perf.hardware import peaks  # noqa: E402
from aimc.perf.physics import Configuration  # noqa: E402

DATA = ROOT / "tests" / "fixtures" / "perf" / "calibration.jsonl"
EXTRA_MODELS = ROOT / "tools" / "perf_models.yaml"
OUTPUT = ROOT / "aimc" / "catalog" / "perf-calibration.json"
METRICS = ("ttft", "tpot", "totalTokensPerSecondPerGpu", "outputTokensPerSecondPerGpu")
# The model names the sources use -> the id aimc knows them by.
MODEL_NAMES = {"Llama-3.1-405B (FP8)": "meta-llama/Llama-3.1-405B-Instruct",
               "Llama-3.1-405B": "meta-llama/Llama-3.1-405B-Instruct",
               "Llama-3.1-405B-Instruct": "meta-llama/Llama-3.1-405B-Instruct",
               "Llama-3.1-70B-Instruct": "meta-llama/Llama-3.1-70B-Instruct",
               "moonshotai/Kimi-K2.5": "moonshotai/Kimi-K2.5"}
START = Calibration(0.5, 0.5, 0.5, 0.005, 10e-6, 20e-6)
BOUNDS = {"prefill_efficiency": (0.02, 1.0), "decode_bandwidth_efficiency": (0.02, 1.0),
          "attention_bandwidth_efficiency": (0.02, 1.0),
          "step_overhead_s": (1e-5, 0.1), "sequence_overhead_s": (1e-8, 1e-3), "allreduce_latency_s": (1e-7, 1e-3)}


def models() -> ModelCatalog:
    import yaml

    extra = yaml.safe_load(EXTRA_MODELS.read_text(encoding="utf-8"))["models"]
    return ModelCatalog(builtin_catalog().models + tuple(from_spec(e, str(EXTRA_MODELS.name)) for e in extra))


def kv_capacity(facts, gpu: str, precision: str, tp: int, kv: str | None, max_len: int) -> int:
    """Tokens the KV cache holds at vLLM's default utilisation, by aimc's memory fit."""
    from aimc.catalog.model_facts import gpu as gpu_facts
    from aimc.resolve import fit

    known = gpu_facts(gpu)
    assert known is not None
    result = fit.compute(facts, precision, tp, known.memory_gib, fit.Settings(None, max_len, kv), "vllm")
    return int(result.kv_left_gib / result.kv_gib * max_len) if result.kv_gib > 0 else 0


def held_out(row: dict) -> bool:
    return ("Vultr" in row.get("source_type", "") or "rocm7.0.0_vllm_0.11.1" in str(row.get("image"))
            or row.get("model") == "moonshotai/Kimi-K2.5")


def points(rows: list[dict], catalog: ModelCatalog) -> tuple[list[dict], dict]:
    """Every measured figure the model can predict, and the count of rows left out per reason."""
    out, excluded = [], {}

    def exclude(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    for index, row in enumerate(rows, 1):
        facts = catalog.lookup(MODEL_NAMES.get(row.get("model"), ""))
        gpu = peaks(str(row.get("gpu")))
        if row.get("scenario") != "fixed-seq-len" or not row.get("isl") or not row.get("conc"):
            exclude("not a fixed-length workload with a concurrency (trace replay, MLPerf, article statement)")
            continue
        if facts is None:
            exclude("model without facts in aimc (MiniMax-M3, Qwen3-VL, DeepSeek-V3.2 on Vultr)")
            continue
        assert gpu is not None, row["gpu"]
        precision = str(row["precision"]).split()[0]
        kv = "fp8" if ("FP8-KV" in str(row.get("model_hf")) or "kv fp8" in str(row["precision"])) else None
        config = Configuration(facts, gpu, precision, "vllm", int(row["tp"]), kv_dtype=kv,
                               kv_capacity_tokens=kv_capacity(facts, gpu.gpu, precision, int(row["tp"]), kv,
                                                              int(row["isl"] + row["osl"])))
        derived = " ".join(row.get("derived_fields") or [])
        inferencex = row.get("source_repo") == "SemiAnalysisAI/InferenceX"
        scale = 0.9 if inferencex else 1.0  # InferenceX: lengths uniform in [0.8 L, L]
        base = {"row": index, "source": row.get("source_url") or row.get("source_path"), "gpu": gpu.gpu,
                "model": facts.id, "config": config, "input": row["isl"] * scale, "output": row["osl"] * scale,
                "concurrency": int(row["conc"]), "heldOut": held_out(row)}
        workload = str(row.get("workload", ""))
        if "offline" in workload or "infinite rate" in workload:
            base["kind"] = "offline"
        else:
            base["kind"] = "serving"
            if "100 requests per concurrency level" in workload:  # never more than 100 in flight
                base["concurrency"] = min(base["concurrency"], 100)
        speculative = row.get("spec_decoding") not in (None, "none")
        figures = {"ttft": row.get("median_ttft_s"),
                   "tpot": None if speculative else (row.get("median_tpot_s") or row.get("mean_tpot_s_est")),
                   "totalTokensPerSecondPerGpu": None if speculative else (
                       row.get("tput_per_gpu_tok_s") or row.get("tput_per_gpu_tok_s_est")),
                   "outputTokensPerSecondPerGpu": None if speculative else row.get("output_tput_per_gpu_tok_s")}
        if "latency/" in derived:
            base["tpotIsLatencyPerToken"] = True
        used = False
        for metric, value in figures.items():
            if value:
                out.append({**base, "metric": metric, "measured": float(value)})
                used = True
        if not used:
            exclude("no figure the model predicts")
    return out, excluded


def predicted(point: dict, calibration: Calibration) -> float:
    config, metric = point["config"], point["metric"]
    inp, outp, conc = point["input"], point["output"], point["concurrency"]
    if point["kind"] == "offline":
        seconds = serving.offline_batch(config, conc, inp, outp, calibration)
        return {"tpot": seconds / outp,
                "totalTokensPerSecondPerGpu": conc * (inp + outp) / seconds / config.gpus,
                "outputTokensPerSecondPerGpu": conc * outp / seconds / config.gpus,
                "ttft": seconds}[metric]
    p = serving.predict(config, serving.Workload(inp, outp, conc), calibration)
    if metric == "tpot" and point.get("tpotIsLatencyPerToken"):
        return (p.ttft_s + (outp - 1) * p.tpot_s) / outp
    return {"ttft": p.ttft_s, "tpot": p.tpot_s, "totalTokensPerSecondPerGpu": p.total_tokens_per_s_per_gpu,
            "outputTokensPerSecondPerGpu": p.output_tokens_per_s_per_gpu}[metric]


def loss(train: list[dict], calibration: Calibration) -> float:
    by_metric: dict[str, list[float]] = {}
    for point in train:
        error = math.log(predicted(point, calibration) / point["measured"])
        by_metric.setdefault(point["metric"], []).append(error * error)
    return sum(statistics.fmean(errors) for errors in by_metric.values())


def fit(train: list[dict]) -> Calibration:
    current = START
    best = loss(train, current)
    step = 1.0  # in natural log units
    while step > 0.01:  # 1 % in each factor: finer than the data can tell apart
        improved = False
        for name, (low, high) in BOUNDS.items():
            for direction in (1, -1):
                value = min(high, max(low, getattr(current, name) * math.exp(direction * step)))
                trial = Calibration(**{**_fields(current), name: value})
                score = loss(train, trial)
                if score < best - 1e-12:
                    current, best, improved = trial, score, True
        if not improved:
            step /= 2
    return Calibration(**{k: float(f"{v:.3g}") for k, v in _fields(current).items()})


def _fields(calibration: Calibration) -> dict:
    return {name: getattr(calibration, name) for name in BOUNDS}


def errors(selected: list[dict], calibration: Calibration) -> dict:
    """Per metric: points and median absolute percentage error."""
    out = {}
    for metric in METRICS:
        chosen = [p for p in selected if p["metric"] == metric]
        if chosen:
            ape = [abs(predicted(p, calibration) / p["measured"] - 1) * 100 for p in chosen]
            out[metric] = {"points": len(chosen), "medianAbsolutePercentageError": round(statistics.median(ape), 1)}
    return out


def result() -> dict:
    raw = DATA.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    found, excluded = points(rows, models())
    train = [p for p in found if not p["heldOut"]]
    test = [p for p in found if p["heldOut"]]
    calibration = fit(train)
    return {
        "comment": "Written by tools/perf_calibrate.py: do not edit. Efficiency factors of aimc/perf fitted on public "
                   "measurements of vLLM on AMD Instinct GPUs; docs/concepts/performance.md explains them.",
        "data": {"file": "tests/fixtures/perf/calibration.jsonl", "sha256": hashlib.sha256(raw).hexdigest(),
                 "rows": len(rows), "fitPoints": len(train), "heldOutPoints": len(test),
                 "excludedRows": dict(sorted(excluded.items()))},
        "heldOut": "the Vultr cookbook rows (MI325X), AMD's rocm7.0.0_vllm_0.11.1 table, InferenceX Kimi-K2.5 "
                   "(TTFT: checked, never fitted)",
        "factors": calibration.to_json(),
        "error": {"fit": errors(train, calibration), "heldOut": errors(test, calibration)},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    text = json.dumps(result(), indent=2) + "\n"
    data = json.loads(text)
    for split in ("fit", "heldOut"):
        for metric, figures in data["error"][split].items():
            print(f"{split:8} {metric:28} {figures['points']:3} points  median APE "
                  f"{figures['medianAbsolutePercentageError']:.1f} %")
    print("factors:", data["factors"])
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is not what a fit gives now: run tools/perf_calibrate.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
