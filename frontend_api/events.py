"""Decoded contract events as the index stores them (the ``events`` table).

Events carry JSON-ready arguments (bytes as ``0x`` hex, integers beyond 2**53 as
decimal strings), both live from the follower and when read back from ``events``
after a reorg, so that one code path applies both.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

JS_SAFE = 2**53


def jsonable(value: Any) -> Any:
    """Bytes to ``0x`` hex, tuples to lists, integers beyond 2**53 to strings."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= JS_SAFE:
        return str(value)
    return value


def unhex(value: str) -> bytes:
    return bytes.fromhex(value[2:])


@dataclass(frozen=True)
class Event:
    """One decoded log as stored in ``events``."""

    id: int
    block: int
    log_index: int
    tx_hash: str
    timestamp: int
    contract: str
    name: str
    args: dict[str, Any]

    @property
    def task_id(self) -> int | None:
        value = self.args.get("task_id")
        return None if value is None else int(value)

    @property
    def agent(self) -> str | None:
        """The agent or account the event is about (``Withdrawn`` names an account)."""
        for key in ("agent", "account"):
            if key in self.args:
                return str(self.args[key])
        return None

    @property
    def model_id(self) -> str | None:
        value = self.args.get("model_id")
        return None if value is None else str(value)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "block": self.block,
            "log_index": self.log_index,
            "tx_hash": self.tx_hash,
            "timestamp": self.timestamp,
            "contract": self.contract,
            "name": self.name,
            "args": self.args,
        }


def store(conn: sqlite3.Connection, event: Event) -> Event:
    """Insert ``event`` into ``events``; returns it with its row id."""
    cur = conn.execute(
        "INSERT INTO events (block, log_index, tx_hash, timestamp, contract, name, task_id,"
        " agent, model_id, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.block,
            event.log_index,
            event.tx_hash,
            event.timestamp,
            event.contract,
            event.name,
            event.task_id,
            event.agent,
            event.model_id,
            json.dumps(event.args, separators=(",", ":")),
        ),
    )
    return replace(event, id=cur.lastrowid or 0)


def stored(conn: sqlite3.Connection, where: str, params: tuple[Any, ...] = ()) -> list[Event]:
    """Stored events matching the SQL condition ``where``, in the order they happened."""
    return [
        Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
        for r in conn.execute(
            "SELECT id, block, log_index, tx_hash, timestamp, contract, name, args FROM events"
            f" WHERE {where} ORDER BY id",
            params,
        )
    ]
