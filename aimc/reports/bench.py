"""`aimc bench report`: read the load generators' results and print throughput and latency per endpoint and recipe
configuration; optionally compare with earlier results, or record the figures in a recipe (`benchmarks`).

Input: files holding the JSON `vllm bench serve --save-result` writes (one object), the JSON lines
`python3 -m sglang.bench_serving --output-file` appends, or the log of an aimc benchmark Job (`kubectl logs`), whose
stdout is those objects one per line among the clients' messages. Field names are the clients' own (see
tests/data/bench/README.md for where each comes from); the `aimc_*` pairs are written by aimc's Jobs (vLLM:
`--metadata`, top-level keys; SGLang: `--tag`, space-separated).
"""

from __future__ import annotations

import json
import math

from aimc.emit.scalars import markdown_text
from aimc.errors import Diagnostic, UserError, comment_text
from aimc.records import Record, compared_on
from aimc.reports import bench_values as values

IDENTITY = ("namespace", "endpoint", "engine", "model", "recipe", "configuration", "scenario", "image")
# (column, vLLM field, SGLang field): what the table shows, from each client's result.
METRICS = (
    ("request_throughput", "request_throughput", "request_throughput"),
    ("output_throughput", "output_throughput", "output_throughput"),
    ("total_throughput", "total_token_throughput", "total_throughput"),
    ("ttft_p50_ms", "median_ttft_ms", "median_ttft_ms"),
    ("ttft_p99_ms", "p99_ttft_ms", "p99_ttft_ms"),
    ("itl_p50_ms", "median_itl_ms", "median_itl_ms"),
    ("itl_p99_ms", "p99_itl_ms", "p99_itl_ms"),
    ("e2e_p50_ms", "median_e2el_ms", "median_e2e_latency_ms"),
)
HEADERS = ("endpoint", "engine", "configuration", "scenario", "conc", "rate", "ok", "failed", "req/s", "out tok/s",
           "total tok/s", "TTFT p50", "TTFT p99", "ITL p50", "ITL p99")


class Result(Record):
    source: str  # file:line
    client: str  # vllm | sglang
    identity: tuple  # (key, value) pairs of IDENTITY found in the result
    concurrency: int | None
    request_rate: str  # "inf" or the number
    completed: int
    failed: int | None
    metrics: tuple  # (column, value or None) in METRICS order
    date: str | None = None
    change: tuple = ()  # (column, relative change) against --compare; equality ignores it

    __eq__, __ne__, __hash__ = compared_on("source", "client", "identity", "concurrency", "request_rate", "completed",
                                           "failed", "metrics", "date")

    def get(self, key: str, default=None):
        return dict(self.identity).get(key, default)

    def metric(self, column: str):
        return dict(self.metrics).get(column)

    def key(self) -> tuple:
        """What makes two results comparable: the same endpoint, engine, scenario and load."""
        return (self.get("namespace", ""), self.get("endpoint") or self.get("model", ""),
                self.get("engine", self.client), self.get("scenario", ""), self.concurrency, self.request_rate)


# -- reading -------------------------------------------------------------------------------------------------------

def read(paths, texts: dict | None = None) -> list[Result]:
    """Every result in the files, in order; a file without any result is an error naming it."""
    results: list[Result] = []
    problems: list[Diagnostic] = []
    for path in paths:
        text = texts[path] if texts and path in texts else _read_text(path, problems)
        if text is None:
            continue
        found = parse_text(text, path)
        if not found:
            problems.append(Diagnostic(path, 0, "", "no benchmark result found: expected the JSON written by `vllm "
                                                    "bench serve --save-result`, the JSON lines of `python3 -m "
                                                    "sglang.bench_serving --output-file`, or the log of an aimc "
                                                    "benchmark Job"))
        results.extend(found)
    if problems:
        raise UserError(problems)
    return results


def _read_text(path: str, problems: list) -> str | None:
    from aimc.load import limits

    try:  # bounded: a link to /dev/zero, a FIFO or a huge file is refused, not read until memory runs out
        return limits.read_or_fail(path, "benchmark results").decode("utf-8", errors="replace")
    except UserError as error:
        problems.extend(error.diagnostics)
        return None


