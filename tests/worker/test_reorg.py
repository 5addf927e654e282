"""Reorgs drop a worker's commit, the activation, or the draw block itself.

RECIPES §3: ``anvil_reorg`` replaces the newest blocks with empty ones and the
dropped transactions do not come back to the mempool, so only the workers' own
reconcile loops can bring commits (and the activation inside the first one) back.
Afterwards the task finalizes and every worker's database says what the chain says.

In the first test the third member's worker starts only after the reorg, so the
commit phase is still open when the victim's commit is dropped (no reveal can be in
flight yet). The second drops the commits while every member's reveal is still
pending: those reveals now sit behind a nonce gap and can never be mined. The third
drops the draw block: the new block's hash draws a new committee, which is the one
that must commit.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from deployments.params import Params
from tests.worker.helpers import (
    PHASE_SUCCEEDED,
    Net,
    NetFactory,
    as_bytes,
    expected,
    function_of,
    read_log,
    set_mining,
    wait_log,
)

VICTIM = 0


@pytest.fixture(scope="module")
def net(nets: NetFactory) -> Net:
    net = nets(Params(commit_window=20, reveal_window=8))
    for index in range(2):
        net.start(index)
    for index in range(2):
        net.wait_started(f"worker{index}")
    return net


def test_commit_dropped_by_reorg_is_resent_with_same_salt(net: Net) -> None:
    victim = net.agent(VICTIM).owner.address
    task_input = {"text": "a committee commits then reveals its result"}
    # the victim and the member whose worker is away (2) both hold a seat
    task_id, others = net.post_seated(net.model_ids["embedding"], task_input, VICTIM, 2)
    (created, created_raw) = net.logs("TaskCreated", task_id)[0]

    # the victim saw its commit's receipt: from now on only its reconcile loop,
    # comparing its row with the chain, can notice that the commit is gone
    name = f"worker{VICTIM}"
    _, offset = wait_log(
        net.log_path(name),
        lambda e: (
            e.get("event") == "worker.tx"
            and e.get("action") == "commit"
            and task_id in e.get("task_ids", [])
        ),
        proc=net.workers[name],
    )
    (committed,) = net.logs("Committed", task_id, agent=victim)
    old = committed[1]
    salt = net.rows(name)[task_id]["salt"]
    assert salt is not None
    block = int(old["blockNumber"], 16)
    assert block > int(created_raw["blockNumber"], 16)  # the task itself stays
    head = int(net.rpc("eth_blockNumber", []), 16)
    net.rpc("anvil_reorg", [head - block + 1, []])
    assert net.logs("Committed", task_id, agent=victim) == []
    assert net.rpc("eth_getTransactionReceipt", [old["transactionHash"]]) is None
    # still committing (the third member is away), or waiting again when the dropped
    # block also held the commit that activated the task
    assert net.net.phase(task_id) in (1, 2)
    net.start(2)  # the third member shows up: the commit phase can end

    assert net.net.wait_phases([task_id], timeout=90) == {task_id: PHASE_SUCCEEDED}
    status, output = net.net.finalized_output(task_id)
    assert (status, output) == (1, expected(net.packages["embedding"], as_bytes(task_input)))

    again = net.logs("Committed", task_id, agent=victim)
    assert len(again) == 1
    assert again[0][1]["blockHash"] != old["blockHash"]
    assert net.rows(name)[task_id]["salt"] == salt
    lines = [e.get("event") for e, _ in read_log(net.log_path(name), offset)]
    assert {"worker.reorg", "worker.commit_lost"} & set(lines)

    assert_rows_match_chain(net, task_id)
    assert net.logs("Slashed", task_id, contract="AgentStaking") == []
    # the tasks posted until both were seated end too (some miss the away member)
    net.net.wait_phases(others, timeout=120)


def assert_rows_match_chain(net: Net, task_id: int) -> None:
    """Every worker's row says what the chain says (once it has looked again)."""
    for index in range(3):
        row = net.settled_row(f"worker{index}", task_id)
        assert row["state"] == "finalized"
        member, did_commit, did_reveal, result_hash = net.member_state(task_id, index)
        assert bool(row["member"]) == member
        owner = net.agent(index).owner.address
        assert json.loads(row["committee"]) == net.committee(task_id)
        if not member:
            assert net.logs("Committed", task_id, agent=owner) == []
            continue
        assert (did_commit, did_reveal) == (True, True)
        assert row["result_hash"] == result_hash
        (commit_raw,) = [raw for _, raw in net.logs("Committed", task_id, agent=owner)]
        (reveal_raw,) = [raw for _, raw in net.logs("Revealed", task_id, agent=owner)]
        assert row["commit_tx"] == commit_raw["transactionHash"]
        assert row["reveal_tx"] == reveal_raw["transactionHash"]


