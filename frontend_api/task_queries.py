"""The read side of tasks: the task list (filters, cursor pages) and one task in full.

A task's state is ``TaskMarket.taskPhase`` evaluated at the chain head's timestamp
``now``: waiting (for its draw block or its parents), commit, reveal, ready (to
finalize), succeeded, failed. Seats and members are told apart as the contract does:
``committee_size`` and ``quorum`` count seats, ``commits``/``reveals`` count members.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from frontend_api.apply_tasks import Outcome
from frontend_api.db import get_meta
from frontend_api.outputs import KINDS, decode_input, decode_output
from oracles.protocol import FinalStatus, Phase, Refusal, SlashReason

STATES = tuple(phase.label for phase in Phase if phase is not Phase.UNKNOWN)
OPEN = "status IS NULL"
STATE_SQL = (
    f"CASE WHEN status = {FinalStatus.SUCCEEDED:d} THEN '{Phase.SUCCEEDED.label}'"
    f" WHEN status = {FinalStatus.FAILED:d} THEN '{Phase.FAILED.label}'"
    f" WHEN start_ts IS NULL THEN '{Phase.WAITING.label}'"
    f" WHEN reveals >= members THEN '{Phase.READY.label}'"
    f" WHEN :now < commit_end THEN '{Phase.COMMIT.label}'"
    f" WHEN :now < reveal_end THEN '{Phase.REVEAL.label}'"
    f" ELSE '{Phase.READY.label}' END"
)
# The draw block as ``getTask`` gives it: a task with parents draws from a block after
# the last of its parents finalized so far.
DRAW_BLOCK_SQL = (
    "CASE WHEN parents = '[]' THEN draw_block ELSE MAX(draw_block, COALESCE(("
    "SELECT MAX(p.finalized_block) + 1 FROM task_parents tp JOIN tasks p"
    " ON p.task_id = tp.parent WHERE tp.child = tasks.task_id), 0)) END"
)
TASK_COLUMNS = (
    "tasks.task_id AS task_id, requester, model_id, fee, committee_size, quorum, members,"
    " commits, reveals, revealed_seats, status, tasks.result_hash AS result_hash,"
    " created_block, created_ts, finalized_block, finalized_ts, parents,"
    f" {DRAW_BLOCK_SQL} AS draw_block, {STATE_SQL} AS state"
)
SLASH_LABELS = {int(reason): reason.name.lower() for reason in SlashReason}


def _refusal_label(code: int) -> str:
    """The name of a market refusal code (``SubmissionSkipped.reason``)."""
    try:
        return Refusal(code).label
    except ValueError:
        return f"code {code}"


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    model: str | None = None
    requester: str | None = None
    agent: str | None = None


def _summary(row: sqlite3.Row) -> dict[str, Any]:
    latency = None
    if row["finalized_ts"] is not None:
        latency = int(row["finalized_ts"]) - int(row["created_ts"])
    return {
        "id": int(row["task_id"]),
        "requester": row["requester"],
        "model": row["model_id"],
        "fee": row["fee"],
        "committee_size": int(row["committee_size"]),
        "quorum": int(row["quorum"]),
        "state": row["state"],
        "draw_block": int(row["draw_block"]),
        "member_count": int(row["members"]),
        "commits": int(row["commits"]),
        "reveals": int(row["reveals"]),
        "revealed_seats": int(row["revealed_seats"]),
        "result_hash": row["result_hash"],
        "parents": json.loads(row["parents"]),
        "created_block": int(row["created_block"]),
        "created_at": int(row["created_ts"]),
        "finalized_block": row["finalized_block"],
        "finalized_at": row["finalized_ts"],
        "latency_s": latency,
    }


def list_tasks(
    conn: sqlite3.Connection, flt: TaskFilter, limit: int, cursor: int | None, now: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; ``cursor`` is the last id already seen. Returns items, next cursor."""
    where: list[str] = []
    params: dict[str, Any] = {"now": now, "limit": limit + 1}
    source, key = "tasks", "tasks.task_id"
    if flt.agent is not None:
        # Walk the agent's (agent, task_id) index newest first, then look up each task.
        source, key = "members m CROSS JOIN tasks ON tasks.task_id = m.task_id", "m.task_id"
        where.append("m.agent = :agent")
        params["agent"] = flt.agent
    if cursor is not None:
        where.append(f"{key} < :cursor")
        params["cursor"] = cursor
    if flt.state == Phase.SUCCEEDED.label:
        where.append(f"status = {FinalStatus.SUCCEEDED:d}")
    elif flt.state == Phase.FAILED.label:
        where.append(f"status = {FinalStatus.FAILED:d}")
    elif flt.state is not None:
        where.append(f"{OPEN} AND {STATE_SQL} = :state")
        params["state"] = flt.state
    if flt.model is not None:
        where.append("model_id = :model")
        params["model"] = flt.model
    if flt.requester is not None:
        where.append("requester = :requester")
        params["requester"] = flt.requester
    sql = f"SELECT {TASK_COLUMNS} FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(sql + f" ORDER BY {key} DESC LIMIT :limit", params).fetchall()
    items = [_summary(r) for r in rows[:limit]]
    next_cursor = items[-1]["id"] if len(rows) > limit else None
    return items, next_cursor


