"""What a load generator measures: median TTFT, median TPOT and throughput of one replica at a concurrency, from the
prefill and decode-step times of `physics`.

Closed loop (vllm bench serve --max-concurrency C, InferenceX, aimc's benchmark Jobs): C clients, each sends its next
request when the last one ends. The engine runs B = min(C, max-num-seqs, what the KV cache holds) at once; the rest
wait. With t_p the prefill of one prompt and t_d a decode step at batch B (context: the prompt plus half the output),
one request alone takes W = t_p + (O − 1) t_d. Continuous batching interleaves the prefills of arriving requests with
the running decode: B requests per cycle each add a prefill, so the share of time spent prefilling is ρ = a / (1 + a)
with a = B t_p / W, and

    TTFT = t_p (1 + a) + t_d + queue        TPOT = t_d (1 + a)        requests/s X = B / (W (1 + a))

where t_d is the step the first token leaves with (the prefill runs beside the running batch's decode), queue =
(C − B) / X is the wait of the requests the engine cannot admit yet. Output tokens/s = X × O, total
tokens/s = X × (I + O). These are medians in the sense that every request of a fixed-length workload sees the same
figures; the spread around them (which request waits for which prefill) is not modelled.
"""

from __future__ import annotations

from aimc.model.performance import Prediction
from aimc.perf import physics
from aimc.perf.calibration import Calibration
from aimc.perf.physics import Configuration
from aimc.records import Record

# vLLM's default --max-num-seqs for the OpenAI server on GPUs of 70 GiB or more (every GPU with peaks in the catalog):
# `get_batch_defaults` in vllm/engine/arg_utils.py ("For GPUs like H100 and MI300x, use larger default values": 1024).
# SGLang sizes --max-running-requests from its KV pool: only the KV capacity bounds its batch here.
DEFAULT_MAX_NUM_SEQS = {"vllm": 1024}


class Workload(Record):
    input_tokens: float
    output_tokens: float
    concurrency: int


def max_batch(config: Configuration, workload: Workload) -> int:
    """Requests the engine runs at once: its --max-num-seqs (or default) and what its KV cache holds."""
    limits = [workload.concurrency]
    seqs = config.max_num_seqs or DEFAULT_MAX_NUM_SEQS.get(config.engine)
    if seqs:
        limits.append(seqs)
    if config.kv_capacity_tokens:
        limits.append(max(1, int(config.kv_capacity_tokens // (workload.input_tokens + workload.output_tokens))))
    return max(1, min(limits))


def predict(config: Configuration, workload: Workload, calibration: Calibration) -> Prediction:
    batch = max_batch(config, workload)
    prefill = physics.prefill_seconds(config, 1, workload.input_tokens, calibration)
    step = physics.decode_step_seconds(config, batch, workload.input_tokens + workload.output_tokens / 2, calibration)
    alone = prefill + max(workload.output_tokens - 1, 0) * step
    slowdown = 1 + batch * prefill / alone
    rate = batch / (alone * slowdown)
    queue = (workload.concurrency - batch) / rate
    # The first token leaves with the step that runs the prefill alongside the running batch's decode.
    ttft = prefill * slowdown + step + queue
    return Prediction(workload.concurrency, batch, ttft, step * slowdown, rate,
                      rate * workload.output_tokens, rate * (workload.input_tokens + workload.output_tokens),
                      config.gpus)


def offline_batch(config: Configuration, prompts: int, input_tokens: float, output_tokens: float,
                  calibration: Calibration) -> float:
    """Seconds to serve `prompts` prompts handed over at once (vLLM's benchmark_latency / benchmark_throughput with
    max-num-seqs = prompts): in waves of what the KV cache holds, each its prefills then its decode steps."""
    batch = max_batch(config, Workload(input_tokens, output_tokens, prompts))
    waves, last = divmod(prompts, batch)
    seconds = waves * _wave(config, batch, input_tokens, output_tokens, calibration)
    return seconds + (_wave(config, last, input_tokens, output_tokens, calibration) if last else 0.0)


def _wave(config: Configuration, batch: int, input_tokens: float, output_tokens: float,
          calibration: Calibration) -> float:
    prefill = physics.prefill_seconds(config, batch, input_tokens, calibration)
    step = physics.decode_step_seconds(config, batch, input_tokens + output_tokens / 2, calibration)
    return prefill + max(output_tokens - 1, 0) * step
