"""How each contract event changes the indexed tables.

Events arrive as :class:`Event` with JSON-ready arguments (bytes as ``0x`` hex, large
integers as decimal strings), both live from the follower and when replayed from the
``events`` table after a reorg, so one code path serves both. Every function here runs
inside the follower's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

JS_SAFE = 2**53

TASK = "tasks"
AGENTS = "agents"
MODELS = "models"
ALL_SCOPES = frozenset({TASK, AGENTS, MODELS})


def jsonable(value: Any) -> Any:
    """Bytes to ``0x`` hex, tuples to lists, integers beyond 2**53 to strings."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= JS_SAFE:
        return str(value)
    return value


def unhex(value: str) -> bytes:
    return bytes.fromhex(value[2:])


@dataclass(frozen=True)
class Event:
    """One decoded log as stored in ``events``."""

    id: int
    block: int
    log_index: int
    tx_hash: str
    timestamp: int
    contract: str
    name: str
    args: dict[str, Any]

    @property
    def task_id(self) -> int | None:
        value = self.args.get("task_id")
        return None if value is None else int(value)

    @property
    def agent(self) -> str | None:
        for key in ("agent", "account"):
            if key in self.args:
                return str(self.args[key])
        return None

    @property
    def model_id(self) -> str | None:
        value = self.args.get("model_id")
        return None if value is None else str(value)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "block": self.block,
            "log_index": self.log_index,
            "tx_hash": self.tx_hash,
            "timestamp": self.timestamp,
            "contract": self.contract,
            "name": self.name,
            "args": self.args,
        }


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


# --- tasks ---------------------------------------------------------------------------
def _seat(conn: sqlite3.Connection, ev: Event, committee: list[str]) -> None:
    commit_window = int(get_meta(conn, "commit_window", "0") or 0)
    reveal_window = int(get_meta(conn, "reveal_window", "0") or 0)
    commit_end = ev.timestamp + commit_window
    conn.execute(
        "UPDATE tasks SET start_ts = ?, commit_end = ?, reveal_end = ?, reveal_window = ?, "
        "activated_block = ? WHERE task_id = ?",
        (ev.timestamp, commit_end, commit_end + reveal_window, reveal_window, ev.block, ev.task_id),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO members (task_id, agent, position) VALUES (?, ?, ?)",
        [(ev.task_id, agent, i) for i, agent in enumerate(committee)],
    )


def _task_created(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    committee = [str(x) for x in a["committee"]]
    parents = [int(p) for p in a["parents"]]
    conn.execute(
        "INSERT OR REPLACE INTO tasks (task_id, requester, model_id, fee, committee_size, quorum,"
        " input, parents, reveal_window, created_block, created_ts, created_tx)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ev.task_id,
            a["requester"],
            a["model_id"],
            str(int(a["fee"])),
            len(committee) if committee else _size_hint(a),
            int(a["quorum"]),
            unhex(a["input"]),
            json.dumps(parents),
            0,
            ev.block,
            ev.timestamp,
            ev.tx_hash,
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO task_parents (child, parent) VALUES (?, ?)",
        [(ev.task_id, p) for p in parents],
    )
    if committee:
        _seat(conn, ev, committee)


def _size_hint(args: dict[str, Any]) -> int:
    """Committee size of a task with parents (its committee is drawn at activation)."""
    return int(args.get("committee_size", 0))


def _task_activated(conn: sqlite3.Connection, ev: Event) -> None:
    committee = [str(x) for x in ev.args["committee"]]
    conn.execute(
        "UPDATE tasks SET committee_size = ? WHERE task_id = ?", (len(committee), ev.task_id)
    )
    _seat(conn, ev, committee)


def _committed(conn: sqlite3.Connection, ev: Event) -> None:
    conn.execute(
        "UPDATE members SET committed = 1, commit_block = ? WHERE task_id = ? AND agent = ?",
        (ev.block, ev.task_id, ev.args["agent"]),
    )
    conn.execute("UPDATE tasks SET commits = commits + 1 WHERE task_id = ?", (ev.task_id,))
    # The commit phase ends early at the block of the last member's commit.
    conn.execute(
        "UPDATE tasks SET commit_end = ?, reveal_end = ? + reveal_window "
        "WHERE task_id = ? AND commits >= committee_size AND committee_size > 0",
        (ev.timestamp, ev.timestamp, ev.task_id),
    )


def _revealed(conn: sqlite3.Connection, ev: Event) -> None:
    conn.execute(
        "UPDATE members SET revealed = 1, result_hash = ?, reveal_block = ? "
        "WHERE task_id = ? AND agent = ?",
        (ev.args["result_hash"], ev.block, ev.task_id, ev.args["agent"]),
    )
    conn.execute("UPDATE tasks SET reveals = reveals + 1 WHERE task_id = ?", (ev.task_id,))


def _task_finalized(conn: sqlite3.Connection, ev: Event) -> None:
    status = int(ev.args["status"])
    result_hash = str(ev.args["result_hash"])
    share: str | None = None
    if status == 1:
        row = conn.execute("SELECT fee FROM tasks WHERE task_id = ?", (ev.task_id,)).fetchone()
        (agreeing,) = conn.execute(
            "SELECT COUNT(*) FROM members WHERE task_id = ? AND revealed = 1 AND result_hash = ?",
            (ev.task_id, result_hash),
        ).fetchone()
        if row is not None and agreeing:
            share = str(int(row[0]) // int(agreeing))
    conn.execute(
        "UPDATE tasks SET status = ?, result_hash = ?, output = ?, share = ?, finalized_block = ?,"
        " finalized_ts = ?, finalized_tx = ? WHERE task_id = ?",
        (
            status,
            result_hash,
            unhex(ev.args["output"]),
            share,
            ev.block,
            ev.timestamp,
            ev.tx_hash,
            ev.task_id,
        ),
    )


def _slash_row(conn: sqlite3.Connection, ev: Event) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO slashes (event_id, task_id, agent, amount, reason, block)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            ev.id,
            ev.task_id,
            ev.args["agent"],
            str(int(ev.args["amount"])),
            ev.args["reason"],
            ev.block,
        ),
    )


