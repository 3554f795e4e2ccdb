"""The performance model: predicted median TTFT, median TPOT and throughput of one configuration under one workload.

`hardware` reads the GPUs' peaks (HBM bandwidth, dense FLOP/s) from the hardware catalog, `calibration` the efficiency
factors fitted on public measurements (tools/perf_calibrate.py writes them), `physics` turns a configuration into
the time of one prefill and one decode step, and `serving` turns those into what a load generator measures. Pure
arithmetic: no I/O besides the catalog, no clock, no state. docs/concepts/performance.md states every formula.
"""
