"""Reading a task back, as anyone can: what it is, its committee, and how many tasks exist."""

from __future__ import annotations

from eth_utils import keccak
from eth_utils.address import to_checksum_address

from oracles.client import Client, Phase
from oracles.client.inputs import encode_input
from tests.client.conftest import ClientNet


def test_a_finished_task_read_back_by_a_reader_without_a_key(
    network: ClientNet, client: Client
) -> None:
    data = {"text": "read this task back"}
    handle = client.submit(network.model("embedding"), data)
    assert client.task_count() >= handle.task_id  # ids run from 1 to the count
    output = handle.wait()
    local = network.net.net
    min_fee = int(local.call("TaskMarket", "min_fee_per_agent"))

    with network.client(account=None) as reader:
        assert reader.task_count() == client.task_count()
        task = reader.task(handle.task_id)
        info = task.info()
        committee = task.committee()

    assert info.task_id == handle.task_id
    assert info.phase == Phase.SUCCEEDED
    assert info.requester == local.requester.address
    assert info.model_id == network.model("embedding")
    assert (info.fee, info.quorum) == (min_fee * 3, 2)  # the defaults read from the chain
    assert info.input == encode_input(data)
    assert info.parents == ()
    receipt = network.net.rpc("eth_getTransactionReceipt", [info.tx_hash])
    assert int(receipt["blockNumber"], 16) == info.block
    assert receipt["from"].lower() == local.requester.address.lower()

    seats = [
        to_checksum_address(a) for a in local.call("TaskMarket", "committeeOf", handle.task_id)
    ]
    assert [m.agent for m in committee.members] == list(dict.fromkeys(seats))
    assert committee.seats == len(seats) == 3
    revealed = [m for m in committee.members if m.revealed]
    assert sum(m.seats for m in revealed) >= info.quorum
    assert all(m.committed and m.result_hash == keccak(output) for m in revealed)
    assert committee.commit_end is not None and committee.reveal_end is not None
    assert committee.reveal_end - committee.commit_end == 8  # the reveal window (conftest)


def test_a_task_waiting_for_its_parent_has_no_committee_yet(
    network: ClientNet, client: Client
) -> None:
    parent = client.submit(network.model("embedding"), {"text": "first this"})
    child = client.submit(
        network.model("embedding"), {"text": "then this"}, parents=[parent.task_id]
    )
    info = child.info()
    committee = child.committee()
    assert info.phase == Phase.WAITING
    assert info.parents == (parent.task_id,)
    assert committee.members == () and committee.seats == 0
    assert committee.commit_end is None and committee.reveal_end is None
    child.wait()  # leave the network idle for the next test
    assert child.info().phase == Phase.SUCCEEDED
    assert child.committee().seats == 3
