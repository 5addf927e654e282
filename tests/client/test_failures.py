"""What a requester sees when things go wrong: typed errors, refunds, nothing sent."""

from __future__ import annotations

import threading

import pytest

from oracles.chain import SimulationReverted
from oracles.client import (
    Client,
    NoAccount,
    NoEligibleAgent,
    Phase,
    Reverted,
    TaskFailed,
    TaskSpec,
    UnknownTask,
)
from oracles.errors import AgentnetError
from tests.client.conftest import ClientNet


def loop_threads() -> int:
    return sum(t.name == "agentnet-client" for t in threading.enumerate())


def nonce(network: ClientNet, address: str) -> int:
    return int(network.net.rpc("eth_getTransactionCount", [address, "latest"]), 16)


def fee_of(network: ClientNet, task_id: int) -> int:
    (created, _) = network.net.logs("TaskCreated", task_id)[0]
    return int(created.args["fee"])


def test_revert_carries_the_contracts_reason_and_sends_nothing(
    network: ClientNet, client: Client
) -> None:
    address = network.net.net.requester.address
    before = nonce(network, address)
    with pytest.raises(Reverted) as caught:
        client.submit(network.model("embedding"), {"text": "too cheap"}, fee=1)
    assert isinstance(caught.value, SimulationReverted)  # the chain layer's, too
    assert isinstance(caught.value, AgentnetError)  # the CLI's one-line errors
    assert caught.value.reason is not None and "fee" in caught.value.reason
    assert caught.value.reason in str(caught.value)
    assert caught.value.function == "createTask"
    assert nonce(network, address) == before


def test_model_nobody_serves_raises_no_eligible_agent(network: ClientNet, client: Client) -> None:
    with pytest.raises(NoEligibleAgent) as caught:
        client.embed("hello", model=network.orphan)
    assert caught.value.model_id == network.orphan
    with pytest.raises(NoEligibleAgent):
        client.submit(network.orphan, {"text": "hello"}, committee_size=1, quorum=1)


def test_unanswered_task_fails_its_child_and_both_fees_come_back(
    network: ClientNet, client: Client
) -> None:
    """A committee that never answers: the map task fails, then the reduce task at
    activation; both fees are credited back and can be withdrawn."""
    before = client.claimable()
    flow = client.post_workflow(
        maps=[TaskSpec({"text": "nobody will answer this"}, model=network.silent)],
        reduce=TaskSpec({"text": "summary of {parents}"}, model=network.model("embedding")),
    )
    (parent,) = flow.maps
    assert flow.reduce.parents() == (parent.task_id,)

    with pytest.raises(TaskFailed) as failed_parent:
        parent.wait()
    assert failed_parent.value.task_id == parent.task_id
    assert failed_parent.value.failed_parents == ()

    with pytest.raises(TaskFailed) as failed_child:
        flow.wait()
    assert failed_child.value.task_id == flow.reduce.task_id
    assert failed_child.value.failed_parents == (parent.task_id,)
    assert f"parent task(s) {parent.task_id} failed" in str(failed_child.value)
    assert parent.status() == flow.reduce.status() == Phase.FAILED

    refunds = fee_of(network, parent.task_id) + fee_of(network, flow.reduce.task_id)
    assert client.claimable() - before == refunds
    balance = int(network.net.rpc("eth_getBalance", [client.address, "latest"]), 16)
    assert client.withdraw() == before + refunds
    assert client.claimable() == 0
    after = int(network.net.rpc("eth_getBalance", [client.address, "latest"]), 16)
    assert after > balance  # the refunds arrived (less the gas of withdraw)


def test_unknown_task_and_read_only_client(network: ClientNet, client: Client) -> None:
    with pytest.raises(UnknownTask, match="task 1000000 does not exist"):
        client.task(1_000_000)
    threads = loop_threads()
    with network.client(account=None) as reader:
        assert loop_threads() == threads + 1
        assert reader.address is None
        with pytest.raises(NoAccount):
            reader.embed("hello")
        first = client.submit(network.model("embedding"), {"text": "read me"})
        assert reader.task(first.task_id).wait() == first.output()
    assert loop_threads() == threads  # closed: its loop thread is gone
