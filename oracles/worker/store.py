"""Per-task state of one worker, in SQLite.

Every decision the worker makes is written here before the matching transaction
is sent: the output and the salt of a task are stored before its commit, so a
worker killed at any point reveals the same result after a restart. The chain
stays the judge of what happened: the reconcile loop reads the member's on-chain
state before each step, and ``state`` mirrors what it last saw.

States: ``waiting`` (its committee not known to us yet: draw block not mined,
parents open) -> ``seen`` (seated) -> ``computed`` -> ``committed`` ->
``revealed`` -> ``finalized`` | ``failed``; ``observer`` for tasks of our models
where our agent holds no seat (kept for parent outputs, activation and
settling). ``committee`` lists one agent per seat; ``member`` says whether we
hold one. Besides the tasks, ``worker_pokes`` lists agents seen slashed whose
draw weights may need a ``poke``.

Model ids, result hashes and salts are BLOBs (the bytes the contracts use);
transaction hashes are the ``0x`` text the node returns. The tables and the
migration of older files are in :mod:`~oracles.worker.schema`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, replace

from oracles.worker.schema import SCHEMA_VERSION, StoreError, open_schema

ACTIVE_STATES = ("waiting", "seen", "computed", "committed", "revealed")
TERMINAL_STATES = ("finalized", "failed")
TX_COLUMNS = {"commit": "commit_tx", "reveal": "reveal_tx", "finalize": "finalize_tx"}


__all__ = ["SCHEMA_VERSION", "PokeRow", "StoreError", "TaskRow", "TaskStore"]


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
    committee_size: int
    draw_block: int
    seated_at: float | None
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
            committee_size=row["committee_size"],
            draw_block=row["draw_block"],
            seated_at=row["seated_at"],
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


@dataclass(frozen=True)
class PokeRow:
    """A ``Slashed`` event the worker saw: the agent may need a ``poke``."""

    agent: str
    task_id: int
    block: int
    seen_at: float


def _blob(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


class TaskStore:
    """The worker's tables, on a connection shared with its log follower."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self._open_schema()

    # --- schema -------------------------------------------------------------------
    def _open_schema(self) -> None:
        open_schema(self.conn)

    # --- writes from events (inside the follower's transaction) -------------------
    def insert_task(
        self,
        task_id: int,
        model_id: bytes,
        task_input: bytes,
        parents: list[int],
        quorum: int,
        committee_size: int,
        draw_block: int,
        created_block: int,
    ) -> None:
        """Remember a new task, committee unknown (a task already known is left as it is)."""
        self.conn.execute(
            "INSERT INTO worker_tasks (task_id, model_id, input, parents, committee, quorum,"
            " member, state, created_block, committee_size, draw_block, seen_at)"
            " VALUES (?,?,?,?,'[]',?,0,'waiting',?,?,?,?) ON CONFLICT(task_id) DO NOTHING",
            (
                task_id,
                model_id,
                task_input,
                json.dumps(parents),
                quorum,
                created_block,
                committee_size,
                draw_block,
                time.time(),
            ),
        )

    def set_committee(self, task_id: int, committee: list[str], member: bool) -> None:
        """The task's committee (one agent per seat) and whether we hold a seat.

        From ``TaskActivated``, or from ``previewCommittee`` before activation (a reorg
        of the draw block may still change it). A row not computed yet becomes ``seen``
        or ``observer``; the first time we are seated is remembered (``seated_at``).
        """
        self.conn.execute(
            "UPDATE worker_tasks SET committee = ?, member = ?,"
            " seated_at = CASE WHEN ? THEN COALESCE(seated_at, ?) ELSE seated_at END,"
            " state = CASE WHEN state IN ('waiting', 'seen', 'observer')"
            " THEN (CASE WHEN ? THEN 'seen' ELSE 'observer' END) ELSE state END"
            " WHERE task_id = ?",
            (json.dumps(committee), int(member), int(member), time.time(), int(member), task_id),
        )

    def set_draw_block(self, task_id: int, draw_block: int) -> None:
        """A redraw (``TaskRedrawn``): the committee is unknown again."""
        self.conn.execute(
            "UPDATE worker_tasks SET draw_block = ?, committee = '[]', member = 0,"
            " state = CASE WHEN state IN ('seen', 'observer') THEN 'waiting' ELSE state END"
            " WHERE task_id = ?",
            (draw_block, task_id),
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
        self.conn.execute("DELETE FROM worker_pokes WHERE block > ?", (ancestor,))
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

    # --- slashed agents to poke -------------------------------------------------------
    def add_poke(self, agent: str, task_id: int, block: int) -> None:
        """``agent`` was slashed for ``task_id`` in ``block`` (from the follower)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO worker_pokes (agent, task_id, block, seen_at) VALUES (?,?,?,?)",
            (agent, task_id, block, time.time()),
        )

    def pokes(self) -> list[PokeRow]:
        """Slashes whose agent's weights were not checked since, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM worker_pokes ORDER BY seen_at, agent, task_id"
        ).fetchall()
        return [PokeRow(r["agent"], r["task_id"], r["block"], r["seen_at"]) for r in rows]

    def forget_pokes(self, agent: str) -> None:
        """The agent's weights follow its stake (poked, or nothing to do)."""
        with self.conn:
            self.conn.execute("DELETE FROM worker_pokes WHERE agent = ?", (agent,))

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
