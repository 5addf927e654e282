"""The read side: tasks, agents, models and statistics from the indexed tables.

Task states follow ``TaskMarket.taskPhase`` evaluated at the chain head's timestamp
``now``: waiting (for parents), commit, reveal, ready (to finalize), succeeded, failed.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from frontend_api.outputs import KINDS, decode_input, decode_output

STATES = ("waiting", "commit", "reveal", "ready", "succeeded", "failed")
STATE_SQL = (
    "CASE WHEN status = 1 THEN 'succeeded' WHEN status = 2 THEN 'failed' "
    "WHEN start_ts IS NULL THEN 'waiting' WHEN reveals >= committee_size THEN 'ready' "
    "WHEN :now < commit_end THEN 'commit' WHEN :now < reveal_end THEN 'reveal' ELSE 'ready' END"
)
TASK_COLUMNS = (
    "tasks.task_id AS task_id, requester, model_id, fee, committee_size, quorum, commits,"
    " reveals, status, tasks.result_hash AS result_hash, created_block, created_ts,"
    " finalized_block, finalized_ts, parents,"
    f" {STATE_SQL} AS state"
)
LATENCY_BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600)


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
        "commits": int(row["commits"]),
        "reveals": int(row["reveals"]),
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
    if flt.state in ("succeeded", "failed"):
        where.append("status = :status")
        params["status"] = 1 if flt.state == "succeeded" else 2
    elif flt.state is not None:
        where.append(f"status = 0 AND {STATE_SQL} = :state")
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


def task_detail(conn: sqlite3.Connection, task_id: int, now: int) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {TASK_COLUMNS}, input, output, share, start_ts, commit_end, reveal_end,"
        " created_tx, finalized_tx FROM tasks WHERE task_id = :id",
        {"id": task_id, "now": now},
    ).fetchone()
    if row is None:
        return None
    out = _summary(row)
    kind = model_kinds(conn).get(row["model_id"])
    members = conn.execute(
        "SELECT agent, committed, revealed, result_hash, commit_block, reveal_block FROM members"
        " WHERE task_id = ? ORDER BY position",
        (task_id,),
    ).fetchall()
    slashes = conn.execute(
        "SELECT agent, amount, reason, block FROM slashes WHERE task_id = ? ORDER BY event_id",
        (task_id,),
    ).fetchall()
    events = conn.execute(
        "SELECT id, name, block, tx_hash, timestamp, args FROM events WHERE task_id = ?"
        " ORDER BY id",
        (task_id,),
    ).fetchall()
    children = conn.execute(
        "SELECT child FROM task_parents WHERE parent = ? ORDER BY child",
        (task_id,),
    ).fetchall()
    output: bytes | None = row["output"]
    out.update(
        {
            "model_kind": KINDS.get(kind) if kind is not None else None,
            "input": decode_input(bytes(row["input"])),
            "input_hex": "0x" + bytes(row["input"]).hex(),
            "output": decode_output(output, kind),
            "output_hex": None if output is None else "0x" + bytes(output).hex(),
            "share": row["share"],
            "start_at": row["start_ts"],
            "commit_end": row["commit_end"],
            "reveal_end": row["reveal_end"],
            "created_tx": row["created_tx"],
            "finalized_tx": row["finalized_tx"],
            "children": [int(c[0]) for c in children],
            "committee": [
                {
                    "agent": m["agent"],
                    "committed": bool(m["committed"]),
                    "revealed": bool(m["revealed"]),
                    "result_hash": m["result_hash"],
                    "agreed": bool(m["revealed"])
                    and m["result_hash"] == row["result_hash"]
                    and row["status"] == 1,
                    "commit_block": m["commit_block"],
                    "reveal_block": m["reveal_block"],
                }
                for m in members
            ],
            "slashes": [
                {
                    "agent": s["agent"],
                    "amount": s["amount"],
                    "reason": int(s["reason"]),
                    "block": int(s["block"]),
                }
                for s in slashes
            ],
            "events": [
                {
                    "id": e["id"],
                    "name": e["name"],
                    "block": e["block"],
                    "tx_hash": e["tx_hash"],
                    "timestamp": e["timestamp"],
                    "args": json.loads(e["args"]),
                }
                for e in events
            ],
        }
    )
    return out


# --- agents ----------------------------------------------------------------------------
def _agent_records(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per agent: earnings, agreed, disagreed, missed, slashed, slashes, open tasks."""
    rec: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agent, share, n in conn.execute(
        "SELECT m.agent, t.share, COUNT(*) FROM members m JOIN tasks t USING (task_id)"
        " WHERE t.status = 1 AND m.revealed = 1 AND m.result_hash = t.result_hash"
        " GROUP BY m.agent, t.share"
    ):
        rec[agent]["earnings"] += int(share or 0) * int(n)
        rec[agent]["agreed"] += int(n)
    for agent, n in conn.execute(
        "SELECT m.agent, COUNT(*) FROM members m JOIN tasks t USING (task_id)"
        " WHERE t.status = 1 AND m.revealed = 1 AND m.result_hash != t.result_hash"
        " GROUP BY m.agent"
    ):
        rec[agent]["disagreed"] += int(n)
    for agent, n in conn.execute(
        "SELECT m.agent, COUNT(*) FROM members m JOIN tasks t USING (task_id)"
        " WHERE t.status != 0 AND m.revealed = 0 GROUP BY m.agent"
    ):
        rec[agent]["missed"] += int(n)
    for agent, n in conn.execute(
        "SELECT m.agent, COUNT(*) FROM members m JOIN tasks t USING (task_id)"
        " WHERE t.status = 0 GROUP BY m.agent"
    ):
        rec[agent]["open_tasks"] += int(n)
    for agent, amount, n in conn.execute(
        "SELECT agent, amount, COUNT(*) FROM slashes GROUP BY agent, amount"
    ):
        rec[agent]["slashed"] += int(amount) * int(n)
        rec[agent]["slashes"] += int(n)
    return rec


