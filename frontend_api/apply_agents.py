"""How the AgentStaking's events change the ``agents`` table.

Stakes follow the events (``Slashed`` lowers a stake at once, as the contract does);
an agent's models come from ``ModelsSet``, or from its first ``WeightChanged`` events
when it registered with its models. Every function runs inside the follower's
transaction.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from frontend_api.events import Event
from oracles.protocol import AgentStatus

ACTIVE = AgentStatus.ACTIVE.name.lower()
DEREGISTERED = AgentStatus.DEREGISTERED.name.lower()


def _registered(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    conn.execute(
        "INSERT OR REPLACE INTO agents (address, signer, stake, status, registered_block,"
        " registered_ts) VALUES (?, ?, ?, ?, ?, ?)",
        (a["agent"], a["signer"], str(int(a["stake"])), ACTIVE, ev.block, ev.timestamp),
    )


def _set(conn: sqlite3.Connection, agent: str, **values: Any) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE agents SET {cols} WHERE address = ?", (*values.values(), agent))


def _value(conn: sqlite3.Connection, agent: str, column: str) -> int:
    row = conn.execute(f"SELECT {column} FROM agents WHERE address = ?", (agent,)).fetchone()
    return 0 if row is None else int(row[0])


def _first_models(conn: sqlite3.Connection, ev: Event) -> None:
    """WeightChanged names the models an agent serves before any ModelsSet."""
    agent = str(ev.args["agent"])
    found = conn.execute("SELECT models FROM agents WHERE address = ?", (agent,)).fetchone()
    if found is None:
        return
    models = json.loads(found[0])
    if ev.args["model_id"] not in models:
        models.append(ev.args["model_id"])
        _set(conn, agent, models=json.dumps(models))


def apply_agent_event(conn: sqlite3.Connection, ev: Event) -> None:
    """Apply one AgentStaking event to ``agents`` (others are ignored)."""
    a, agent, name = ev.args, str(ev.args.get("agent", "")), ev.name
    if name == "AgentRegistered":
        _registered(conn, ev)
    elif name == "WeightChanged":
        _first_models(conn, ev)
    elif name in ("StakeAdded", "StakeWithdrawn"):
        _set(conn, agent, stake=str(int(a["stake"])))
        if name == "StakeWithdrawn":
            pending = max(0, _value(conn, agent, "pending_unstake") - int(a["amount"]))
            _set(conn, agent, pending_unstake=str(pending))
    elif name == "UnstakeRequested":
        _set(
            conn,
            agent,
            pending_unstake=str(int(a["pending_unstake"])),
            unbond_at=int(a["unbond_at"]),
        )
    elif name == "Slashed":
        stake = max(0, _value(conn, agent, "stake") - int(a["amount"]))
        pending = min(stake, _value(conn, agent, "pending_unstake"))
        _set(conn, agent, stake=str(stake), pending_unstake=str(pending))
    elif name == "SignerChanged":
        _set(conn, agent, signer=a["new_signer"])
    elif name == "ModelsSet":
        _set(conn, agent, models=json.dumps(list(a["models"])))
    elif name == "EndpointSet":
        _set(conn, agent, endpoint=a["endpoint"])
    elif name == "Deregistered":
        _set(conn, agent, status=DEREGISTERED)
