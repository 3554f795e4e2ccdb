"""Parse command lines with an engine's real argument parser (run inside a scratch venv that has the engine).

    python tools/parse_with_engine.py vllm < lines.json     # lines.json: a JSON list of argument lists

Builds the parser exactly as `tools/extract_flag_set.py` does (vLLM's `make_arg_parser` with the CPU platform forced,
SGLang's `ServerArgs.add_cli_args`, vllm-router's and sglang-router's `RouterArgs.add_cli_args`) and prints a JSON list with, per argument list, null when it parses or the
parser's error message. `tests/test_engine_real_parsers.py` runs it over every command line of the golden cases.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extract_flag_set import (
    StandIns,
    build_sglang_parser,
    build_sglang_router_parser,
    build_vllm_parser,
    build_vllm_router_parser,
)

BUILDERS = {"vllm": build_vllm_parser, "sglang": build_sglang_parser, "vllm-router": build_vllm_router_parser,
            "sglang-router": build_sglang_router_parser}


def problems(engine: str, lines: list[list[str]]) -> list[str | None]:
    parser, _deprecated = BUILDERS[engine]()
    out: list[str | None] = []
    for argv in lines:
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                parser.parse_args(argv)
            out.append(None)
        except SystemExit:
            out.append(errors.getvalue().strip().splitlines()[-1] if errors.getvalue().strip() else "refused")
    return out


def main() -> None:
    engine, *stand_ins = sys.argv[1:]
    if stand_ins:
        sys.meta_path.insert(0, StandIns(stand_ins))
    lines = json.load(sys.stdin)
    with contextlib.redirect_stdout(sys.stderr):  # the engines log while their parser is built
        result = problems(engine, lines)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
