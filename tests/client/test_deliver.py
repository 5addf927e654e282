"""``Client.deliver``: a consumer contract's task output, handed to it once it is finalized.

On the client tests' network (tiny classification package, real workers), with the
example guestbook (contracts/consumer/examples/Guestbook.vy) as the consumer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oracles.client import Client, ClientError, NoAccount, Reverted
from oracles.client.deliver import DELIVER_SELECTOR, deliver_calldata
from oracles.client.outputs import decode_classification
from oracles.guestbook import Guestbook, deploy_guestbook
from tests.client.conftest import ClientNet


@pytest.fixture(scope="module")
def guestbook(network: ClientNet, tmp_path_factory: pytest.TempPathFactory) -> Guestbook:
    local = network.net.net
    record = deploy_guestbook(
        network.url,
        local.deployer,
        local.deployment,
        network.model("classification"),
        out=tmp_path_factory.mktemp("guestbook") / "guestbook.json",
    )
    return Guestbook.load(network.url, local.deployment.chain_id, record)


def test_deliver_hands_the_output_to_the_contract(
    client: Client, guestbook: Guestbook, network: ClientNet
) -> None:
    post_id, task_id = guestbook.post(network.net.net.requester, "hello from the client tests")
    tx_hash = client.deliver(guestbook.address, task_id)
    assert tx_hash.startswith("0x") and len(tx_hash) == 66
    index, _ = decode_classification(client.task(task_id).output())
    # The guestbook publishes exactly when the committee chose label 1 (genuine).
    assert guestbook.get(post_id).status == ("published" if index == 1 else "rejected")


def test_a_second_delivery_is_refused_and_nothing_is_sent(
    client: Client, guestbook: Guestbook, network: ClientNet
) -> None:
    requester = network.net.net.requester.address
    _, task_id = guestbook.post(network.net.net.requester, "twice")
    client.deliver(guestbook.address, task_id)
    nonce = int(network.net.rpc("eth_getTransactionCount", [requester, "latest"]), 16)
    with pytest.raises(Reverted, match="consumer: result already delivered") as refused:
        client.deliver(guestbook.address, task_id)
    assert refused.value.function == "deliver"
    assert int(network.net.rpc("eth_getTransactionCount", [requester, "latest"]), 16) == nonce


def test_a_task_the_contract_did_not_post_is_refused(
    client: Client, guestbook: Guestbook, network: ClientNet
) -> None:
    handle = client.submit(
        network.model("classification"),
        {"text": "direct", "labels": ["spam", "a genuine guestbook message"]},
    )
    with pytest.raises(Reverted, match="consumer: task not posted by this contract"):
        client.deliver(guestbook.address, handle.task_id)


def test_deliver_needs_an_account_and_an_address(
    network: ClientNet, guestbook: Guestbook, tmp_path: Path
) -> None:
    with network.client(account=None) as reader:
        handle_id = reader.task_count()
        with pytest.raises(NoAccount):
            reader.deliver(guestbook.address, handle_id)
    with network.client() as client, pytest.raises(ClientError, match="not a contract address"):
        client.deliver("guestbook", handle_id)


def test_calldata_is_the_contracts_deliver(guestbook: Guestbook) -> None:
    assert deliver_calldata(7, b"\x01\x02") == guestbook.contract.encode("deliver", 7, b"\x01\x02")
    assert deliver_calldata(7, b"")[:4] == DELIVER_SELECTOR
