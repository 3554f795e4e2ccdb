"""Disaggregated serving in the performance model: P prefill replicas hand each prompt's KV cache to D decode
replicas over RDMA; what a closed-loop load generator of C clients measures at the router (the same medians as
`serving`, for the whole deployment).

    prefill   a replica prefills n = max(1, chunk / I) prompts per forward pass and nothing else (no decode to share
              its GPUs with), so P replicas serve at most P n / t_p(n) requests/s; one prompt alone takes t_p(1).
    transfer  each prefill rank sends its shard of the prompt's KV cache (I tokens, all layers) over its own NIC and
              each decode rank receives its shard: t_x = latency + max(shard_p, shard_d) / B, the ranks in parallel.
    decode    a replica runs B requests at once, one step t_d(B) at context I + O/2; no prefill interleaves, so
              TPOT = t_d and D replicas finish at most D B / ((O - 1) t_d) requests/s.
    closed    X = min(prefill rate, decode rate, C / (t_p(1) + t_x + O t_d)), where B is the batch that X keeps
              busy on each decode replica (X (O - 1) t_d / D, at most --max-num-seqs and what its KV cache holds),
              found by a short fixed-point iteration; TTFT = C / X - (O - 1) t_d (Little's law: whatever of a
              request's time is not decoding is spent waiting, prefilling and transferring).

B, the NIC bandwidth a KV transfer reaches, is ROCm's MoRI-IO measurement (docs/MORI-IO-BENCHMARK.md of ROCm/mori):
KV blocks move as many messages of tens of KiB (a 16-token block of one layer), and at 64 KiB in batches of 128 one
Broadcom Thor2 400G NIC carries 41.4 GB/s (avg, RDMA write, one initiator and one target), with about 0.2 ms per
batch (202.7 µs). One NIC per GPU is assumed (AMD's Instinct platforms pair each GPU with a 400G NIC; a pool with
fewer lowers B: --transfer-gbs). Not modelled: the overlap of a layer-wise transfer with the prefill (the whole
transfer is counted after it), contention of the transfer with expert-parallel traffic, the router's own time, and
any calibration against measured disaggregated runs (none are in the calibration set).
"""

from __future__ import annotations

import math

from aimc.model.performance import Prediction
from aimc.perf import physics
from aimc.perf.calibration import Calibration
from aimc.perf.physics import DEFAULT_CHUNK, Configuration
from aimc.perf.serving import DEFAULT_MAX_NUM_SEQS, Workload
from aimc.records import Record

TRANSFER_GB_S = 41.4  # per NIC: MORI-IO, 64 KiB messages, batch 128, RDMA write (ROCm/mori MORI-IO-BENCHMARK.md)
TRANSFER_LATENCY_S = 202.7e-6  # the same run's average latency of one batch
ITERATIONS = 200


class Layout(Record):
    """A disaggregated deployment: P prefill replicas of `prefill`, D decode replicas of `decode`."""

    prefill: Configuration
    decode: Configuration
    prefill_replicas: int = 1
    decode_replicas: int = 1
    transfer_gb_s: float = TRANSFER_GB_S  # per GPU (one NIC each)

    @property
    def gpus(self) -> int:
        return self.prefill_replicas * self.prefill.gpus + self.decode_replicas * self.decode.gpus


def transfer_seconds(layout: Layout, input_tokens: float) -> float:
    """The KV cache of one prompt from a prefill replica to a decode replica, rank shards in parallel."""
    shard = max(physics.prompt_kv_bytes(layout.prefill, input_tokens),
                physics.prompt_kv_bytes(layout.decode, input_tokens))
    return TRANSFER_LATENCY_S + shard / (layout.transfer_gb_s * 1e9)


def prefill_rate(layout: Layout, workload: Workload, calibration: Calibration) -> float:
    """Requests/s the prefill replicas serve when always busy, in passes of the engine's chunk size."""
    chunk = layout.prefill.batched_tokens or DEFAULT_CHUNK
    per_pass = max(1, int(chunk // workload.input_tokens))
    seconds = physics.prefill_seconds(layout.prefill, per_pass, workload.input_tokens, calibration)
    return layout.prefill_replicas * per_pass / seconds


def decode_limit(config: Configuration, workload: Workload) -> int:
    """Requests a decode replica runs at once: its --max-num-seqs (or default) and what its KV cache holds."""
    limits = [config.max_num_seqs or DEFAULT_MAX_NUM_SEQS.get(config.engine) or workload.concurrency]
    if config.kv_capacity_tokens:
        limits.append(max(1, int(config.kv_capacity_tokens // (workload.input_tokens + workload.output_tokens))))
    return max(1, min(limits))


def predict(layout: Layout, workload: Workload, calibration: Calibration) -> Prediction:
    inp, out, clients = workload.input_tokens, workload.output_tokens, workload.concurrency
    decoding = max(out - 1, 0)
    first = physics.prefill_seconds(layout.prefill, 1, inp, calibration)
    handover = transfer_seconds(layout, inp)
    most_prefilled = prefill_rate(layout, workload, calibration)
    limit = decode_limit(layout.decode, workload)
    batch = float(min(math.ceil(clients / layout.decode_replicas), limit))
    rate = step = 0.0
    for _ in range(ITERATIONS):
        step = physics.decode_step_seconds(layout.decode, batch, inp + out / 2, calibration)
        most_decoded = layout.decode_replicas * batch / (decoding * step) if decoding else math.inf
        rate = min(most_prefilled, most_decoded, clients / (first + handover + out * step))
        busy = min(float(limit), max(1.0, rate * decoding * step / layout.decode_replicas)) if decoding else 1.0
        if abs(busy - batch) <= 1e-9 * batch:
            break
        batch = (batch + busy) / 2  # damped: the step time moves with the batch
    ttft = clients / rate - decoding * step
    return Prediction(clients, round(batch * layout.decode_replicas), ttft, step, rate, rate * out,
                      rate * (inp + out), layout.gpus)
