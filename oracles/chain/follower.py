"""Follow contract logs from a cursor persisted in SQLite, surviving restarts and reorgs.

:class:`LogFollower` delivers the logs of some contracts (optionally filtered by
topics) in chain order, ``(block, log index)``, up to ``head - confirmations``. It
fetches them with chunked ``eth_getLogs`` and halves a chunk when the provider refuses
it ("too many results", range limits), growing back after successes.

Guarantees:

* at least once: the cursor moves only after the consumer's ``on_logs`` returned, in the
  same SQLite transaction, on the connection the handler receives. A consumer that
  writes its own rows through that connection gets exactly-once effects in its DB.
* reorgs: the follower remembers the hashes of recent blocks it processed (each chunk's
  last block and every block that had a log). Before each poll it compares the newest
  with the chain; on a mismatch it walks back to the newest block that still matches
  (the common ancestor), calls ``on_rollback(conn, ancestor)`` in the same transaction
  that rewinds the cursor, then delivers again from ``ancestor + 1``. A reorg below every
  remembered hash raises :class:`ReorgTooDeep`.
* consistency of a chunk: the hash of the chunk's last block is read before and after
  ``eth_getLogs`` and the block before the chunk is checked against the stored hash, so
  a chunk is never stitched from two forks.

Tables (``<prefix>cursors`` and ``<prefix>block_hashes``) are created in the given
database; several followers share them under different ``name``s.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from eth_utils.address import to_checksum_address

from oracles.chain.errors import ChainError, HandlerError, ReorgTooDeep, RpcError
from oracles.chain.rpc import AsyncRpcClient

log = structlog.get_logger(__name__)

LogHandler = Callable[[sqlite3.Connection, list["Log"]], Awaitable[None] | None]
RollbackHandler = Callable[[sqlite3.Connection, int], Awaitable[None] | None]
Topics = Sequence[str | Sequence[str] | None]


@dataclass(frozen=True)
class Log:
    """A raw log. Hashes are ``0x`` hex strings; topics and data are bytes."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int

    @classmethod
    def from_rpc(cls, raw: dict[str, Any]) -> Log:
        """Build from an ``eth_getLogs`` entry."""
        return cls(
            address=to_checksum_address(raw["address"]),
            topics=tuple(bytes.fromhex(t[2:]) for t in raw["topics"]),
            data=bytes.fromhex(raw["data"][2:]),
            block_number=int(raw["blockNumber"], 16),
            block_hash=raw["blockHash"],
            tx_hash=raw["transactionHash"],
            tx_index=int(raw["transactionIndex"], 16),
            log_index=int(raw["logIndex"], 16),
        )


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if inspect.isawaitable(value):
        await value


