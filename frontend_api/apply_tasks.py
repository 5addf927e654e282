"""How the TaskMarket's events (and ``Slashed``) change the task tables.

A task is created waiting with its draw block and the parameter version current at
its creation (windows and slash amounts are the task's own); ``TaskActivated`` seats
its committee, one address per seat, stored as one member row per distinct agent
with its seat count; commits and reveals count members, quorum and payouts count
seats, as the contract does (docs/protocol-v2.md, section 3). At finalization each
member gets the outcome the contract's reputation counters give it. Every function
runs inside the follower's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from enum import StrEnum

from frontend_api.db import get_meta
from frontend_api.events import Event, unhex
from oracles.protocol import FinalStatus


class Outcome(StrEnum):
    """A member's verdict at finalization (``TaskMarket.reputation`` counts them)."""

    AGREED = "agreed"
    DISAGREED = "disagreed"
    MISSED = "missed"


# Parameter names of a version, as ParamsVersionAdded and the getters name them.
PARAMS = ("commit_window", "reveal_window", "slash_missed", "slash_wrong")


def params_version_added(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    conn.execute(
        "INSERT OR REPLACE INTO params_versions (version, event_id, block, commit_window,"
        " reveal_window, slash_missed, slash_wrong) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            int(a["version"]),
            ev.id,
            ev.block,
            int(a["commit_window"]),
            int(a["reveal_window"]),
            str(int(a["slash_missed"])),
            str(int(a["slash_wrong"])),
        ),
    )


def _params_at(conn: sqlite3.Connection, event_id: int) -> tuple[int | None, list[int]]:
    """The parameter version in force before event ``event_id``, and its four values.

    Without a ParamsVersionAdded event before it (an index started after the
    deployment), the values the indexer read from the getters when it started.
    """
    row = conn.execute(
        "SELECT version, commit_window, reveal_window, slash_missed, slash_wrong"
        " FROM params_versions WHERE event_id < ? ORDER BY event_id DESC LIMIT 1",
        (event_id,),
    ).fetchone()
    if row is not None:
        return int(row[0]), [int(v) for v in row[1:]]
    return None, [int(get_meta(conn, key) or 0) for key in PARAMS]