def _agent(row: sqlite3.Row, rec: dict[str, int]) -> dict[str, Any]:
    return {
        "address": row["address"],
        "signer": row["signer"],
        "stake": row["stake"],
        "pending_unstake": row["pending_unstake"],
        "unbond_at": int(row["unbond_at"]),
        "status": row["status"],
        "models": json.loads(row["models"]),
        "endpoint": row["endpoint"],
        "registered_block": int(row["registered_block"]),
        "reputation": {k: int(rec.get(k, 0)) for k in ("agreed", "disagreed", "missed")},
        "earnings": str(rec.get("earnings", 0)),
        "slashed": str(rec.get("slashed", 0)),
        "slashes": int(rec.get("slashes", 0)),
        "open_tasks": int(rec.get("open_tasks", 0)),
    }


def list_agents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The leaderboard: by earnings, then stake."""
    rec = _agent_records(conn)
    rows = conn.execute("SELECT * FROM agents").fetchall()
    agents = [_agent(r, rec.get(r["address"], {})) for r in rows]
    agents.sort(key=lambda a: (int(a["earnings"]), int(a["stake"])), reverse=True)
    return agents


def agent_detail(conn: sqlite3.Connection, address: str, now: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM agents WHERE address = ?", (address,)).fetchone()
    if row is None:
        return None
    out = _agent(row, _agent_records(conn).get(address, {}))
    recent, _ = list_tasks(conn, TaskFilter(agent=address), 20, None, now)
    events = conn.execute(
        "SELECT id, name, block, tx_hash, timestamp, args FROM events WHERE agent = ?"
        " ORDER BY id DESC LIMIT 50",
        (address,),
    ).fetchall()
    out["recent_tasks"] = recent
    out["events"] = [
        {
            "id": e["id"],
            "name": e["name"],
            "block": e["block"],
            "tx_hash": e["tx_hash"],
            "timestamp": e["timestamp"],
            "args": json.loads(e["args"]),
        }
        for e in events
    ]
    return out


def list_models(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    counts = {
        r[0]: int(r[1])
        for r in conn.execute("SELECT model_id, COUNT(*) FROM tasks GROUP BY model_id")
    }
    agents: dict[str, int] = defaultdict(int)
    for (models,) in conn.execute("SELECT models FROM agents WHERE status = 'active'"):
        for m in json.loads(models):
            agents[m] += 1
    return [
        {
            "model_id": r["model_id"],
            "publisher": r["publisher"],
            "kind": KINDS.get(int(r["kind"]), str(r["kind"])),
            "manifest_uri": r["manifest_uri"],
            "status": r["status"],
            "registered_block": int(r["registered_block"]),
            "tasks": counts.get(r["model_id"], 0),
            "agents": agents.get(r["model_id"], 0),
        }
        for r in conn.execute("SELECT * FROM models ORDER BY registered_block, model_id")
    ]


# --- stats -----------------------------------------------------------------------------
def _percentile(conn: sqlite3.Connection, n: int, q: float) -> int | None:
    if n == 0:
        return None
    offset = min(n - 1, max(0, int(round(q * (n - 1)))))
    row = conn.execute(
        "SELECT finalized_ts - created_ts AS lat FROM tasks WHERE finalized_ts IS NOT NULL"
        " ORDER BY lat LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()
    return int(row[0])


def stats(conn: sqlite3.Connection, now: int, window: int = 600) -> dict[str, Any]:
    """Counts per state, throughput over the last ``window`` seconds, latencies, money."""
    states = {s: 0 for s in STATES}
    for state, n in conn.execute(
        f"SELECT {STATE_SQL} AS state, COUNT(*) FROM tasks GROUP BY state", {"now": now}
    ):
        states[state] = int(n)
    (finalized,) = conn.execute(
        "SELECT COUNT(*) FROM tasks WHERE finalized_ts IS NOT NULL"
    ).fetchone()
    (recent,) = conn.execute(
        "SELECT COUNT(*) FROM tasks WHERE finalized_ts > ?", (now - window,)
    ).fetchone()
    fees = sum(int(f) for (f,) in conn.execute("SELECT fee FROM tasks"))
    paid = sum(int(f) for (f,) in conn.execute("SELECT fee FROM tasks WHERE status = 1"))
    slashed = sum(int(a) for (a,) in conn.execute("SELECT amount FROM slashes"))
    histogram = [0] * (len(LATENCY_BUCKETS) + 1)
    for lat, n in conn.execute(
        "SELECT finalized_ts - created_ts, COUNT(*) FROM tasks WHERE finalized_ts IS NOT NULL"
        " GROUP BY 1"
    ):
        index = next((i for i, b in enumerate(LATENCY_BUCKETS) if lat <= b), len(LATENCY_BUCKETS))
        histogram[index] += int(n)
    series = [
        {"minute": int(m) * 60, "finalized": int(n)}
        for m, n in conn.execute(
            "SELECT finalized_ts / 60 AS m, COUNT(*) FROM tasks WHERE finalized_ts > ?"
            " GROUP BY m ORDER BY m",
            (now - 3_600,),
        )
    ]
    return {
        "now": now,
        "tasks": sum(states.values()),
        "states": states,
        "finalized": int(finalized),
        "tasks_per_minute": round(int(recent) * 60 / window, 3),
        "latency_s": {
            "p50": _percentile(conn, finalized, 0.5),
            "p95": _percentile(conn, finalized, 0.95),
        },
        "latency_histogram": {
            "bounds": list(LATENCY_BUCKETS),
            "counts": histogram,
        },
        "finalized_per_minute": series,
        "fees_total": str(fees),
        "fees_paid": str(paid),
        "slashed_total": str(slashed),
    }