def model_kinds(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in conn.execute("SELECT model_id, kind FROM models")}


def _members(conn: sqlite3.Connection, task_id: int, share: str | None) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT agent, seats, committed, revealed, result_hash, outcome, commit_block,"
        " reveal_block FROM members WHERE task_id = ? ORDER BY position",
        (task_id,),
    ).fetchall()
    return [
        {
            "agent": m["agent"],
            "seats": int(m["seats"]),
            "committed": bool(m["committed"]),
            "revealed": bool(m["revealed"]),
            "result_hash": m["result_hash"],
            "outcome": m["outcome"],
            "reward": (
                str(int(share) * int(m["seats"]))
                if share is not None and m["outcome"] == Outcome.AGREED
                else None
            ),
            "commit_block": m["commit_block"],
            "reveal_block": m["reveal_block"],
        }
        for m in rows
    ]


def _slashes(conn: sqlite3.Connection, task_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT s.agent, s.amount, s.reason, s.block, COALESCE(m.seats, 0) AS seats"
        " FROM slashes s LEFT JOIN members m ON m.task_id = s.task_id AND m.agent = s.agent"
        " WHERE s.task_id = ? ORDER BY s.event_id",
        (task_id,),
    ).fetchall()
    return [
        {
            "agent": s["agent"],
            "amount": s["amount"],
            "seats": int(s["seats"]),
            "reason": int(s["reason"]),
            "reason_label": SLASH_LABELS.get(int(s["reason"]), str(s["reason"])),
            "block": int(s["block"]),
        }
        for s in rows
    ]


def event_rows(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    return [
        {
            "id": e["id"],
            "name": e["name"],
            "block": e["block"],
            "tx_hash": e["tx_hash"],
            "timestamp": e["timestamp"],
            "args": json.loads(e["args"]),
        }
        for e in rows
    ]


def task_detail(conn: sqlite3.Connection, task_id: int, now: int) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {TASK_COLUMNS}, input, output, share, agreeing_seats, committed_seats,"
        " unbacked_hash, start_ts, commit_end, reveal_end, committee, redraws, params_version,"
        " commit_window, reveal_window, slash_missed, slash_wrong, created_tx, finalized_tx,"
        " activated_block FROM tasks WHERE task_id = :id",
        {"id": task_id, "now": now},
    ).fetchone()
    if row is None:
        return None
    out = _summary(row)
    kind = model_kinds(conn).get(row["model_id"])
    skipped = conn.execute(
        "SELECT agent, reason, block, tx_hash FROM skipped WHERE task_id = ? ORDER BY event_id",
        (task_id,),
    ).fetchall()
    events = conn.execute(
        "SELECT id, name, block, tx_hash, timestamp, args FROM events WHERE task_id = ?"
        " ORDER BY id",
        (task_id,),
    ).fetchall()
    children = conn.execute(
        "SELECT child FROM task_parents WHERE parent = ? ORDER BY child", (task_id,)
    ).fetchall()
    grace = get_meta(conn, "grace_period")
    grace_period = None if grace is None else int(grace)
    reveal_end = row["reveal_end"]
    output: bytes | None = row["output"]
    out.update(
        {
            "model_kind": KINDS.get(kind) if kind is not None else None,
            "input": decode_input(bytes(row["input"])),
            "input_hex": "0x" + bytes(row["input"]).hex(),
            "output": decode_output(output, kind),
            "output_hex": None if output is None else "0x" + bytes(output).hex(),
            "share": row["share"],
            "agreeing_seats": row["agreeing_seats"],
            "committed_seats": int(row["committed_seats"]),
            "unbacked_hash": row["unbacked_hash"],
            "redraws": int(row["redraws"]),
            "params_version": row["params_version"],
            "commit_window": int(row["commit_window"]),
            "reveal_window": int(row["reveal_window"]),
            "slash_missed": row["slash_missed"],
            "slash_wrong": row["slash_wrong"],
            "grace_period": grace_period,
            "grace_end": (
                None if reveal_end is None or grace_period is None else reveal_end + grace_period
            ),
            "activated_block": row["activated_block"],
            "start_at": row["start_ts"],
            "commit_end": row["commit_end"],
            "reveal_end": reveal_end,
            "created_tx": row["created_tx"],
            "finalized_tx": row["finalized_tx"],
            "children": [int(c[0]) for c in children],
            "committee": json.loads(row["committee"]),
            "members": _members(conn, task_id, row["share"]),
            "slashes": _slashes(conn, task_id),
            "skipped": [
                {
                    "agent": s["agent"],
                    "reason": int(s["reason"]),
                    "reason_label": _refusal_label(int(s["reason"])),
                    "block": int(s["block"]),
                    "tx_hash": s["tx_hash"],
                }
                for s in skipped
            ],
            "events": event_rows(events),
        }
    )
    return out
