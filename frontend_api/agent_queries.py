"""The read side of agents and models: the leaderboard, one agent, the registered models.

An agent's record follows the contract: reputation counts tasks (agreed, disagreed,
missed: one per task whatever its seats), earnings count seats (each agreeing seat is
paid the task's share), and a slash is one event per task for all the seats it held.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from frontend_api.apply_agents import ACTIVE
from frontend_api.apply_tasks import Outcome
from frontend_api.outputs import KINDS
from frontend_api.task_queries import OPEN, TaskFilter, event_rows, list_tasks

RECENT_TASKS = 20
RECENT_EVENTS = 50


def _agent_records(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per agent: earnings, paid seats, reputation, slashes, withdrawals, open tasks."""
    rec: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agent, outcome, share, seats, n in conn.execute(
        "SELECT m.agent, m.outcome, t.share, SUM(m.seats), COUNT(*) FROM members m"
        " JOIN tasks t USING (task_id) WHERE m.outcome IS NOT NULL"
        " GROUP BY m.agent, m.outcome, t.share"
    ):
        rec[agent][outcome] += int(n)
        if outcome == Outcome.AGREED:
            rec[agent]["earnings"] += int(share or 0) * int(seats)
            rec[agent]["paid_seats"] += int(seats)
    for agent, n in conn.execute(
        f"SELECT m.agent, COUNT(*) FROM members m JOIN tasks t USING (task_id) WHERE {OPEN}"
        " GROUP BY m.agent"
    ):
        rec[agent]["open_tasks"] += int(n)
    for agent, amount, seats in conn.execute(
        "SELECT s.agent, s.amount, COALESCE(m.seats, 0) FROM slashes s"
        " LEFT JOIN members m ON m.task_id = s.task_id AND m.agent = s.agent"
    ):
        rec[agent]["slashed"] += int(amount)
        rec[agent]["slashes"] += 1
        rec[agent]["slashed_seats"] += int(seats)
    for account, amount in conn.execute("SELECT account, amount FROM withdrawals"):
        rec[account]["withdrawn"] += int(amount)
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
        "reputation": {str(o): int(rec.get(o, 0)) for o in Outcome},
        "earnings": str(rec.get("earnings", 0)),
        "paid_seats": int(rec.get("paid_seats", 0)),
        "slashed": str(rec.get("slashed", 0)),
        "slashes": int(rec.get("slashes", 0)),
        "slashed_seats": int(rec.get("slashed_seats", 0)),
        "withdrawn": str(rec.get("withdrawn", 0)),
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
    recent, _ = list_tasks(conn, TaskFilter(agent=address), RECENT_TASKS, None, now)
    events = conn.execute(
        "SELECT id, name, block, tx_hash, timestamp, args FROM events WHERE agent = ?"
        " ORDER BY id DESC LIMIT ?",
        (address, RECENT_EVENTS),
    ).fetchall()
    withdrawals = conn.execute(
        "SELECT receiver, amount, block, timestamp, tx_hash FROM withdrawals WHERE account = ?"
        " ORDER BY event_id DESC",
        (address,),
    ).fetchall()
    out["recent_tasks"] = recent
    out["withdrawals"] = [
        {
            "receiver": w["receiver"],
            "amount": w["amount"],
            "block": int(w["block"]),
            "timestamp": int(w["timestamp"]),
            "tx_hash": w["tx_hash"],
        }
        for w in withdrawals
    ]
    out["events"] = event_rows(events)
    return out


def list_models(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    counts = {
        r[0]: int(r[1])
        for r in conn.execute("SELECT model_id, COUNT(*) FROM tasks GROUP BY model_id")
    }
    agents: dict[str, int] = defaultdict(int)
    for (models,) in conn.execute("SELECT models FROM agents WHERE status = ?", (ACTIVE,)):
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
            "corrected_block": r["corrected_block"],
            "tasks": counts.get(r["model_id"], 0),
            "agents": agents.get(r["model_id"], 0),
        }
        for r in conn.execute("SELECT * FROM models ORDER BY registered_block, model_id")
    ]
