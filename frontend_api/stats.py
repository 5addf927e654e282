"""Network statistics from the index: tasks per state, throughput, latency and money."""

from __future__ import annotations

import sqlite3
from typing import Any

from frontend_api.task_queries import STATE_SQL, STATES
from oracles.protocol import FinalStatus

LATENCY_BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600)
WINDOW_S = 600
SERIES_S = 3_600


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


def _wei_sum(conn: sqlite3.Connection, sql: str) -> str:
    return str(sum(int(v) for (v,) in conn.execute(sql)))


def stats(conn: sqlite3.Connection, now: int, window: int = WINDOW_S) -> dict[str, Any]:
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
            (now - SERIES_S,),
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
        "fees_total": _wei_sum(conn, "SELECT fee FROM tasks"),
        "fees_paid": _wei_sum(
            conn, f"SELECT fee FROM tasks WHERE status = {FinalStatus.SUCCEEDED:d}"
        ),
        "slashed_total": _wei_sum(conn, "SELECT amount FROM slashes"),
        "withdrawn_total": _wei_sum(conn, "SELECT amount FROM withdrawals"),
    }
