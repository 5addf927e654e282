"""The log follower against a real anvil: order, cursor, confirmations, reorgs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from oracles.chain.abi import EventDecoder
from oracles.chain.anvil import Anvil
from oracles.chain.errors import HandlerError, ReorgTooDeep, RpcError
from oracles.chain.follower import Log, LogFollower
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender

Deploy = Callable[[AsyncRpcClient, LocalAccount], Any]


class Consumer:
    """A consumer that keeps decoded Ping events in its own table, in the follower's txn."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.decoder = EventDecoder(abi)
        self.rollbacks: list[int] = []
        self.calls = 0

    def on_logs(self, conn: sqlite3.Connection, logs: list[Log]) -> None:
        self.calls += 1
        conn.execute(
            "CREATE TABLE IF NOT EXISTS pings (block INTEGER, log_index INTEGER, n INTEGER,"
            " note TEXT, PRIMARY KEY (block, log_index))"
        )
        for log in logs:
            event = self.decoder.decode(log)
            assert event is not None and event.name == "Ping"
            conn.execute(
                "INSERT INTO pings VALUES (?, ?, ?, ?)",
                (log.block_number, log.log_index, event.args["n"], event.args["note"]),
            )

    def on_rollback(self, conn: sqlite3.Connection, block: int) -> None:
        self.rollbacks.append(block)
        conn.execute("DELETE FROM pings WHERE block > ?", (block,))

    @staticmethod
    def rows(db: Path) -> list[tuple[int, int, int, str]]:
        with sqlite3.connect(db) as conn:
            return list(conn.execute("SELECT * FROM pings ORDER BY block, log_index"))


async def chain_pings(rpc: AsyncRpcClient, address: str, abi: list[dict[str, Any]]) -> list[tuple]:
    """What the chain says now, in the consumer's row format."""
    decoder = EventDecoder(abi)
    raw = await rpc.get_logs({"fromBlock": "0x0", "toBlock": "latest", "address": address})
    out = []
    for item in raw:
        log = Log.from_rpc(item)
        args = decoder.decode(log).args  # type: ignore[union-attr]
        out.append((log.block_number, log.log_index, args["n"], args["note"]))
    return sorted(out)


async def ping(sender: TxSender, emitter: Any, address: str, count: int, note: str = "") -> None:
    await sender.send(address, emitter.encode("ping", count, note))


class Setup:
    """Anvil + deployed Emitter + sender + a follower factory for one test."""

    def __init__(self, anvil: Anvil, account: LocalAccount, abi: list[dict[str, Any]], tmp: Path):
        from oracles.chain.contracts import Contract

        self.anvil = anvil
        self.account = account
        self.abi = abi
        self.db = tmp / "follower.db"
        self.rpc = AsyncRpcClient(anvil.url)
        self.sender = TxSender(self.rpc, account)
        self.consumer = Consumer(abi)
        self.address = ""
        self.contract_cls = Contract
        self.emitter: Any = None

    async def deploy(self, deploy: Deploy) -> None:
        self.address = await deploy(self.rpc, self.account)
        self.emitter = self.contract_cls("Emitter", self.address, self.abi)

    def follower(self, rpc: AsyncRpcClient | None = None, **kwargs: Any) -> LogFollower:
        return LogFollower(
            rpc or self.rpc,
            self.db,
            name="emitter",
            addresses=[self.address],
            on_logs=self.consumer.on_logs,
            on_rollback=self.consumer.on_rollback,
            **kwargs,
        )

    async def ping(self, count: int, note: str = "") -> None:
        await ping(self.sender, self.emitter, self.address, count, note)

    async def call(self, method: str, *params: Any) -> Any:
        return await self.rpc.call(method, list(params))

    async def assert_db_matches_chain(self) -> None:
        assert Consumer.rows(self.db) == await chain_pings(self.rpc, self.address, self.abi)


@pytest.fixture
def setup(
    anvil: Anvil, dev_accounts: list[LocalAccount], emitter_artifact: dict[str, Any], tmp_path: Path
) -> Setup:
    return Setup(anvil, dev_accounts[0], emitter_artifact["abi"], tmp_path)


