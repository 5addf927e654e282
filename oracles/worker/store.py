"""Per-task state of one worker, in SQLite.

Every decision the worker makes is written here before the matching transaction
is sent: the output and the salt of a task are stored before its commit, so a
worker killed at any point reveals the same result after a restart. The chain
stays the judge of what happened: the reconcile loop reads the member's on-chain
state before each step, and ``state`` mirrors what it last saw.

States: ``waiting`` (parents not done) -> ``seen`` -> ``computed`` ->
``committed`` -> ``revealed`` -> ``finalized`` | ``failed``; ``observer`` for
tasks of our models where our agent is not on the committee (kept for parent
outputs and activation).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS worker_tasks (
    task_id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    input BLOB NOT NULL,
    parents TEXT NOT NULL,
    committee TEXT NOT NULL,
    quorum INTEGER NOT NULL,
    member INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_block INTEGER NOT NULL,
    output BLOB,
    result_hash TEXT,
    salt TEXT,
    commit_tx TEXT,
    commit_sent_at REAL,
    reveal_tx TEXT,
    finalize_tx TEXT,
    seen_at REAL NOT NULL,
    computed_at REAL,
    committed_at REAL,
    revealed_at REAL,
    done_at REAL,
    inference_ms REAL
);
CREATE TABLE IF NOT EXISTS worker_finals (
    task_id INTEGER PRIMARY KEY,
    status INTEGER NOT NULL,
    result_hash TEXT NOT NULL,
    output BLOB NOT NULL,
    block INTEGER NOT NULL
);
"""

ACTIVE_STATES = ("waiting", "seen", "computed", "committed", "revealed")
TERMINAL_STATES = ("finalized", "failed")


@dataclass
class TaskRow:
    task_id: int
    model_id: str
    input: bytes
    parents: list[int]
    committee: list[str]
    quorum: int
    member: bool
    state: str
    created_block: int
    output: bytes | None
    result_hash: str | None
    salt: str | None
    commit_tx: str | None
    reveal_tx: str | None
    finalize_tx: str | None
    seen_at: float
    computed_at: float | None
    inference_ms: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TaskRow:
        return cls(
            task_id=row["task_id"],
            model_id=row["model_id"],
            input=bytes(row["input"]),
            parents=json.loads(row["parents"]),
            committee=json.loads(row["committee"]),
            quorum=row["quorum"],
            member=bool(row["member"]),
            state=row["state"],
            created_block=row["created_block"],
            output=bytes(row["output"]) if row["output"] is not None else None,
            result_hash=row["result_hash"],
            salt=row["salt"],
            commit_tx=row["commit_tx"],
            reveal_tx=row["reveal_tx"],
            finalize_tx=row["finalize_tx"],
            seen_at=row["seen_at"],
            computed_at=row["computed_at"],
            inference_ms=row["inference_ms"],
        )


