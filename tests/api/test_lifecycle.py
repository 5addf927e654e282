"""Protocol v2 as the API shows it on the live network.

The silent model's task (its one agent runs no worker, so nobody activates it) waits
for its draw block; once that block's hash is out of reach, ``activate`` redraws it;
activated again, its one agent holds every seat, misses them all and is slashed per
seat. And an agent's owner withdraws its rewards to another address.
"""

from __future__ import annotations

import time
from typing import Any

from eth_account import Account

from oracles.protocol import Phase
from tests.api.conftest import Network
from tests.api.helpers import chain_task, committee_of, get, wait_for

BLOCKHASH_WINDOW = 256  # blocks whose hash `blockhash` can read


def _quiet(network: Network) -> bool:
    """Every task is indexed and final, except those waiting on the silent model."""
    count = int(network.net.call("TaskMarket", "task_count"))
    items = get(f"{network.url}/api/tasks?limit=200")["items"]
    silent = "0x" + network.silent_model.hex()
    return len(items) == count and all(
        t["state"] in ("succeeded", "failed") or (t["state"] == "waiting" and t["model"] == silent)
        for t in items
    )


def _head(network: Network) -> int:
    return int(network.net.rpc.call("eth_blockNumber", []), 16)


def _task(network: Network, task_id: int) -> dict[str, Any]:
    return dict(get(f"{network.url}/api/tasks/{task_id}"))


def test_waiting_task_is_redrawn_then_one_agent_holds_and_misses_every_seat(
    network: Network,
) -> None:
    net, task_id = network.net, network.silent_task
    wait_for(lambda: _quiet(network), timeout=180, what="no task in flight")
    waiting = _task(network, task_id)
    assert waiting["state"] == "waiting" and waiting["committee"] == waiting["members"] == []
    assert (waiting["committee_size"], waiting["quorum"]) == (2, 2)
    draw_block = waiting["draw_block"]
    assert draw_block == chain_task(net, task_id)["draw_block"] == waiting["created_block"] + 1

    # Nobody activated it while its draw block's hash could be read: activate redraws.
    stale = draw_block + BLOCKHASH_WINDOW + 1 - _head(network)
    if stale > 0:
        net.rpc.call("anvil_mine", [hex(stale), "0x0"])  # blocks only, the clock stays
    receipt = net.send(net.requester, "TaskMarket", "activate", task_id)
    (redrawn,) = [e for e in net.events(receipt) if e.name == "TaskRedrawn"]
    new_draw = int(redrawn.args["draw_block"])
    assert new_draw == int(receipt["blockNumber"], 16) + 1
    moved = wait_for(
        lambda: (t := _task(network, task_id))["redraws"] == 1 and t, what="redraw indexed"
    )
    assert moved["draw_block"] == new_draw and moved["state"] == "waiting"

    # Seated from the new draw block: the model's one agent holds both seats.
    wait_for(lambda: _head(network) > new_draw, what="the new draw block")
    net.send(net.requester, "TaskMarket", "activate", task_id)
    silent = network.silent_agent.owner.address
    seated = wait_for(
        lambda: (t := _task(network, task_id))["committee"] and t, what="activation indexed"
    )
    assert seated["committee"] == committee_of(net, task_id) == [silent, silent]
    assert [(m["agent"], m["seats"]) for m in seated["members"]] == [(silent, 2)]
    assert seated["member_count"] == 1 and seated["state"] == "commit"

    # Nobody commits; after the reveal window anyone finalizes: a refund, 2 seats slashed.
    net.wait_phases([task_id], phases=(Phase.READY,), timeout=60)
    stake_before = int(net.call("AgentStaking", "stakeOf", silent))
    net.send(net.requester, "TaskMarket", "finalize", task_id, b"")
    failed = wait_for(
        lambda: (t := _task(network, task_id))["state"] == "failed" and t, what="failure indexed"
    )
    slash = 2 * net.params.slash_missed
    assert failed["slashes"] == [
        {"agent": silent, "amount": str(slash), "seats": 2, "reason": 1,
         "reason_label": "missed", "block": failed["finalized_block"]}
    ]  # fmt: skip
    assert failed["members"][0]["outcome"] == "missed"
    assert int(net.call("AgentStaking", "stakeOf", silent)) == stake_before - slash
    agent = get(f"{network.url}/api/agents/{silent}")
    assert (agent["slashes"], agent["slashed_seats"], agent["slashed"]) == (1, 2, str(slash))
    assert agent["reputation"] == {"agreed": 0, "disagreed": 0, "missed": 1}
    assert int(agent["stake"]) == stake_before - slash


def test_withdrawal_to_another_receiver(network: Network) -> None:
    net = network.net
    wait_for(lambda: _quiet(network), timeout=180, what="no task in flight")
    owed = {a.owner.address: int(net.call("TaskMarket", "claimable", a.owner.address))
            for a in network.workers}  # fmt: skip
    richest = max(network.workers, key=lambda a: owed[a.owner.address])
    account = richest.owner.address
    assert owed[account] > 0
    receiver = Account.create().address
    receipt = net.send(richest.owner, "TaskMarket", "withdrawTo", receiver)
    (event,) = [e for e in net.events(receipt) if e.name == "Withdrawn"]
    amount = int(event.args["amount"])
    assert int(net.rpc.call("eth_getBalance", [receiver, "latest"]), 16) == amount
    deadline = time.time() + 30
    while not (agent := get(f"{network.url}/api/agents/{account}"))["withdrawals"]:
        assert time.time() < deadline, "withdrawal not indexed"
        time.sleep(0.25)
    (withdrawal,) = agent["withdrawals"]
    assert (withdrawal["receiver"], withdrawal["amount"]) == (receiver, str(amount))
    assert withdrawal["tx_hash"] == receipt["transactionHash"]
    assert agent["withdrawn"] == str(amount)
    # The index's balance is the contract's: earnings less withdrawals.
    claimable = int(net.call("TaskMarket", "claimable", account))
    assert int(agent["earnings"]) - int(agent["withdrawn"]) == claimable
    assert int(get(f"{network.url}/api/stats")["withdrawn_total"]) >= amount
