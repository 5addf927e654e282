"""Which table each contract event changes, and the rebuild after a reorg.

:func:`apply` sends a stored event to the appliers of the tables it touches
(:mod:`~frontend_api.apply_tasks`, :mod:`~frontend_api.apply_agents`,
:mod:`~frontend_api.apply_models`); :func:`rollback` forgets the events a reorg
dropped and rebuilds what they touched by replaying the ``events`` table, through the
same appliers. Both run inside the follower's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from enum import Enum

from frontend_api import apply_tasks
from frontend_api.apply_agents import apply_agent_event
from frontend_api.apply_models import apply_model_event
from frontend_api.events import Event, stored


class Scope(Enum):
    """The groups of derived tables, each rebuilt its own way after a reorg."""

    TASKS = "tasks"  # tasks, members, task_parents, slashes, skipped: per task
    MARKET = "market"  # params_versions, withdrawals: one row per event
    AGENTS = "agents"
    MODELS = "models"


ALL_SCOPES = frozenset(Scope)

_TASK_EVENTS: dict[str, Callable[[sqlite3.Connection, Event], None]] = {
    "TaskCreated": apply_tasks.task_created,
    "TaskRedrawn": apply_tasks.task_redrawn,
    "TaskActivated": apply_tasks.task_activated,
    "Committed": apply_tasks.committed,
    "Revealed": apply_tasks.revealed,
    "SubmissionSkipped": apply_tasks.submission_skipped,
    "TaskFinalized": apply_tasks.task_finalized,
}
_MARKET_EVENTS: dict[str, Callable[[sqlite3.Connection, Event], None]] = {
    "ParamsVersionAdded": apply_tasks.params_version_added,
    "Withdrawn": apply_tasks.withdrawn,
}


def apply(conn: sqlite3.Connection, ev: Event, scopes: frozenset[Scope] = ALL_SCOPES) -> None:
    """Apply one stored event to the tables of ``scopes`` (all of them for a live event)."""
    if ev.contract == "TaskMarket":
        if Scope.TASKS in scopes and ev.name in _TASK_EVENTS:
            _TASK_EVENTS[ev.name](conn, ev)
        if Scope.MARKET in scopes and ev.name in _MARKET_EVENTS:
            _MARKET_EVENTS[ev.name](conn, ev)
    elif ev.contract == "AgentStaking":
        if Scope.TASKS in scopes and ev.name == "Slashed":
            apply_tasks.slashed(conn, ev)
        if Scope.AGENTS in scopes:
            apply_agent_event(conn, ev)
    elif ev.contract == "ModelRegistry" and Scope.MODELS in scopes:
        apply_model_event(conn, ev)


def rollback(conn: sqlite3.Connection, ancestor: int) -> None:
    """Forget every event above block ``ancestor`` and rebuild what they touched.

    Tasks touched by a dropped event are rebuilt from their remaining events; rows of
    market-wide events go with their block; agents and models (few rows) are rebuilt
    from all of their events.
    """
    touched = [
        int(r[0])
        for r in conn.execute(
            "SELECT DISTINCT task_id FROM events WHERE block > ? AND task_id IS NOT NULL",
            (ancestor,),
        )
    ]
    conn.execute("DELETE FROM events WHERE block > ?", (ancestor,))
    conn.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
    for table in ("params_versions", "withdrawals"):
        conn.execute(f"DELETE FROM {table} WHERE block > ?", (ancestor,))
    for task_id in touched:
        for table in ("tasks", "members", "slashes", "skipped"):
            conn.execute(f"DELETE FROM {table} WHERE task_id = ?", (task_id,))
        conn.execute("DELETE FROM task_parents WHERE child = ?", (task_id,))
        for ev in stored(conn, "task_id = ?", (task_id,)):
            apply(conn, ev, frozenset({Scope.TASKS}))
    conn.execute("DELETE FROM agents")
    for ev in stored(conn, "contract = 'AgentStaking'"):
        apply(conn, ev, frozenset({Scope.AGENTS}))
    conn.execute("DELETE FROM models")
    for ev in stored(conn, "contract = 'ModelRegistry'"):
        apply(conn, ev, frozenset({Scope.MODELS}))
