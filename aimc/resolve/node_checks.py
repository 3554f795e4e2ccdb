"""Start-up checks that depend on how many nodes one replica spans (a multi-node group, resolve/groups.py), after
the parser accepted the command line; like `startup_checks`, each follows the release of the image and cites its
source line.

SGLang refuses data-parallel replicas across nodes: every release asserts `not (dp_size > 1 and nnodes != 1)` in its
`check_server_args`. Up to 0.5.16 attention DP (`--enable-dp-attention`) is exempt. 0.5.23 made attention DP its own
size (`--attn-dp-size`) and turns the deprecated `--dp-size N --enable-dp-attention` into `--attn-dp-size N` with
`--dp-size 1` (`handle_deprecated_dp_attention`, arg_groups/parallel_hook.py:39) — unless `--attn-dp-size` is given
too, when `--dp-size` stays and is refused.
"""

from __future__ import annotations

from aimc.catalog.runtime import version_key
from aimc.resolve.flag_values import whole_number
from aimc.resolve.startup_checks import StartupProblem

_S = "sglang/srt/server_args.py"
# shipped release -> the assert that refuses data parallelism across nodes
SGLANG_DP_ACROSS_NODES = {"0.5.5.post3": f"{_S}:3767", "0.5.12": f"{_S}:7255", "0.5.14": f"{_S}:6656",
                          "0.5.16": f"{_S}:7601", "0.5.23": "sglang/srt/arg_groups/validation_hook.py:199"}
ATTN_DP_SIZE_SINCE = "0.5.23"
DP_FLAGS = ("--dp-size", "--data-parallel-size")


def problems(engine: str, version: str, args: dict, nodes: int) -> list[StartupProblem]:
    """The final flags (flag -> value) of a replica that spans `nodes` nodes."""
    where = SGLANG_DP_ACROSS_NODES.get(version)
    if engine != "sglang" or nodes <= 1 or where is None:
        return []
    flag = next((f for f in DP_FLAGS if f in args), None)
    dp = whole_number(args.get(flag)) if flag else None
    if flag is None or dp is None or dp <= 1:
        return []
    attention_dp = "--enable-dp-attention" in args
    own_size = version_key(version) >= version_key(ATTN_DP_SIZE_SINCE)
    if attention_dp and not (own_size and (whole_number(args.get("--attn-dp-size")) or 1) > 1):
        return []  # attention DP: allowed (0.5.23 reads it as --attn-dp-size)
    instead = ("--attn-dp-size for attention data parallelism across nodes" if own_size
               else "--enable-dp-attention for attention data parallelism")
    return [StartupProblem(flag, (
        f"{flag} {dp} on a group of {nodes} nodes: SGLang {version} refuses data-parallel replicas across nodes "
        f"(check_server_args, {where}); remove it — aimc runs spec.replicas groups side by side — or use "
        f"{instead}"))]