class TaskStore:
    """The worker's tables, on a connection shared with its log follower."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self.conn.executescript(SCHEMA)

    # --- writes from events (inside the follower's transaction) -------------------
    def upsert_task(
        self,
        task_id: int,
        model_id: str,
        task_input: bytes,
        parents: list[int],
        committee: list[str],
        quorum: int,
        member: bool,
        created_block: int,
    ) -> None:
        state = "waiting" if parents and not committee else ("seen" if member else "observer")
        self.conn.execute(
            "INSERT INTO worker_tasks (task_id, model_id, input, parents, committee, quorum,"
            " member, state, created_block, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(task_id) DO NOTHING",
            (
                task_id,
                model_id,
                task_input,
                json.dumps(parents),
                json.dumps(committee),
                quorum,
                int(member),
                state,
                created_block,
                time.time(),
            ),
        )

    def set_committee(self, task_id: int, committee: list[str], member: bool) -> None:
        self.conn.execute(
            "UPDATE worker_tasks SET committee = ?, member = ?, state = CASE"
            " WHEN state = 'waiting' THEN (CASE WHEN ? THEN 'seen' ELSE 'observer' END)"
            " ELSE state END WHERE task_id = ?",
            (json.dumps(committee), int(member), int(member), task_id),
        )

    def record_final(
        self, task_id: int, status: int, result_hash: str, output: bytes, block: int
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO worker_finals VALUES (?,?,?,?,?)",
            (task_id, status, result_hash, output, block),
        )

    def rollback(self, ancestor: int) -> None:
        """Forget what blocks after ``ancestor`` told us; the chain is re-read after."""
        self.conn.execute("DELETE FROM worker_finals WHERE block > ?", (ancestor,))
        # A task created in a dropped block may come back different: forget it unless
        # we already hold a salt for it (a re-included task keeps its id and content).
        self.conn.execute(
            "DELETE FROM worker_tasks WHERE created_block > ? AND salt IS NULL", (ancestor,)
        )

    # --- writes from the reconcile loop -------------------------------------------
    def save_output(
        self, task_id: int, output: bytes, result_hash: str, salt: str, inference_ms: float
    ) -> None:
        """Persist output and salt before anything is committed (never overwritten)."""
        with self.conn:
            self.conn.execute(
                "UPDATE worker_tasks SET output = ?, result_hash = ?, salt = ?,"
                " computed_at = ?, inference_ms = ?, state = 'computed'"
                " WHERE task_id = ? AND salt IS NULL",
                (output, result_hash, salt, time.time(), inference_ms, task_id),
            )

    def set_state(self, task_id: int, state: str) -> None:
        column = {"committed": "committed_at", "revealed": "revealed_at"}.get(state)
        with self.conn:
            if column:
                self.conn.execute(
                    f"UPDATE worker_tasks SET state = ?, {column} = COALESCE({column}, ?)"
                    " WHERE task_id = ?",
                    (state, time.time(), task_id),
                )
            elif state in TERMINAL_STATES:
                self.conn.execute(
                    "UPDATE worker_tasks SET state = ?, done_at = COALESCE(done_at, ?)"
                    " WHERE task_id = ?",
                    (state, time.time(), task_id),
                )
            else:
                self.conn.execute(
                    "UPDATE worker_tasks SET state = ? WHERE task_id = ?", (state, task_id)
                )

    def set_sent(self, task_id: int, when: float) -> None:
        """When our first commit transaction for the task was broadcast."""
        with self.conn:
            self.conn.execute(
                "UPDATE worker_tasks SET commit_sent_at = COALESCE(commit_sent_at, ?)"
                " WHERE task_id = ?",
                (when, task_id),
            )

    def set_tx(self, task_id: int, kind: str, tx_hash: str) -> None:
        if kind not in ("commit_tx", "reveal_tx", "finalize_tx"):
            raise ValueError(kind)
        with self.conn:
            self.conn.execute(
                f"UPDATE worker_tasks SET {kind} = ? WHERE task_id = ?", (tx_hash, task_id)
            )

    # --- reads ------------------------------------------------------------------------
    def active(self) -> list[TaskRow]:
        rows = self.conn.execute(
            "SELECT * FROM worker_tasks WHERE state IN (?,?,?,?,?,'observer') ORDER BY task_id",
            ACTIVE_STATES,
        ).fetchall()
        return [TaskRow.from_row(r) for r in rows]

    def get(self, task_id: int) -> TaskRow | None:
        row = self.conn.execute(
            "SELECT * FROM worker_tasks WHERE task_id = ?", (task_id,)
        ).fetchone()
        return TaskRow.from_row(row) if row else None

    def final(self, task_id: int) -> tuple[int, bytes] | None:
        row = self.conn.execute(
            "SELECT status, output FROM worker_finals WHERE task_id = ?", (task_id,)
        ).fetchone()
        return (int(row["status"]), bytes(row["output"])) if row else None

    def counts(self) -> dict[str, int]:
        return {
            r["state"]: r["n"]
            for r in self.conn.execute(
                "SELECT state, COUNT(*) AS n FROM worker_tasks GROUP BY state"
            ).fetchall()
        }

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM worker_tasks ORDER BY task_id")]
