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

Model ids, result hashes and salts are BLOBs (the bytes the contracts use);
transaction hashes are the ``0x`` text the node returns. The schema version is
SQLite's ``user_version``; a file of version 0 (hex text columns) is migrated in
place when it is opened.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, replace

from oracles.errors import AgentnetError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS worker_tasks (
    task_id INTEGER PRIMARY KEY,
    model_id BLOB NOT NULL,
    input BLOB NOT NULL,
    parents TEXT NOT NULL,
    committee TEXT NOT NULL,
    quorum INTEGER NOT NULL,
    member INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_block INTEGER NOT NULL,
    output BLOB,
    result_hash BLOB,
    salt BLOB,
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
    result_hash BLOB NOT NULL,
    output BLOB NOT NULL,
    block INTEGER NOT NULL
);
"""

ACTIVE_STATES = ("waiting", "seen", "computed", "committed", "revealed")
TERMINAL_STATES = ("finalized", "failed")
TX_COLUMNS = {"commit": "commit_tx", "reveal": "reveal_tx", "finalize": "finalize_tx"}


class StoreError(AgentnetError):
    """The worker's database file cannot be used by this version of the worker."""


@dataclass(frozen=True)
class TaskRow:
    task_id: int
    model_id: bytes
    input: bytes
    parents: list[int]
    committee: list[str]
    quorum: int
    member: bool
    state: str
    created_block: int
    output: bytes | None
    result_hash: bytes | None
    salt: bytes | None
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
            model_id=bytes(row["model_id"]),
            input=bytes(row["input"]),
            parents=json.loads(row["parents"]),
            committee=json.loads(row["committee"]),
            quorum=row["quorum"],
            member=bool(row["member"]),
            state=row["state"],
            created_block=row["created_block"],
            output=_blob(row["output"]),
            result_hash=_blob(row["result_hash"]),
            salt=_blob(row["salt"]),
            commit_tx=row["commit_tx"],
            reveal_tx=row["reveal_tx"],
            finalize_tx=row["finalize_tx"],
            seen_at=row["seen_at"],
            computed_at=row["computed_at"],
            inference_ms=row["inference_ms"],
        )


def _blob(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


def _unhex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value.removeprefix("0x"))


class TaskStore:
    """The worker's tables, on a connection shared with its log follower."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self._open_schema()

    # --- schema -------------------------------------------------------------------
    def _open_schema(self) -> None:
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the worker database has schema version {version}, newer than this "
                f"worker's {SCHEMA_VERSION}: run a newer agentnet, or give another --db"
            )
        has_tasks = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker_tasks'"
        ).fetchone()
        if version == 0 and has_tasks:
            self._migrate_from_hex_text()
        self.conn.executescript(SCHEMA)
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _migrate_from_hex_text(self) -> None:
        """Version 0 kept model ids, result hashes and salts as ``0x``/hex text."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("ALTER TABLE worker_tasks RENAME TO worker_tasks_v0")
            conn.execute("ALTER TABLE worker_finals RENAME TO worker_finals_v0")
            # executescript would commit the open transaction: one statement at a time.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            tasks = [dict(r) for r in conn.execute("SELECT * FROM worker_tasks_v0")]
            for task in tasks:
                for column in ("model_id", "result_hash", "salt"):
                    task[column] = _unhex(task[column])
                names = ", ".join(task)
                marks = ", ".join("?" * len(task))
                conn.execute(
                    f"INSERT INTO worker_tasks ({names}) VALUES ({marks})", list(task.values())
                )
            conn.executemany(
                "INSERT INTO worker_finals VALUES (?,?,?,?,?)",
                [
                    (r["task_id"], r["status"], _unhex(r["result_hash"]), r["output"], r["block"])
                    for r in conn.execute("SELECT * FROM worker_finals_v0").fetchall()
                ],
            )
            conn.execute("DROP TABLE worker_tasks_v0")
            conn.execute("DROP TABLE worker_finals_v0")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, ValueError) as exc:
            conn.rollback()
            raise StoreError(f"cannot migrate the worker database to version 1: {exc}") from exc
        conn.commit()

    # --- writes from events (inside the follower's transaction) -------------------
    def insert_task(
        self,
        task_id: int,
        model_id: bytes,
        task_input: bytes,
        parents: list[int],
        committee: list[str],
        quorum: int,
        member: bool,
        created_block: int,
    ) -> None:
        """Remember a new task (a task already known is left as it is)."""
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

    def record_finalized(
        self, task_id: int, status: int, result_hash: bytes, output: bytes, block: int
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO worker_finals VALUES (?,?,?,?,?)",
            (task_id, status, result_hash, output, block),
        )

    def forget_after(self, ancestor: int) -> None:
        """Forget what blocks after ``ancestor`` told us; the chain is re-read after."""
        self.conn.execute("DELETE FROM worker_finals WHERE block > ?", (ancestor,))
        # A task created in a dropped block may come back different: forget it unless
        # we already hold a salt for it (a re-included task keeps its id and content).
        self.conn.execute(
            "DELETE FROM worker_tasks WHERE created_block > ? AND salt IS NULL", (ancestor,)
        )

    # --- writes from the reconcile loop -------------------------------------------
    def save_output(
        self, row: TaskRow, output: bytes, result_hash: bytes, salt: bytes, inference_ms: float
    ) -> TaskRow | None:
        """Persist output and salt before anything is committed (never overwritten).

        Returns the updated row, or ``None`` when the task already had a salt.
        """
        now = time.time()
        with self.conn:
            updated = self.conn.execute(
                "UPDATE worker_tasks SET output = ?, result_hash = ?, salt = ?,"
                " computed_at = ?, inference_ms = ?, state = 'computed'"
                " WHERE task_id = ? AND salt IS NULL",
                (output, result_hash, salt, now, inference_ms, row.task_id),
            ).rowcount
        if not updated:
            return None
        return replace(
            row,
            output=output,
            result_hash=result_hash,
            salt=salt,
            computed_at=now,
            inference_ms=inference_ms,
            state="computed",
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

    def mark_commit_broadcast(self, task_id: int, when: float) -> None:
        """When our first commit transaction for the task was broadcast."""
        with self.conn:
            self.conn.execute(
                "UPDATE worker_tasks SET commit_sent_at = COALESCE(commit_sent_at, ?)"
                " WHERE task_id = ?",
                (when, task_id),
            )

    def record_tx(self, task_id: int, action: str, tx_hash: str) -> None:
        """The mined ``commit``, ``reveal`` or ``finalize`` transaction of a task.

        One statement: from the follower it is part of the follower's transaction.
        """
        column = TX_COLUMNS[action]
        self.conn.execute(
            f"UPDATE worker_tasks SET {column} = ? WHERE task_id = ?", (tx_hash, task_id)
        )

    # --- reads ------------------------------------------------------------------------
    def open_tasks(self) -> list[TaskRow]:
        """Tasks not known to be finalized or failed (ours and observed ones)."""
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

    def finalized_output(self, task_id: int) -> bytes | None:
        """The output a task was finalized with, once its ``TaskFinalized`` was followed."""
        row = self.conn.execute(
            "SELECT output FROM worker_finals WHERE task_id = ?", (task_id,)
        ).fetchone()
        return bytes(row["output"]) if row else None

    def counts(self) -> dict[str, int]:
        return {
            r["state"]: r["n"]
            for r in self.conn.execute(
                "SELECT state, COUNT(*) AS n FROM worker_tasks GROUP BY state"
            ).fetchall()
        }