def _windows(conn: sqlite3.Connection, ev: Event) -> None:
    set_meta(conn, "commit_window", str(int(ev.args["commit_window"])))
    set_meta(conn, "reveal_window", str(int(ev.args["reveal_window"])))


def _min_fee(conn: sqlite3.Connection, ev: Event) -> None:
    set_meta(conn, "min_fee_per_agent", str(int(ev.args["min_fee_per_agent"])))


# --- agents --------------------------------------------------------------------------
def _agent_registered(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    conn.execute(
        "INSERT OR REPLACE INTO agents (address, signer, stake, status, registered_block,"
        " registered_ts) VALUES (?, ?, ?, 'active', ?, ?)",
        (a["agent"], a["signer"], str(int(a["stake"])), ev.block, ev.timestamp),
    )


def _set_agent(conn: sqlite3.Connection, agent: str, **values: Any) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE agents SET {cols} WHERE address = ?", (*values.values(), agent))


def _agent_value(conn: sqlite3.Connection, agent: str, column: str) -> int:
    row = conn.execute(f"SELECT {column} FROM agents WHERE address = ?", (agent,)).fetchone()
    return 0 if row is None else int(row[0])


def _agent_event(conn: sqlite3.Connection, ev: Event) -> None:
    a, agent, name = ev.args, str(ev.args.get("agent", "")), ev.name
    if name == "AgentRegistered":
        _agent_registered(conn, ev)
    elif name in ("StakeAdded", "StakeWithdrawn"):
        _set_agent(conn, agent, stake=str(int(a["stake"])))
        if name == "StakeWithdrawn":
            pending = max(0, _agent_value(conn, agent, "pending_unstake") - int(a["amount"]))
            _set_agent(conn, agent, pending_unstake=str(pending))
    elif name == "UnstakeRequested":
        _set_agent(
            conn,
            agent,
            pending_unstake=str(int(a["pending_unstake"])),
            unbond_at=int(a["unbond_at"]),
        )
    elif name == "Slashed":
        stake = max(0, _agent_value(conn, agent, "stake") - int(a["amount"]))
        pending = min(stake, _agent_value(conn, agent, "pending_unstake"))
        _set_agent(conn, agent, stake=str(stake), pending_unstake=str(pending))
    elif name == "SignerChanged":
        _set_agent(conn, agent, signer=a["new_signer"])
    elif name == "ModelsSet":
        _set_agent(conn, agent, models=json.dumps(list(a["models"])))
    elif name == "EndpointSet":
        _set_agent(conn, agent, endpoint=a["endpoint"])
    elif name == "Deregistered":
        _set_agent(conn, agent, status="deregistered")


def _first_models(conn: sqlite3.Connection, ev: Event) -> None:
    """WeightChanged names the models an agent serves before any ModelsSet."""
    row = conn.execute("SELECT models FROM agents WHERE address = ?", (ev.args["agent"],))
    found = row.fetchone()
    if found is None:
        return
    models = json.loads(found[0])
    if ev.args["model_id"] not in models:
        models.append(ev.args["model_id"])
        _set_agent(conn, str(ev.args["agent"]), models=json.dumps(models))


# --- models --------------------------------------------------------------------------
def _model_event(conn: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    if ev.name == "ModelRegistered":
        conn.execute(
            "INSERT OR REPLACE INTO models (model_id, publisher, kind, manifest_uri, status,"
            " registered_block, registered_ts) VALUES (?, ?, ?, ?, 'active', ?, ?)",
            (
                a["model_id"],
                a["publisher"],
                int(a["kind"]),
                a["manifest_uri"],
                ev.block,
                ev.timestamp,
            ),
        )
    elif ev.name == "ModelDeprecated":
        conn.execute("UPDATE models SET status = 'deprecated' WHERE model_id = ?", (a["model_id"],))


_TASK_HANDLERS = {
    "TaskCreated": _task_created,
    "TaskActivated": _task_activated,
    "Committed": _committed,
    "Revealed": _revealed,
    "TaskFinalized": _task_finalized,
    "Slashed": _slash_row,
    "WindowsSet": _windows,
    "MinFeeSet": _min_fee,
}


def apply(conn: sqlite3.Connection, ev: Event, scopes: frozenset[str] = ALL_SCOPES) -> None:
    """Apply one event to the tables of ``scopes`` (all of them for a live event)."""
    if (
        TASK in scopes
        and ev.name in _TASK_HANDLERS
        and (ev.contract == "TaskMarket" or ev.name == "Slashed")
    ):
        _TASK_HANDLERS[ev.name](conn, ev)
    if AGENTS in scopes and ev.contract == "AgentStaking":
        if ev.name == "WeightChanged":
            _first_models(conn, ev)
        else:
            _agent_event(conn, ev)
    if MODELS in scopes and ev.contract == "ModelRegistry":
        _model_event(conn, ev)


def store(conn: sqlite3.Connection, ev: Event) -> Event:
    """Insert ``ev`` into ``events``; returns it with its row id."""
    cur = conn.execute(
        "INSERT INTO events (block, log_index, tx_hash, timestamp, contract, name, task_id,"
        " agent, model_id, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ev.block,
            ev.log_index,
            ev.tx_hash,
            ev.timestamp,
            ev.contract,
            ev.name,
            ev.task_id,
            ev.agent,
            ev.model_id,
            json.dumps(ev.args, separators=(",", ":")),
        ),
    )
    return Event(
        cur.lastrowid or 0,
        ev.block,
        ev.log_index,
        ev.tx_hash,
        ev.timestamp,
        ev.contract,
        ev.name,
        ev.args,
    )


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Event]:
    return [
        Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
        for r in conn.execute(
            "SELECT id, block, log_index, tx_hash, timestamp, contract, name, args FROM events "
            + sql
            + " ORDER BY id",
            params,
        )
    ]


def rollback(conn: sqlite3.Connection, ancestor: int) -> None:
    """Forget every event above block ``ancestor`` and rebuild what they touched.

    Tasks touched by a dropped event are rebuilt from their remaining events; agents,
    models and the market's parameters (few rows) are rebuilt from all of theirs.
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
    for ev in _rows(conn, "WHERE name IN ('WindowsSet', 'MinFeeSet')"):
        apply(conn, ev, frozenset({TASK}))
    for task_id in touched:
        for table in ("tasks", "members", "slashes"):
            conn.execute(f"DELETE FROM {table} WHERE task_id = ?", (task_id,))
        conn.execute("DELETE FROM task_parents WHERE child = ?", (task_id,))
        for ev in _rows(conn, "WHERE task_id = ?", (task_id,)):
            apply(conn, ev, frozenset({TASK}))
    conn.execute("DELETE FROM agents")
    for ev in _rows(conn, "WHERE contract = 'AgentStaking'"):
        apply(conn, ev, frozenset({AGENTS}))
    conn.execute("DELETE FROM models")
    for ev in _rows(conn, "WHERE contract = 'ModelRegistry'"):
        apply(conn, ev, frozenset({MODELS}))
