"""Tasks left waiting: a draw block out of reach is redrawn, a failed parent fails its child.

Both are settled by the workers' ``activate`` (no keeper): for a task nobody
activated within 256 blocks of its draw block (its hash can no longer be read), the
contract fixes a new draw block (``TaskRedrawn``) and the new committee serves it;
for a task whose parent failed, the contract fails the task and refunds its
requester.
"""

from __future__ import annotations

import os
import time

import pytest

from deployments.params import Params
from tests.worker.helpers import (
    ETHER,
    PHASE_SUCCEEDED,
    Net,
    NetFactory,
    as_bytes,
    expected,
    function_of,
)

PHASE_FAILED = 6


@pytest.fixture(scope="module")
def net(nets: NetFactory) -> Net:
    net = nets(Params(commit_window=6, reveal_window=6))
    local = net.net
    # A model whose only agent runs no worker: its tasks are never answered.
    silent = os.urandom(32)
    local.send(local.deployer, "ModelRegistry", "registerModel", silent, 0, "none://")
    local.add_agent(ETHER, [silent])
    local.cross_epoch()
    net.model_ids["silent"] = silent
    return net


def start_workers(net: Net) -> None:
    for index in range(3):
        if f"worker{index}" not in net.workers:
            net.start(index, models=["embedding"])
    for index in range(3):
        net.wait_started(f"worker{index}")


def test_task_nobody_activated_in_time_is_redrawn_and_served(net: Net) -> None:
    task_input = {"text": "nobody was there when it was posted"}
    task_id = net.net.create_task(net.model_ids["embedding"], task_input)
    old_draw = net.draw_block(task_id)
    net.rpc("anvil_mine", [hex(300)])  # the draw block's hash is out of reach now
    start_workers(net)

    assert net.net.wait_phases([task_id], timeout=90) == {task_id: PHASE_SUCCEEDED}
    (redrawn, raw) = net.logs("TaskRedrawn", task_id)[0]
    assert int(redrawn.args["draw_block"]) == int(raw["blockNumber"], 16) + 1 > old_draw + 256
    tx = net.rpc("eth_getTransactionByHash", [raw["transactionHash"]])
    assert function_of(net, tx["input"]) == "activate"
    assert tx["from"].lower() in {a.signer.address.lower() for a in net.net.agents}
    (_, activated) = net.logs("TaskActivated", task_id)[0]
    assert int(activated["blockNumber"], 16) > int(redrawn.args["draw_block"])
    status, output = net.net.finalized_output(task_id)
    assert (status, output) == (1, expected(net.packages["embedding"], as_bytes(task_input)))
    assert net.logs("Slashed", task_id, contract="AgentStaking") == []


def test_child_of_a_failed_parent_is_failed_by_the_workers(net: Net) -> None:
    start_workers(net)
    local = net.net
    requester = local.requester.address
    parent_fee = child_fee = local.params.min_fee_per_agent * 3
    parent = local.create_task(
        net.model_ids["silent"], {"text": "never answered"}, 1, 1, fee=parent_fee
    )
    child = local.create_task(
        net.model_ids["embedding"], {"text": "about {parents}"}, parents=[parent], fee=child_fee
    )
    net.wait_draw_mined(parent)
    local.send(local.requester, "TaskMarket", "activate", parent)  # anyone may
    deadline = time.time() + 60
    while local.phase(parent) != 4:  # nobody commits: ready once both windows passed
        assert local.phase(child) == 1  # the child waits for its parent
        assert time.time() < deadline, "the parent never became ready to finalize"
        time.sleep(0.5)
    before = int(local.call("TaskMarket", "claimable", requester))
    local.send(local.requester, "TaskMarket", "finalize", parent, b"")  # no quorum: fails
    assert local.phase(parent) == PHASE_FAILED

    assert local.wait_phases([child], timeout=60) == {child: PHASE_FAILED}
    (final, raw) = net.logs("TaskFinalized", child)[0]
    assert (int(final.args["status"]), bytes(final.args["output"])) == (2, b"")
    tx = net.rpc("eth_getTransactionByHash", [raw["transactionHash"]])
    assert function_of(net, tx["input"]) == "activate"  # failed at activation, by a worker
    assert tx["from"].lower() in {a.signer.address.lower() for a in local.agents}
    assert net.logs("TaskActivated", child) == [] and net.logs("Committed", child) == []
    after = int(local.call("TaskMarket", "claimable", requester))
    assert after - before == parent_fee + child_fee  # both refunded