def open_db(path: str | Path) -> sqlite3.Connection:
    """Open a SQLite DB in autocommit mode with WAL, as the follower expects."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class LogFollower:
    """Delivers contract logs in order, from a persisted cursor, with reorg rollback."""

    def __init__(
        self,
        rpc: AsyncRpcClient,
        db: str | Path | sqlite3.Connection,
        *,
        name: str,
        addresses: Sequence[str],
        on_logs: LogHandler,
        on_rollback: RollbackHandler | None = None,
        topics: Topics | None = None,
        start_block: int = 0,
        confirmations: int = 0,
        chunk_size: int = 2_000,
        poll_interval: float = 1.0,
        hash_window: int = 256,
        table_prefix: str = "chain_",
    ) -> None:
        if not table_prefix.replace("_", "").isalnum():
            raise ValueError("table_prefix must be alphanumeric or '_'")
        self.rpc = rpc
        self.metrics = rpc.metrics
        self.conn = db if isinstance(db, sqlite3.Connection) else open_db(db)
        self._owns_conn = not isinstance(db, sqlite3.Connection)
        self.name = name
        self.addresses = [to_checksum_address(a) for a in addresses]
        self.topics = list(topics) if topics is not None else None
        self.on_logs = on_logs
        self.on_rollback = on_rollback
        self.confirmations = confirmations
        self.chunk_size = max(1, chunk_size)
        self.poll_interval = poll_interval
        self.hash_window = hash_window
        self._chunk = self.chunk_size
        self._cursors = f"{table_prefix}cursors"
        self._hashes = f"{table_prefix}block_hashes"
        self._create_tables(start_block)

    # --- persistence -------------------------------------------------------------
    def _create_tables(self, start_block: int) -> None:
        c = self.conn
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {self._cursors} "
            "(name TEXT PRIMARY KEY, last_block INTEGER NOT NULL)"
        )
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {self._hashes} (name TEXT NOT NULL, "
            "number INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (name, number))"
        )
        c.execute(
            f"INSERT OR IGNORE INTO {self._cursors} (name, last_block) VALUES (?, ?)",
            (self.name, start_block - 1),
        )
        if c.in_transaction:
            c.commit()

    @property
    def cursor(self) -> int:
        """The last block fully delivered (``start_block - 1`` before the first)."""
        row = self.conn.execute(
            f"SELECT last_block FROM {self._cursors} WHERE name = ?", (self.name,)
        ).fetchone()
        return int(row[0])

    def _stored_hash(self, number: int) -> str | None:
        row = self.conn.execute(
            f"SELECT hash FROM {self._hashes} WHERE name = ? AND number = ?", (self.name, number)
        ).fetchone()
        return None if row is None else str(row[0])

    def _stored_hashes_desc(self) -> list[tuple[int, str]]:
        rows = self.conn.execute(
            f"SELECT number, hash FROM {self._hashes} WHERE name = ? ORDER BY number DESC",
            (self.name,),
        ).fetchall()
        return [(int(n), str(h)) for n, h in rows]

    def close(self) -> None:
        """Close the DB connection if the follower opened it."""
        if self._owns_conn:
            self.conn.close()

    # --- chain reads -------------------------------------------------------------
    async def _block(self, number: int) -> dict[str, Any] | None:
        return await self.rpc.get_block(number)

    async def _hash_at(self, number: int) -> str | None:
        block = await self._block(number)
        return None if block is None else str(block["hash"])

    async def _get_logs(self, start: int, end: int) -> list[dict[str, Any]]:
        flt: dict[str, Any] = {
            "fromBlock": hex(start),
            "toBlock": hex(end),
            "address": self.addresses,
        }
        if self.topics is not None:
            flt["topics"] = self.topics
        return await self.rpc.get_logs(flt)

    # --- reorgs ------------------------------------------------------------------
    async def check_reorg(self) -> int | None:
        """Roll back if the chain no longer holds the newest stored block hash.

        Returns the common ancestor rolled back to, or ``None`` when nothing changed.
        """
        stored = self._stored_hashes_desc()
        if not stored:
            return None
        for i, (number, stored_hash) in enumerate(stored):
            if await self._hash_at(number) == stored_hash:
                if i == 0:
                    return None
                await self._rollback(number)
                return number
        raise ReorgTooDeep(
            f"follower {self.name}: reorg below block {stored[-1][0]}, "
            "the oldest block hash it remembers"
        )

    async def _rollback(self, ancestor: int) -> None:
        log.warning("follower.reorg", follower=self.name, ancestor=ancestor, cursor=self.cursor)
        if self.metrics is not None:
            self.metrics.follower_reorgs.labels(self.name).inc()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if self.on_rollback is not None:
                await _maybe_await(self.on_rollback(c, ancestor))
            c.execute(
                f"DELETE FROM {self._hashes} WHERE name = ? AND number > ?", (self.name, ancestor)
            )
            c.execute(
                f"UPDATE {self._cursors} SET last_block = ? WHERE name = ? AND last_block > ?",
                (ancestor, self.name, ancestor),
            )
        except BaseException as exc:
            c.rollback()
            if isinstance(exc, Exception) and not isinstance(exc, ChainError):
                raise HandlerError(f"on_rollback failed: {exc!r}") from exc
            raise
        c.commit()

    # --- delivery ----------------------------------------------------------------
    async def _fetch_chunk(self, start: int, end: int) -> tuple[list[Log], int, str] | None:
        """Logs of ``[start, end']`` (``end' <= end``) from one fork, with the hash of end'.

        ``None`` when the chain changed under us (the caller checks for a reorg).
        """
        prev_hash = self._stored_hash(start - 1)
        while True:
            first = await self._hash_at(end)
            if first is None:
                return None
            try:
                raw = await self._get_logs(start, end)
            except RpcError as exc:
                if end == start:
                    raise
                end = start + (end - start) // 2
                self._chunk = end - start + 1
                log.info("follower.shrink", follower=self.name, chunk=self._chunk, error=str(exc))
                continue
            block = await self._block(end)
            if block is None or block["hash"] != first:
                return None
            if prev_hash is not None:
                parent = block["parentHash"] if end == start else await self._hash_at(start - 1)
                if parent != prev_hash:
                    return None
            logs = sorted(
                (Log.from_rpc(r) for r in raw if not r.get("removed")),
                key=lambda lg: (lg.block_number, lg.log_index),
            )
            if any(lg.block_number == end and lg.block_hash != first for lg in logs):
                return None
            self._chunk = min(self.chunk_size, self._chunk * 2)
            return logs, end, first

    async def _commit(self, logs: list[Log], end: int, end_hash: str) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if logs:
                await _maybe_await(self.on_logs(c, logs))
            hashes = {lg.block_number: lg.block_hash for lg in logs}
            hashes[end] = end_hash
            c.executemany(
                f"INSERT OR REPLACE INTO {self._hashes} (name, number, hash) VALUES (?, ?, ?)",
                [(self.name, n, h) for n, h in hashes.items()],
            )
            c.execute(f"UPDATE {self._cursors} SET last_block = ? WHERE name = ?", (end, self.name))
            c.execute(
                f"DELETE FROM {self._hashes} WHERE name = ? AND number < ?",
                (self.name, end - self.hash_window),
            )
        except BaseException as exc:
            c.rollback()
            if isinstance(exc, Exception) and not isinstance(exc, ChainError):
                raise HandlerError(f"on_logs failed: {exc!r}") from exc
            raise
        c.commit()

    async def poll_once(self) -> int:
        """Check for a reorg, then deliver everything up to ``head - confirmations``.

        Returns the number of logs delivered.
        """
        delivered = 0
        await self.check_reorg()
        target = await self.rpc.block_number() - self.confirmations
        retries = 0
        while self.cursor < target:
            start = self.cursor + 1
            got = await self._fetch_chunk(start, min(target, start + self._chunk - 1))
            if got is None:
                retries += 1
                if retries > 10:
                    break  # chain keeps moving under us; try again next poll
                await self.check_reorg()
                target = await self.rpc.block_number() - self.confirmations
                continue
            logs, end, end_hash = got
            await self._commit(logs, end, end_hash)
            delivered += len(logs)
            if self.metrics is not None:
                self.metrics.follower_logs.labels(self.name).inc(len(logs))
                self.metrics.follower_cursor.labels(self.name).set(end)
        return delivered

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll until ``stop`` is set. RPC outages are logged and retried; a failing
        handler or a too-deep reorg ends the loop with the exception."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.poll_once()
            except (HandlerError, ReorgTooDeep):
                raise
            except ChainError as exc:
                log.warning("follower.poll_failed", follower=self.name, error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
