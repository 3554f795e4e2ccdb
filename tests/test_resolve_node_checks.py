"""Start-up checks that depend on the nodes one replica spans (aimc/resolve/node_checks.py): SGLang refuses
data-parallel replicas across nodes, per release."""

from __future__ import annotations

import shutil
from pathlib import Path

from aimc.resolve import node_checks

CASE = Path(__file__).parent / "cases" / "multinode-sglang" / "inputs"


def _refused(version: str, args: dict, nodes: int = 2) -> list[str]:
    return [problem.flag for problem in node_checks.problems("sglang", version, args, nodes)]


def test_dp_across_nodes_is_refused_by_every_release_without_attention_dp():
    for version in ("0.5.5.post3", "0.5.12", "0.5.14", "0.5.16", "0.5.23"):
        assert _refused(version, {"--dp-size": "2"}) == ["--dp-size"], version
        assert _refused(version, {"--dp-size": "2"}, nodes=1) == []  # one node: data parallelism is fine
        assert _refused(version, {"--dp-size": "1"}) == []
    assert node_checks.problems("vllm", "0.27.1", {"--data-parallel-size": "2"}, 2) == []


def test_attention_dp_is_exempt_and_0_5_23_reads_it_as_attn_dp_size():
    attention = {"--dp-size": "2", "--enable-dp-attention": None}
    assert _refused("0.5.16", attention) == []
    assert _refused("0.5.23", attention) == []  # turned into --attn-dp-size 2 --dp-size 1
    both = {**attention, "--attn-dp-size": "4"}  # 0.5.23 keeps --dp-size 2 next to an explicit --attn-dp-size
    assert _refused("0.5.23", both) == ["--dp-size"]
    message = node_checks.problems("sglang", "0.5.23", both, 2)[0].message
    assert message == ("--dp-size 2 on a group of 2 nodes: SGLang 0.5.23 refuses data-parallel replicas across nodes "
                       "(check_server_args, sglang/srt/arg_groups/validation_hook.py:199); remove it — aimc runs "
                       "spec.replicas groups side by side — or use --attn-dp-size for attention data parallelism "
                       "across nodes")


def test_dp_size_in_a_group_is_an_error_at_its_line(aimc, tmp_path):
    shutil.copytree(CASE, tmp_path / "inputs")
    endpoint = tmp_path / "inputs" / "endpoints" / "qwen-235b.yaml"
    endpoint.write_text(endpoint.read_text() + "  customArgs:\n    --dp-size: '2'\n")
    result = aimc("build", str(tmp_path / "inputs"))
    assert result.code == 1 and result.out == "", result
    assert (f"{endpoint}:10: spec.customArgs.--dp-size: --data-parallel-size 2 on a group of 2 nodes: SGLang "
            "0.5.5.post3 refuses data-parallel replicas across nodes (check_server_args, "
            "sglang/srt/server_args.py:3767)") in result.err

    endpoint.write_text(endpoint.read_text() + "    --enable-dp-attention: true\n")
    allowed = aimc("build", str(tmp_path / "inputs"))
    assert allowed.code == 0, allowed
