"""The worker's SQLite tables, and the migration of files older worker versions wrote.

The schema version is SQLite's ``user_version``. A file is migrated in place when it
is opened: version 0 kept model ids, result hashes and salts as hex text; version 1
(protocol v1) had no committee size, draw block or seating time, and no pokes. A
file newer than this worker is refused.
"""

from __future__ import annotations

import sqlite3

from oracles.errors import AgentnetError

SCHEMA_VERSION = 2

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
    committee_size INTEGER NOT NULL DEFAULT 0,
    draw_block INTEGER NOT NULL DEFAULT 0,
    seated_at REAL,
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
CREATE TABLE IF NOT EXISTS worker_pokes (
    agent TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    block INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (agent, task_id)
);
"""

# Columns version 2 added to worker_tasks (a version 1 file gets them with ALTER TABLE).
V2_COLUMNS = (
    "committee_size INTEGER NOT NULL DEFAULT 0",
    "draw_block INTEGER NOT NULL DEFAULT 0",
    "seated_at REAL",
)


class StoreError(AgentnetError):
    """The worker's database file cannot be used by this version of the worker."""


def open_schema(conn: sqlite3.Connection) -> None:
    """Create the tables, or bring an older file's up to :data:`SCHEMA_VERSION`."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the worker database has schema version {version}, newer than this "
            f"worker's {SCHEMA_VERSION}: run a newer agentnet, or give another --db"
        )
    has_tasks = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker_tasks'"
    ).fetchone()
    if version == 0 and has_tasks:
        _migrate_from_hex_text(conn)
    elif version == 1:
        _add_v2_columns(conn)
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _unhex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value.removeprefix("0x"))


def _add_v2_columns(conn: sqlite3.Connection) -> None:
    """Version 1 had no committee size, draw block or seating time."""
    with conn:
        for column in V2_COLUMNS:
            conn.execute(f"ALTER TABLE worker_tasks ADD COLUMN {column}")


def _migrate_from_hex_text(conn: sqlite3.Connection) -> None:
    """Version 0 kept model ids, result hashes and salts as ``0x``/hex text."""
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
        raise StoreError(
            f"cannot migrate the worker database to version {SCHEMA_VERSION}: {exc}"
        ) from exc
    conn.commit()