def task_created(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    parents = [int(p) for p in a["parents"]]
    version, (commit_window, reveal_window, slash_missed, slash_wrong) = _params_at(conn, ev.id)
    conn.execute(
        "INSERT OR REPLACE INTO tasks (task_id, requester, model_id, fee, committee_size, quorum,"
        " input, parents, draw_block, params_version, commit_window, reveal_window,"
        " slash_missed, slash_wrong, created_block, created_ts, created_tx)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ev.task_id,
            a["requester"],
            a["model_id"],
            str(int(a["fee"])),
            int(a["committee_size"]),
            int(a["quorum"]),
            unhex(a["input"]),
            json.dumps(parents),
            int(a["draw_block"]),
            version,
            commit_window,
            reveal_window,
            str(slash_missed),
            str(slash_wrong),
            ev.block,
            ev.timestamp,
            ev.tx_hash,
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO task_parents (child, parent) VALUES (?, ?)",
        [(ev.task_id, p) for p in parents],
    )


def task_redrawn(conn: sqlite3.Connection, ev: Event) -> None:
    conn.execute(
        "UPDATE tasks SET draw_block = ?, redraws = redraws + 1 WHERE task_id = ?",
        (int(ev.args["draw_block"]), ev.task_id),
    )


def task_activated(conn: sqlite3.Connection, ev: Event) -> None:
    """Seat the committee (one address per seat) and start the task's own windows."""
    committee = [str(x) for x in ev.args["committee"]]
    seats: dict[str, int] = {}
    for agent in committee:  # dict order: first seat first, the contract's member order
        seats[agent] = seats.get(agent, 0) + 1
    row = conn.execute(
        "SELECT commit_window, reveal_window FROM tasks WHERE task_id = ?", (ev.task_id,)
    ).fetchone()
    commit_window, reveal_window = (0, 0) if row is None else (int(row[0]), int(row[1]))
    commit_end = ev.timestamp + commit_window
    conn.execute(
        "UPDATE tasks SET start_ts = ?, commit_end = ?, reveal_end = ?, committee = ?,"
        " members = ?, activated_block = ? WHERE task_id = ?",
        (
            ev.timestamp,
            commit_end,
            commit_end + reveal_window,
            json.dumps(committee),
            len(seats),
            ev.block,
            ev.task_id,
        ),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO members (task_id, agent, position, seats) VALUES (?, ?, ?, ?)",
        [(ev.task_id, agent, i, n) for i, (agent, n) in enumerate(seats.items())],
    )


def _member_seats(conn: sqlite3.Connection, task_id: int | None, agent: str) -> int:
    row = conn.execute(
        "SELECT seats FROM members WHERE task_id = ? AND agent = ?", (task_id, agent)
    ).fetchone()
    return 0 if row is None else int(row[0])


def committed(conn: sqlite3.Connection, ev: Event) -> None:
    agent = str(ev.args["agent"])
    conn.execute(
        "UPDATE members SET committed = 1, commit_block = ? WHERE task_id = ? AND agent = ?",
        (ev.block, ev.task_id, agent),
    )
    conn.execute(
        "UPDATE tasks SET commits = commits + 1, committed_seats = committed_seats + ?"
        " WHERE task_id = ?",
        (_member_seats(conn, ev.task_id, agent), ev.task_id),
    )
    # The commit phase ends early, at the block of the last member's commit.
    conn.execute(
        "UPDATE tasks SET commit_end = ?, reveal_end = ? + reveal_window "
        "WHERE task_id = ? AND commits >= members AND members > 0",
        (ev.timestamp, ev.timestamp, ev.task_id),
    )


def revealed(conn: sqlite3.Connection, ev: Event) -> None:
    agent = str(ev.args["agent"])
    conn.execute(
        "UPDATE members SET revealed = 1, result_hash = ?, reveal_block = ? "
        "WHERE task_id = ? AND agent = ?",
        (ev.args["result_hash"], ev.block, ev.task_id, agent),
    )
    conn.execute(
        "UPDATE tasks SET reveals = reveals + 1, revealed_seats = revealed_seats + ?"
        " WHERE task_id = ?",
        (_member_seats(conn, ev.task_id, agent), ev.task_id),
    )


def submission_skipped(conn: sqlite3.Connection, ev: Event) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO skipped (event_id, task_id, agent, reason, block, tx_hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (ev.id, ev.task_id, ev.args["agent"], int(ev.args["reason"]), ev.block, ev.tx_hash),
    )


def _winner(conn: sqlite3.Connection, task_id: int | None) -> tuple[str | None, int]:
    """The revealed hash with the most seats (first member first on a tie), its seats."""
    row = conn.execute(
        "SELECT result_hash, SUM(seats) AS n FROM members WHERE task_id = ? AND revealed = 1"
        " GROUP BY result_hash ORDER BY n DESC, MIN(position) LIMIT 1",
        (task_id,),
    ).fetchone()
    return (None, 0) if row is None else (str(row[0]), int(row[1]))


def task_finalized(conn: sqlite3.Connection, ev: Event) -> None:
    """Settle the task: status, output, the share per agreeing seat, member outcomes.

    As ``TaskMarket.finalize``: a member that did not reveal missed; in a succeeded
    task a member agreed or disagreed with the accepted hash; in a failed task whose
    quorum revealed a hash nobody backed with an output (the grace-period path) the
    members that revealed that hash disagreed; otherwise a member gets no verdict.
    """
    status = int(ev.args["status"])
    result_hash = str(ev.args["result_hash"])
    task = conn.execute("SELECT fee, quorum FROM tasks WHERE task_id = ?", (ev.task_id,)).fetchone()
    fee, quorum = (0, 0) if task is None else (int(task[0]), int(task[1]))
    share: str | None = None
    agreeing: int | None = None
    unbacked: str | None = None
    if status == FinalStatus.SUCCEEDED:
        (seats,) = conn.execute(
            "SELECT COALESCE(SUM(seats), 0) FROM members"
            " WHERE task_id = ? AND revealed = 1 AND result_hash = ?",
            (ev.task_id, result_hash),
        ).fetchone()
        agreeing = int(seats)
        share = str(fee // agreeing) if agreeing else None
        conn.execute(
            "UPDATE members SET outcome = CASE WHEN revealed = 0 THEN ?"
            " WHEN result_hash = ? THEN ? ELSE ? END WHERE task_id = ?",
            (Outcome.MISSED, result_hash, Outcome.AGREED, Outcome.DISAGREED, ev.task_id),
        )
    else:
        best, best_seats = _winner(conn, ev.task_id)
        if best is not None and best_seats >= quorum:
            unbacked = best
        conn.execute(
            "UPDATE members SET outcome = CASE WHEN revealed = 0 THEN ?"
            " WHEN result_hash = ? THEN ? ELSE NULL END WHERE task_id = ?",
            (Outcome.MISSED, unbacked, Outcome.DISAGREED, ev.task_id),
        )
    conn.execute(
        "UPDATE tasks SET status = ?, result_hash = ?, unbacked_hash = ?, output = ?, share = ?,"
        " agreeing_seats = ?, finalized_block = ?, finalized_ts = ?, finalized_tx = ?"
        " WHERE task_id = ?",
        (
            status,
            result_hash,
            unbacked,
            unhex(ev.args["output"]),
            share,
            agreeing,
            ev.block,
            ev.timestamp,
            ev.tx_hash,
            ev.task_id,
        ),
    )


def slashed(conn: sqlite3.Connection, ev: Event) -> None:
    """One row per ``Slashed`` (one per member: its seats times the per-seat amount)."""
    conn.execute(
        "INSERT OR REPLACE INTO slashes (event_id, task_id, agent, amount, reason, block)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            ev.id,
            ev.task_id,
            ev.args["agent"],
            str(int(ev.args["amount"])),
            int(ev.args["reason"]),
            ev.block,
        ),
    )


def withdrawn(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    conn.execute(
        "INSERT OR REPLACE INTO withdrawals (event_id, account, receiver, amount, block,"
        " timestamp, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ev.id,
            a["account"],
            a["receiver"],
            str(int(a["amount"])),
            ev.block,
            ev.timestamp,
            ev.tx_hash,
        ),
    )