def test_delivers_in_order_across_chunks_and_restarts(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        for i in range(12):
            await setup.ping(1 + i % 3, f"a{i}")
        first = setup.follower(chunk_size=3)
        assert await first.poll_once() == sum(1 + i % 3 for i in range(12))
        assert first.cursor == await setup.rpc.block_number()
        first.close()
        for i in range(5):
            await setup.ping(2, f"b{i}")
        # A new follower on the same DB resumes from the persisted cursor: no duplicates
        # (the consumer's primary key would reject them), nothing missed.
        second = setup.follower(chunk_size=4)
        assert await second.poll_once() == 10
        rows = Consumer.rows(setup.db)
        assert [r[2] for r in rows] == list(range(1, len(rows) + 1))
        await setup.assert_db_matches_chain()
        second.close()
        await setup.rpc.close()

    asyncio.run(main())


class LimitedRpc(AsyncRpcClient):
    """Refuses eth_getLogs over more than ``max_range`` blocks, like hosted providers."""

    max_range = 2
    refused = 0

    async def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        if int(flt["toBlock"], 16) - int(flt["fromBlock"], 16) + 1 > self.max_range:
            self.refused += 1
            raise RpcError("eth_getLogs", -32005, "query returned more than 10000 results")
        return await super().get_logs(flt)


def test_shrinks_the_range_when_the_provider_refuses(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        for i in range(9):
            await setup.ping(1, f"x{i}")
        limited = LimitedRpc(setup.anvil.url)
        follower = setup.follower(rpc=limited, chunk_size=100)
        assert await follower.poll_once() == 9
        assert limited.refused > 0
        await setup.assert_db_matches_chain()
        follower.close()
        await limited.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_confirmation_depth_is_respected(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        for i in range(6):
            await setup.ping(1, f"c{i}")
        head = await setup.rpc.block_number()
        follower = setup.follower(confirmations=3)
        await follower.poll_once()
        assert follower.cursor == head - 3
        assert max(r[0] for r in Consumer.rows(setup.db)) == head - 3
        await setup.call("anvil_mine", 3)
        await follower.poll_once()
        await setup.assert_db_matches_chain()
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_failing_handler_keeps_the_cursor_and_redelivers(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        await setup.ping(2, "h")
        calls: list[int] = []

        def flaky(conn: sqlite3.Connection, logs: list[Log]) -> None:
            calls.append(len(logs))
            setup.consumer.on_logs(conn, logs)
            if len(calls) == 1:
                raise ValueError("consumer bug")

        follower = setup.follower()
        follower.on_logs = flaky
        before = follower.cursor
        with pytest.raises(HandlerError, match="consumer bug"):
            await follower.poll_once()
        assert follower.cursor == before
        assert await follower.poll_once() == 2
        assert calls == [2, 2]
        await setup.assert_db_matches_chain()
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_reorg_with_anvil_reorg_rolls_the_consumer_back(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        for i in range(6):
            await setup.ping(1, f"r{i}")
        follower = setup.follower(chunk_size=2)
        await follower.poll_once()
        head = await setup.rpc.block_number()
        # Replace the last 3 blocks: one new tx with another note goes in the first of them.
        data = "0x" + setup.emitter.encode("ping", 2, "fork").hex()
        tx = {"from": setup.account.address, "to": setup.address, "data": data}
        await setup.call("anvil_reorg", 3, [[tx, 0]])
        assert await setup.rpc.block_number() == head
        await follower.poll_once()
        assert setup.consumer.rollbacks == [head - 3]
        rows = Consumer.rows(setup.db)
        assert [r[3] for r in rows][-2:] == ["fork", "fork"]
        await setup.assert_db_matches_chain()
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_reorg_by_snapshot_revert_and_rollback(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        await setup.ping(1, "base")
        snap = await setup.call("evm_snapshot")
        ancestor = await setup.rpc.block_number()
        for i in range(3):
            await setup.ping(1, f"old{i}")
        follower = setup.follower()
        await follower.poll_once()
        await setup.call("evm_revert", snap)
        for i in range(4):
            await setup.ping(2, f"new{i}")
        await follower.poll_once()
        assert setup.consumer.rollbacks == [ancestor]
        await setup.assert_db_matches_chain()
        # anvil_rollback lowers the head below the cursor; the follower follows it down.
        await setup.call("anvil_rollback", 2)
        await follower.poll_once()
        assert follower.cursor == await setup.rpc.block_number()
        await setup.assert_db_matches_chain()
        await setup.ping(1, "after")
        await follower.poll_once()
        await setup.assert_db_matches_chain()
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_reorg_below_the_remembered_hashes_is_an_error(setup: Setup, deploy: Deploy) -> None:
    async def main() -> None:
        await setup.deploy(deploy)
        for i in range(5):
            await setup.ping(1, f"d{i}")
        follower = setup.follower(hash_window=1)
        await follower.poll_once()
        await setup.call("anvil_reorg", 4, [])
        with pytest.raises(ReorgTooDeep):
            await follower.poll_once()
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())


def test_run_follows_a_live_chain_with_an_async_handler_and_topics(
    anvil_factory: Callable[..., Anvil],
    emitter_artifact: dict[str, Any],
    deploy: Deploy,
    tmp_path: Path,
) -> None:
    from eth_account import Account

    node = anvil_factory(block_time=0.2)
    account = Account.from_key(node.private_keys[0])
    setup = Setup(node, account, emitter_artifact["abi"], tmp_path)

    async def main() -> None:
        await setup.deploy(deploy)
        seen: list[int] = []

        async def on_logs(conn: sqlite3.Connection, logs: list[Log]) -> None:
            await asyncio.sleep(0)
            setup.consumer.on_logs(conn, logs)
            seen.extend(lg.block_number for lg in logs)

        follower = setup.follower(
            confirmations=1, poll_interval=0.1, topics=[setup.emitter.topic("Ping")]
        )
        follower.on_logs = on_logs
        stop = asyncio.Event()
        task = asyncio.create_task(follower.run(stop))
        await setup.ping(2, "live1")
        await setup.sender.send(setup.address, setup.emitter.encode("big", "t", [1], b""))
        await setup.ping(1, "live2")
        last = await setup.rpc.block_number()
        for _ in range(600):  # bound, so that a regression fails instead of hanging
            if follower.cursor >= last or task.done():
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
        assert follower.cursor >= last
        rows = Consumer.rows(setup.db)  # Big was filtered out by topic
        assert [r[3] for r in rows] == ["live1", "live1", "live2"]
        assert seen == sorted(seen)
        follower.close()
        await setup.rpc.close()

    asyncio.run(main())
