"""The transaction sender against a real anvil."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from oracles.chain.anvil import Anvil, free_port
from oracles.chain.contracts import Contract
from oracles.chain.errors import SimulationReverted, TransactionFailed
from oracles.chain.rpc import AsyncRpcClient, RetryPolicy
from oracles.chain.sender import FeePolicy, SentTx, TxSender, send_sync

Deploy = Callable[[AsyncRpcClient, LocalAccount], Any]


async def counter(rpc: AsyncRpcClient, emitter: Contract) -> int:
    out = await rpc.call(
        "eth_call",
        [{"to": emitter.address, "data": "0x" + emitter.encode("counter").hex()}, "latest"],
    )
    return int(emitter.decode_output("counter", out))


def test_concurrent_sends_get_distinct_nonces(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            emitter = Contract(
                "Emitter", await deploy(rpc, dev_accounts[0]), emitter_artifact["abi"]
            )
            sender = TxSender(rpc, dev_accounts[1])
            receipts = await asyncio.gather(
                *(
                    sender.send(emitter.address, emitter.encode("ping", 1, f"c{i}"))
                    for i in range(8)
                )
            )
            assert all(r["status"] == "0x1" for r in receipts)
            nonces = []
            for r in receipts:
                tx = await rpc.call("eth_getTransactionByHash", [r["transactionHash"]])
                nonces.append(int(tx["nonce"], 16))
            assert sorted(nonces) == list(range(8))
            assert await counter(rpc, emitter) == 8

    asyncio.run(main())


def test_nonce_resyncs_after_someone_else_used_the_key(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            account = dev_accounts[0]
            emitter = Contract("Emitter", await deploy(rpc, account), emitter_artifact["abi"])
            sender = TxSender(rpc, account)
            await sender.send(emitter.address, emitter.encode("ping", 1, "mine"))
            # Another process signs with the same key (anvil signs for its dev accounts).
            for _ in range(2):
                await rpc.call(
                    "eth_sendTransaction",
                    [
                        {
                            "from": account.address,
                            "to": emitter.address,
                            "data": "0x" + emitter.encode("ping", 1, "theirs").hex(),
                        }
                    ],
                )
            sender._inflight = 1  # pretend a send is in flight, so no proactive resync
            receipt = await sender.send(emitter.address, emitter.encode("ping", 1, "mine"))
            sender._inflight = 0
            assert receipt["status"] == "0x1"
            assert await counter(rpc, emitter) == 4

    asyncio.run(main())


def test_simulation_surfaces_the_revert_reason_and_sends_nothing(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            emitter = Contract(
                "Emitter", await deploy(rpc, dev_accounts[0]), emitter_artifact["abi"]
            )
            sender = TxSender(rpc, dev_accounts[1])
            with pytest.raises(SimulationReverted, match="emitter: boom") as info:
                await sender.send(emitter.address, emitter.encode("fail"))
            assert info.value.reason == "emitter: boom"
            count = await rpc.call("eth_getTransactionCount", [dev_accounts[1].address, "pending"])
            assert count == "0x0"

    asyncio.run(main())


def test_mined_revert_raises_transaction_failed(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            emitter = Contract(
                "Emitter", await deploy(rpc, dev_accounts[0]), emitter_artifact["abi"]
            )
            sender = TxSender(rpc, dev_accounts[1])
            # The simulation passes, but the gas limit is too low for 10 events on chain.
            with pytest.raises(TransactionFailed) as info:
                await sender.send(emitter.address, emitter.encode("ping", 10, "x"), gas=40_000)
            assert info.value.receipt["status"] == "0x0"
            # The nonce was used; the next send goes through.
            ok = await sender.send(emitter.address, emitter.encode("ping", 1, "y"))
            assert ok["status"] == "0x1"

    asyncio.run(main())


def test_fee_bump_replaces_a_held_transaction(
    anvil_factory: Callable[..., Anvil],
    emitter_artifact: dict[str, Any],
    deploy: Deploy,
) -> None:
    from eth_account import Account

    node = anvil_factory(no_mining=True)
    account = Account.from_key(node.private_keys[0])

    async def main() -> None:
        async with AsyncRpcClient(node.url) as rpc:
            deploying = asyncio.create_task(deploy(rpc, account))
            while not deploying.done():
                await rpc.call("evm_mine")
                await asyncio.sleep(0.05)
            emitter = Contract("Emitter", deploying.result(), emitter_artifact["abi"])
            sent: list[SentTx] = []
            first_sent = asyncio.Event()

            def on_sent(tx: SentTx) -> None:
                sent.append(tx)
                first_sent.set()

            sender = TxSender(
                rpc,
                account,
                fees=FeePolicy(bump_after_blocks=2),
                poll_interval=0.05,
                on_sent=on_sent,
            )
            sending = asyncio.create_task(
                sender.send(emitter.address, emitter.encode("ping", 1, "bump"))
            )
            await first_sent.wait()
            # Base fee jumps above what the first tx pays: it stays in the pool, unmined.
            await rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(sent[0].max_fee * 4)])
            while not sending.done():
                await rpc.call("evm_mine")
                await asyncio.sleep(0.05)
            receipt = sending.result()
            assert len(sent) >= 2
            assert receipt["transactionHash"] == sent[-1].tx_hash
            assert {s.nonce for s in sent} == {sent[0].nonce}
            for old, new in zip(sent, sent[1:], strict=False):
                assert new.max_fee * 1000 >= old.max_fee * 1125
                assert new.priority_fee * 1000 >= old.priority_fee * 1125
            assert await rpc.call("eth_getTransactionReceipt", [sent[0].tx_hash]) is None

    asyncio.run(main())


def test_sender_fails_over_when_the_first_url_is_dead(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        dead = f"http://127.0.0.1:{free_port()}"
        retry = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, timeout=2.0)
        async with AsyncRpcClient([dead, anvil.url], retry=retry) as rpc:
            emitter = Contract(
                "Emitter", await deploy(rpc, dev_accounts[0]), emitter_artifact["abi"]
            )
            receipt = await TxSender(rpc, dev_accounts[0]).send(
                emitter.address, emitter.encode("ping", 1, "f")
            )
            assert receipt["status"] == "0x1"
            assert rpc.stats.failovers >= 1

    asyncio.run(main())


def test_on_chain_revert_reports_its_reason(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], deploy: Deploy
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            emitter = Contract(
                "Emitter", await deploy(rpc, dev_accounts[0]), emitter_artifact["abi"]
            )
            sender = TxSender(rpc, dev_accounts[1])
            with pytest.raises(TransactionFailed, match="emitter: boom") as info:
                await sender.send(
                    emitter.address, emitter.encode("fail"), gas=100_000, simulate=False
                )
            assert info.value.reason == "emitter: boom"

    asyncio.run(main())


def test_send_sync_for_blocking_callers(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any]
) -> None:
    receipt = send_sync(anvil.url, dev_accounts[2], None, emitter_artifact["bytecode"])
    assert receipt["status"] == "0x1" and receipt["contractAddress"]
