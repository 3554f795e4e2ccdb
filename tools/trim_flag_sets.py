"""Trim the engines' full flag dumps (the project reference `engines/*.json`) to what `aimc/flags.py` validates with.

Usage: python tools/trim_flag_sets.py REFERENCE_ENGINES_DIR aimc/catalog/engines
The output is committed as package data; rerun this when a pinned engine version changes. vLLM 0.11.1's `removed`
was since regenerated against 0.10.2 with `tools/extract_flag_set.py --previous` (the version family of AMD's official
profiles), so it lists more than this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PINNED = ("vllm-0.11.1.json", "sglang-0.5.5.post3.json")
KEEP = ("name", "aliases", "takes_value", "type", "value_type", "choices", "nargs", "negatable", "negation",
        "deprecated", "human_readable_int", "none_literal_accepted", "dotted_keys", "validated_values")
# Post-parse value lists that the engine extends at run time (plugins, class names): a value outside them is only
# a warning. Every other validated list is closed.
OPEN_LISTS = ("plugin", "class name", "registry")


def trim_flag(flag: dict) -> dict:
    out = {key: flag[key] for key in KEEP if flag.get(key) not in (None, False, [], {})}
    if flag.get("validated_values_on_rocm"):
        # aimc renders for AMD GPUs only: on ROCm the engine rejects anything outside this list, plugins included.
        out["validated_values"] = flag["validated_values_on_rocm"]
        out["validated_open"] = False
    elif flag.get("validated_values"):
        note = flag.get("validated_note", "").lower()
        out["validated_open"] = any(word in note for word in OPEN_LISTS)
    return out


def trim(source: dict) -> dict:
    return {
        "engine": source["engine"],
        "version": source["version"],
        "source": source["source"].split(";")[0],
        "underscore_normalization": source["parser"]["underscore_normalization"],
        "flags": [trim_flag(f) for f in source["flags"] if f.get("type") != "help"],
        # Flags of the previous release that this one dropped: the error says so (recipes written for it use them).
        "removed": {f["name"]: f["note"] for f in source.get("removed_since_0_11_0", ())},
    }


def main(reference: str, target: str) -> None:
    for name in PINNED:
        data = trim(json.loads((Path(reference) / name).read_text()))
        text = json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False)
        (Path(target) / name).write_text(text + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
