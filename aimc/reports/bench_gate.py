"""`aimc bench report NEW --compare BASE --fail-on-regression PCT`: a CI gate on measured performance.

A regression is a throughput (requests, output or total tokens per second) that fell, or a latency (TTFT, ITL,
end-to-end; median and p99) that rose, by more than PCT percent against the base result of the same endpoint,
engine, scenario and load. Nothing comparable at all is an error too: a gate that compared nothing would pass every
change.
"""

from __future__ import annotations

from aimc.errors import Diagnostic, UserError
from aimc.reports.bench import METRICS, Result

THROUGHPUTS = ("request_throughput", "output_throughput", "total_throughput")
LATENCIES = tuple(column for column, _, _ in METRICS if column.endswith("_ms"))
NAMES = {"request_throughput": "requests/s", "output_throughput": "output tokens/s",
         "total_throughput": "total tokens/s", "ttft_p50_ms": "TTFT p50", "ttft_p99_ms": "TTFT p99",
         "itl_p50_ms": "ITL p50", "itl_p99_ms": "ITL p99", "e2e_p50_ms": "end-to-end p50"}


def _place(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return (file, int(line)) if file and line.isdigit() else (source, 0)


def regressions(results: list[Result], percent: float) -> list[Diagnostic]:
    """One error per figure that regressed by more than `percent`; raises when no result had a base to compare."""
    compared = [r for r in results if r.change]
    if not compared:
        raise UserError([Diagnostic("--compare", 0, "", "no result matches a base result (same endpoint, engine, "
                                                        "scenario, concurrency and request rate): nothing to gate")])
    limit = percent / 100
    out = []
    for result in compared:
        for column, change in result.change:
            worse = -change if column in THROUGHPUTS else change if column in LATENCIES else 0.0
            if worse > limit:
                new = result.metric(column)
                base = new / (1 + change)
                load = f"concurrency {result.concurrency}" if result.concurrency else f"rate {result.request_rate}"
                verb = "fell" if column in THROUGHPUTS else "rose"
                what = f"{result.get('endpoint') or result.get('model', '-')} {result.get('engine', result.client)}"
                file, line = _place(result.source)
                out.append(Diagnostic(file, line, column,
                                      f"{what} {result.get('scenario', '-')} {load}: {NAMES[column]} {verb} "
                                      f"{abs(change):.1%} ({base:.4g} -> {new:.4g}), more than the "
                                      f"{percent:g}% --fail-on-regression allows"))
    return out