def test_reorg_under_pending_reveals_still_finalizes(net: Net) -> None:
    """Every commit dropped while the reveals (later nonces) wait in the pool.

    Those reveals can never be mined (their senders' earlier nonce is gone), so a
    worker that kept waiting for them would never commit again and be slashed.
    """
    if "worker2" not in net.workers:
        net.start(2)
        net.wait_started("worker2")
    name = f"worker{VICTIM}"
    victim = net.agent(VICTIM).owner.address
    signer = net.agent(VICTIM).signer.address
    task_input = {"text": "hello world, hello agents"}
    offset = net.log_path(name).stat().st_size
    task_id, _ = net.post_seated(net.model_ids["embedding"], task_input, VICTIM)
    deadline = time.time() + 60
    while net.net.phase(task_id) != 3:  # every commit is mined
        assert time.time() < deadline, "the reveal phase never began"
        time.sleep(0.05)
    set_mining(net, False)
    try:
        salt = net.rows(name)[task_id]["salt"]

        def reveal_sent(e: dict[str, Any]) -> bool:
            if e.get("event") != "tx.sent" or e.get("sender") != signer:
                return False
            tx = net.rpc("eth_getTransactionByHash", [e["tx"]])
            return tx is not None and function_of(net, tx["input"]) in ("reveal", "revealBatch")

        wait_log(net.log_path(name), reveal_sent, offset, proc=net.workers[name])
        (_, old) = net.logs("Committed", task_id, agent=victim)[0]
        head = int(net.rpc("eth_blockNumber", []), 16)
        net.rpc("anvil_reorg", [head - int(old["blockNumber"], 16) + 1, []])
        assert net.logs("Committed", task_id) == []
    finally:
        set_mining(net, True)

    deadline = time.time() + 15  # the commit phase is still open for a while
    while not net.logs("Committed", task_id, agent=victim):
        assert time.time() < deadline, "the victim never committed again"
        time.sleep(0.2)
    assert net.net.wait_phases([task_id], timeout=60) == {task_id: PHASE_SUCCEEDED}
    status, output = net.net.finalized_output(task_id)
    assert (status, output) == (1, expected(net.packages["embedding"], as_bytes(task_input)))
    assert net.settled_row(name, task_id)["salt"] == salt
    assert net.logs("Slashed", task_id, contract="AgentStaking") == []


def test_reorg_of_the_draw_block_seats_the_new_committee(net: Net) -> None:
    """The draw block, the activation and every commit are dropped; the new draw block
    seats a committee of its own, whose members (and only they) commit."""
    if "worker2" not in net.workers:
        net.start(2)
        net.wait_started("worker2")
    task_input = {"text": "the draw block is replaced"}
    task_id = net.net.create_task(net.model_ids["embedding"], task_input)
    deadline = time.time() + 60
    while not net.logs("TaskActivated", task_id):
        assert time.time() < deadline, "the task was never activated"
        time.sleep(0.05)
    before = net.committee(task_id)
    draw = net.draw_block(task_id)
    old_hash = net.rpc("eth_getBlockByNumber", [hex(draw), False])["hash"]
    net.rpc("anvil_reorg", [net.head() - draw + 1, []])
    assert net.rpc("eth_getBlockByNumber", [hex(draw), False])["hash"] != old_hash
    assert net.logs("TaskActivated", task_id) == []
    assert net.net.phase(task_id) == 1  # waiting again, with a new draw block's hash

    assert net.net.wait_phases([task_id], timeout=90) == {task_id: PHASE_SUCCEEDED}
    status, output = net.net.finalized_output(task_id)
    assert (status, output) == (1, expected(net.packages["embedding"], as_bytes(task_input)))
    (activated, raw) = net.logs("TaskActivated", task_id)[0]
    assert int(raw["blockNumber"], 16) > draw
    after = [str(a) for a in activated.args["committee"]]
    assert after == net.committee(task_id)
    print(f"committee before the reorg {before}, after {after}")
    for event in ("Committed", "Revealed"):
        agents = sorted(str(e.args["agent"]) for e, _ in net.logs(event, task_id))
        assert agents == sorted(set(after)), event  # once each, the new members only
    assert net.logs("Slashed", task_id, contract="AgentStaking") == []
    assert_rows_match_chain(net, task_id)
