"""Follow every event of the three contracts into SQLite, and tell listeners.

One :class:`~oracles.chain.follower.LogFollower` (reorg-aware and resumable) delivers
the logs of ModelRegistry, AgentStaking and TaskMarket. ``on_logs`` decodes them,
stamps each with its block's timestamp (headers fetched once and cached in ``blocks``),
stores them in ``events`` and applies them to the derived tables, all in the follower's
transaction. ``on_rollback`` forgets what a reorg dropped (:func:`apply.rollback`).
Once a poll has committed, listeners (the SSE route) get the new events. Before the
first poll it reads the market's fixed ``grace_period`` (no event carries it).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import structlog

from frontend_api.apply import apply, rollback
from frontend_api.apply_tasks import PARAMS
from frontend_api.db import get_meta, open_writer, set_meta
from frontend_api.events import Event, jsonable, store
from oracles.chain.contracts import Contract, Deployment
from oracles.chain.errors import ChainError, HandlerError, ReorgTooDeep
from oracles.chain.follower import Log, LogFollower
from oracles.chain.rpc import AsyncRpcClient

log = structlog.get_logger(__name__)

CONTRACTS = ("ModelRegistry", "AgentStaking", "TaskMarket")
# Events of protocol v2's TaskMarket that v1 did not have.
V2_EVENTS = ("TaskRedrawn", "SubmissionSkipped", "ParamsVersionAdded")
Listener = Callable[[dict[str, Any] | None], None]  # None: the stream ends
TimestampSource = Callable[[Iterable[tuple[int, str]]], Awaitable[dict[int, int]]]


def check_protocol(deployment: Deployment) -> None:
    """Refuse a deployment record of another protocol version (its events differ)."""
    market = deployment["TaskMarket"]
    events = {i.get("name") for i in market.abi if i.get("type") == "event"}
    missing = [name for name in V2_EVENTS if name not in events]
    if missing:
        raise ChainError(
            f"the deployment's TaskMarket ({market.address}) has no {', '.join(missing)} "
            "event: it is not protocol v2, which this API indexes"
        )


class EventHandler:
    """Decodes, timestamps, stores and applies logs: the follower's ``on_logs``."""

    def __init__(self, deployment: Deployment, timestamps: TimestampSource) -> None:
        self.by_address: dict[str, Contract] = {
            deployment[name].address: deployment[name] for name in CONTRACTS
        }
        self.timestamps = timestamps
        self.pending: list[dict[str, Any]] = []

    async def on_logs(self, conn: sqlite3.Connection, logs: list[Log]) -> None:
        stamps = await self.timestamps({(lg.block_number, lg.block_hash) for lg in logs})
        conn.executemany(
            "INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)",
            [(lg.block_number, lg.block_hash, stamps[lg.block_number]) for lg in logs],
        )
        for lg in logs:
            contract = self.by_address.get(lg.address)
            decoded = contract.decode_log(lg) if contract is not None else None
            if contract is None or decoded is None:
                continue
            args = {k: jsonable(v) for k, v in decoded.args.items()}
            event = Event(
                0,
                lg.block_number,
                lg.log_index,
                lg.tx_hash,
                stamps[lg.block_number],
                contract.name,
                decoded.name,
                args,
            )
            event = store(conn, event)
            apply(conn, event)
            self.pending.append(event.as_json())

    def on_rollback(self, conn: sqlite3.Connection, ancestor: int) -> None:
        rollback(conn, ancestor)
        self.pending = [e for e in self.pending if e["block"] <= ancestor]
        self.pending.append({"name": "Reorg", "ancestor": ancestor})


class Indexer:
    """Runs the follower in a task; ``generation`` grows with every committed change."""

    def __init__(
        self,
        rpc: AsyncRpcClient,
        deployment: Deployment,
        db_path: str | Path,
        *,
        poll_interval: float = 0.5,
        confirmations: int = 0,
    ) -> None:
        check_protocol(deployment)
        self.rpc = rpc
        self.deployment = deployment
        self.conn = open_writer(db_path)
        self.handler = EventHandler(deployment, self._timestamps)
        self.follower = LogFollower(
            rpc,
            self.conn,
            name="api",
            addresses=[deployment[n].address for n in CONTRACTS],
            on_logs=self.handler.on_logs,
            on_rollback=self.handler.on_rollback,
            start_block=deployment.block,
            confirmations=confirmations,
            poll_interval=poll_interval,
        )
        self.poll_interval = poll_interval
        self.listeners: set[Listener] = set()
        self.generation = 0
        self.head_number = 0
        self.head_timestamp = 0
        self.error: BaseException | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _timestamps(self, blocks: Iterable[tuple[int, str]]) -> dict[int, int]:
        wanted = dict(blocks)
        out: dict[int, int] = {}
        for number, block_hash in wanted.items():
            row = self.conn.execute(
                "SELECT timestamp FROM blocks WHERE number = ? AND hash = ?", (number, block_hash)
            ).fetchone()
            if row is not None:
                out[number] = int(row[0])
        missing = [(n, h) for n, h in wanted.items() if n not in out]
        headers = await asyncio.gather(
            *(self.rpc.call("eth_getBlockByHash", [h, False]) for _, h in missing)
        )
        for (number, block_hash), header in zip(missing, headers, strict=True):
            if header is None:
                raise ChainError(f"block {block_hash} vanished while indexing")
            out[number] = int(header["timestamp"], 16)
        return out

    async def _init_params(self) -> None:
        """The fixed grace period, and the current parameters as a fallback.

        A task takes its windows and slash amounts from the ParamsVersionAdded event
        before it; the getters' values serve a task indexed without one.
        """
        market = self.deployment["TaskMarket"]
        for key in ("grace_period", *PARAMS):
            if get_meta(self.conn, key) is None:
                value = await market.acall(self.rpc, key)
                set_meta(self.conn, key, str(int(value)))

    async def poll_once(self) -> int:
        """One follower poll, then tell listeners. Returns the logs delivered."""
        self.handler.pending = []
        try:
            delivered = await self.follower.poll_once()
        except BaseException:
            self.handler.pending = []
            raise
        head = await self.rpc.get_block("latest")
        if head is not None:
            self.head_number = int(head["number"], 16)
            self.head_timestamp = int(head["timestamp"], 16)
        events, self.handler.pending = self.handler.pending, []
        if events:
            self.generation += 1
        for event in events:
            for listener in list(self.listeners):
                listener(event)
        return delivered

    async def run(self) -> None:
        """Poll until stopped. RPC outages are retried; a broken handler stops indexing."""
        await self._init_params()
        while not self._stop.is_set():
            try:
                await self.poll_once()
            except (HandlerError, ReorgTooDeep) as exc:
                log.error("indexer.stopped", error=str(exc))
                self.error = exc
                raise
            except ChainError as exc:
                log.warning("indexer.poll_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="indexer")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running indexing task (done only when indexing stopped for good)."""
        return self._task

    async def stop(self) -> None:
        self._stop.set()
        for listener in list(self.listeners):
            listener(None)
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._task
        self.conn.close()
