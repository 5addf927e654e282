"""A transaction waiting behind a nonce the node holds nothing for is seen as a gap.

On a real anvil without automine: raw transactions of one key are sent with the
nonces a test chooses, and :class:`~oracles.worker.nonces.NonceWatch` is asked, as
the worker's submitter asks it every second, whether one of ours waits in vain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from oracles.chain.anvil import Anvil
from oracles.chain.rpc import AsyncRpcClient, SyncRpcClient
from oracles.worker.nonces import NonceWatch


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with Anvil(block_time=None) as node:
        yield node


def node(anvil: Anvil, method: str, params: list[object]) -> object:
    return SyncRpcClient(anvil.url).call(method, params)


def send(anvil: Anvil, account: LocalAccount, nonce: int) -> None:
    tx = {
        "type": 2,
        "chainId": anvil.chain_id,
        "to": account.address,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": nonce,
    }
    raw = "0x" + account.sign_transaction(tx).raw_transaction.hex()
    node(anvil, "eth_sendRawTransaction", [raw])


def test_waiting_transaction_above_a_nonce_nobody_fills_is_a_gap(anvil: Anvil) -> None:
    account = Account.from_key(anvil.private_keys[5])
    node(anvil, "evm_setAutomine", [False])
    now = [100.0]

    async def check() -> list[tuple[int, int] | None]:
        async with AsyncRpcClient(anvil.url) as rpc:
            watch = NonceWatch(rpc, account.address, clock=lambda: now[0])
            seen = [await watch.gap(3.0)]  # nothing waits
            send(anvil, account, 2)  # nonces 0 and 1 never sent: the node holds nothing there
            watch.sent("commit", 2)
            seen.append(await watch.gap(3.0))  # too young to tell
            now[0] += 3.0
            seen.append(await watch.gap(3.0))
            send(anvil, account, 0)  # the node now holds the next nonce...
            seen.append(await watch.gap(3.0))
            node(anvil, "evm_mine", [])  # ...and mines it: 1 is missing again
            seen.append(await watch.gap(3.0))
            send(anvil, account, 1)
            seen.append(await watch.gap(3.0))
            watch.done("commit")
            seen.append(await watch.gap(3.0))
            return seen

    assert asyncio.run(check()) == [None, None, (0, 2), None, (1, 2), None, None]