def parse_text(text: str, path: str) -> list[Result]:
    """Every result in one file's text; UserError at the result's file:line when a field is not of its type."""
    problems: list[Diagnostic] = []
    whole = _json(text, f"{path}:1", [])
    found = []
    if isinstance(whole, dict):
        result = from_json(whole, f"{path}:1", problems)
        found = [result] if result else []
    else:
        # Lines end at "\n" only: JSON strings may hold U+2028 or U+0085 raw, which str.splitlines() would split at.
        for number, line in enumerate(text.split("\n"), 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            data = _json(line, f"{path}:{number}", problems)  # None: a client message that starts with a brace
            result = from_json(data, f"{path}:{number}", problems) if isinstance(data, dict) else None
            if result is not None:
                found.append(result)
    if problems:
        raise UserError(problems)
    return found


def _json(text: str, source: str, problems: list):
    """The JSON value of `text`, or None; JSON that Python cannot hold (a number of more than 4,300 digits, nesting
    deeper than its parser goes) is a problem at `source`, not a crash."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else "a number of more than 4,300 digits"
        problems.append(values.problem_at(source, "", f"cannot read this result: {why}"))
        return None


def from_json(data: dict, source: str, problems: list | None = None) -> Result | None:
    """One result of either client, or None when `data` is neither; a field of the wrong type goes to `problems`
    (raised at once when no list is given)."""
    collected: list[Diagnostic] = [] if problems is None else problems
    if "total_token_throughput" in data:
        client, column = "vllm", 1
        identity = {k[5:]: values.identity_value(v, source, k, collected) for k, v in data.items()
                    if isinstance(k, str) and k.startswith("aimc_") and k[5:] in IDENTITY}
        identity.setdefault("model", values.identity_value(data.get("model_id") or "", source, "model_id", collected))
    elif "total_throughput" in data and "request_throughput" in data:
        client, column = "sglang", 2
        identity = {key: values.identity_value(value, source, "tag", collected)
                    for key, value in _tag_pairs(data.get("tag")).items()}
    else:
        return None
    identity = {k: v for k, v in identity.items() if v}
    result = Result(
        source=source, client=client, identity=tuple((k, identity[k]) for k in IDENTITY if k in identity),
        concurrency=values.whole(data, "max_concurrency", source, collected, 1),
        request_rate=values.rate(data, "request_rate", source, collected),
        completed=values.whole(data, "completed", source, collected, 0, 0),
        failed=values.whole(data, "failed", source, collected, 0),
        metrics=tuple((m[0], values.figure(data.get(m[column]))) for m in METRICS),
        date=values.text(data, "date", source, collected),
    )
    if problems is None and collected:
        raise UserError(collected)
    return result


def _tag_pairs(tag) -> dict:
    if not isinstance(tag, str):
        return {}
    pairs = dict(item.split("=", 1) for item in tag.split() if "=" in item)
    return {k[5:]: v for k, v in pairs.items() if k.startswith("aimc_") and k[5:] in IDENTITY}


# -- comparing -----------------------------------------------------------------------------------------------------

def compare(results: list[Result], base: list[Result]) -> list[Result]:
    """Each result with its relative change against the first base result of the same key."""
    first: dict = {}
    for result in base:
        first.setdefault(result.key(), result)
    out = []
    for result in results:
        old = first.get(result.key())
        if old is None:
            out.append(result)
            continue
        change = []
        for column, _, _ in METRICS:
            new_value, old_value = result.metric(column), old.metric(column)
            if new_value is not None and old_value:
                relative = (new_value - old_value) / old_value
                if math.isfinite(relative):  # two figures near a float's limits: no meaningful change to show
                    change.append((column, relative))
        out.append(Result(**{**_fields(result), "change": tuple(change)}))
    return out


def _fields(result: Result) -> dict:
    return {name: getattr(result, name) for name in result.__struct_fields__}


# -- formatting ----------------------------------------------------------------------------------------------------

def ordered(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (tuple("" if v is None else str(v) for v in r.key()[:4]),
                                          r.concurrency or 0, _rate_sort(r.request_rate), r.source))


def _rate_sort(rate: str) -> float:
    try:
        return float(rate)
    except ValueError:
        return float("inf")


def rows(results: list[Result]) -> list[list[str]]:
    out = []
    for r in ordered(results):
        change = dict(r.change)
        cells = [r.get("endpoint") or r.get("model") or "-", r.get("engine", r.client), r.get("configuration", "-"),
                 r.get("scenario", "-"), "-" if r.concurrency is None else str(r.concurrency), r.request_rate,
                 str(r.completed), "-" if r.failed is None else str(r.failed)]
        for column, _, _ in METRICS[:7]:
            value = r.metric(column)
            text = "-" if value is None else f"{value:.1f}" if column.endswith("_ms") else f"{value:.2f}"
            if column in change:
                text += f" ({change[column]:+.1%})"
            cells.append(text)
        out.append(cells)
    return out


def format_report(results: list[Result], output_format: str = "text") -> str:
    """The report as JSON, Markdown or a text table. Text from the result files reaches Markdown and the terminal
    only through the one escaping path (emit/scalars.py): a `|` or a line break cannot add a row, an escape
    sequence cannot colour the terminal. JSON carries the values themselves, and never NaN (not JSON)."""
    if output_format == "json":
        return _json_report(results)
    escape = markdown_text if output_format == "markdown" else comment_text
    table = [[escape(cell) for cell in cells] for cells in rows(results)]
    # What each endpoint's engine ran: the recipe and image behind its configuration.
    ran = sorted({(r.get("endpoint", "-"), r.get("engine", r.client), r.get("recipe"), r.get("configuration", "-"),
                   r.get("image", "-")) for r in results if r.get("recipe")})
    # In Markdown each footer line is a list item: its first word must not start a nested block (`1.`, `-`).
    first = (lambda text: markdown_text(text, starts_block=True)) if output_format == "markdown" else escape
    footer = ["{} {}: recipe {} {}, image {}".format(first(fields[0]), *map(escape, fields[1:])) for fields in ran]
    note = "Throughput in requests and tokens per second; TTFT and ITL (inter-token latency) in ms."
    if output_format == "markdown":
        lines = ["| " + " | ".join(HEADERS) + " |", "| " + " | ".join("---" if i < 4 else "---:" for i in
                                                                          range(len(HEADERS))) + " |"]
        lines += ["| " + " | ".join(cells) + " |" for cells in table]
        return "\n".join(lines + [""] + [f"- {line}" for line in footer] + ["", note]) + "\n"
    widths = [max(len(row[i]) for row in [list(HEADERS), *table]) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in [list(HEADERS), *table]]
    return "\n".join(lines + [""] + footer + [note]) + "\n"


def _json_report(results: list[Result]) -> str:
    items = []
    for r in ordered(results):
        item = {"source": r.source, "client": r.client, **dict(r.identity), "concurrency": r.concurrency,
                "requestRate": r.request_rate, "completed": r.completed, "failed": r.failed,
                **dict(r.metrics)}
        if r.date:
            item["date"] = r.date
        if r.change:
            item["change"] = {k: round(v, 6) for k, v in r.change}
        items.append(item)
    # allow_nan=False: a non-finite figure left anywhere is a bug (ValueError, exit 3), never `NaN` in the output.
    return json.dumps({"results": items}, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
