"""The index's SQLite schema, its version, its connections and its ``meta`` values.

Wei amounts are stored as decimal TEXT (fees reach 2**80, beyond SQLite's integers);
hashes and addresses as ``0x`` hex TEXT (addresses checksummed). ``events`` holds every
decoded log and is the source the other tables are rebuilt from after a reorg.

The schema carries a version (``PRAGMA user_version``). An index written by another
version (protocol v1's index has none) is dropped whole and rebuilt from the chain:
it is a cache of the chain's events, and the follower's cursor goes with it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import structlog

from oracles.chain.follower import open_db

log = structlog.get_logger(__name__)

# 1: protocol v1 (no version stored). 2: protocol v2 (seats, draw blocks, parameter
# versions, skipped submissions, withdrawals, registry corrections).
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    block INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    contract TEXT NOT NULL,
    name TEXT NOT NULL,
    task_id INTEGER,
    agent TEXT,
    model_id TEXT,
    args TEXT NOT NULL,
    UNIQUE (block, log_index)
);
CREATE INDEX IF NOT EXISTS events_task ON events (task_id, id);
CREATE INDEX IF NOT EXISTS events_agent ON events (agent, id);
CREATE INDEX IF NOT EXISTS events_block ON events (block);

CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- One row per ParamsVersionAdded: a task uses the newest version added before it.
CREATE TABLE IF NOT EXISTS params_versions (
    version INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    block INTEGER NOT NULL,
    commit_window INTEGER NOT NULL,
    reveal_window INTEGER NOT NULL,
    slash_missed TEXT NOT NULL,
    slash_wrong TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS params_versions_event ON params_versions (event_id);

-- status: NULL while open, else TaskFinalized.status. committee_size counts seats,
-- members distinct agents; commits/reveals count members, *_seats their seats.
CREATE TABLE IF NOT EXISTS tasks (
    task_id INTEGER PRIMARY KEY,
    requester TEXT NOT NULL,
    model_id TEXT NOT NULL,
    fee TEXT NOT NULL,
    committee_size INTEGER NOT NULL,
    quorum INTEGER NOT NULL,
    input BLOB NOT NULL,
    parents TEXT NOT NULL,
    status INTEGER,
    draw_block INTEGER NOT NULL,
    redraws INTEGER NOT NULL DEFAULT 0,
    params_version INTEGER,
    commit_window INTEGER NOT NULL,
    reveal_window INTEGER NOT NULL,
    slash_missed TEXT NOT NULL,
    slash_wrong TEXT NOT NULL,
    committee TEXT NOT NULL DEFAULT '[]',
    members INTEGER NOT NULL DEFAULT 0,
    start_ts INTEGER,
    commit_end INTEGER,
    reveal_end INTEGER,
    commits INTEGER NOT NULL DEFAULT 0,
    reveals INTEGER NOT NULL DEFAULT 0,
    committed_seats INTEGER NOT NULL DEFAULT 0,
    revealed_seats INTEGER NOT NULL DEFAULT 0,
    result_hash TEXT,
    unbacked_hash TEXT,
    output BLOB,
    share TEXT,
    agreeing_seats INTEGER,
    created_block INTEGER NOT NULL,
    created_ts INTEGER NOT NULL,
    created_tx TEXT NOT NULL,
    activated_block INTEGER,
    finalized_block INTEGER,
    finalized_ts INTEGER,
    finalized_tx TEXT
);
CREATE INDEX IF NOT EXISTS tasks_requester ON tasks (requester, task_id);
CREATE INDEX IF NOT EXISTS tasks_model ON tasks (model_id, task_id);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, task_id);
CREATE INDEX IF NOT EXISTS tasks_finalized ON tasks (finalized_ts);

-- One row per distinct member (position: first seat first, as the contract's views);
-- outcome, set at finalization: agreed, disagreed, missed or NULL (no verdict).
CREATE TABLE IF NOT EXISTS members (
    task_id INTEGER NOT NULL,
    agent TEXT NOT NULL,
    position INTEGER NOT NULL,
    seats INTEGER NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    revealed INTEGER NOT NULL DEFAULT 0,
    result_hash TEXT,
    outcome TEXT,
    commit_block INTEGER,
    reveal_block INTEGER,
    PRIMARY KEY (task_id, agent)
);
CREATE INDEX IF NOT EXISTS members_agent ON members (agent, task_id);

CREATE TABLE IF NOT EXISTS task_parents (
    child INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    PRIMARY KEY (child, parent)
);
CREATE INDEX IF NOT EXISTS task_parents_parent ON task_parents (parent, child);

-- Slashed: one row per member and task, amount = seats x the per-seat amount.
CREATE TABLE IF NOT EXISTS slashes (
    event_id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL,
    agent TEXT NOT NULL,
    amount TEXT NOT NULL,
    reason INTEGER NOT NULL,
    block INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS slashes_task ON slashes (task_id);
CREATE INDEX IF NOT EXISTS slashes_agent ON slashes (agent);

-- SubmissionSkipped: a batch item that did not take effect.
CREATE TABLE IF NOT EXISTS skipped (
    event_id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL,
    agent TEXT NOT NULL,
    reason INTEGER NOT NULL,
    block INTEGER NOT NULL,
    tx_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS skipped_task ON skipped (task_id);

CREATE TABLE IF NOT EXISTS withdrawals (
    event_id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    receiver TEXT NOT NULL,
    amount TEXT NOT NULL,
    block INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    tx_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS withdrawals_account ON withdrawals (account, event_id);

CREATE TABLE IF NOT EXISTS agents (
    address TEXT PRIMARY KEY,
    signer TEXT NOT NULL,
    stake TEXT NOT NULL,
    pending_unstake TEXT NOT NULL DEFAULT '0',
    unbond_at INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    models TEXT NOT NULL DEFAULT '[]',
    endpoint TEXT NOT NULL DEFAULT '',
    registered_block INTEGER NOT NULL,
    registered_ts INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS models (
    model_id TEXT PRIMARY KEY,
    publisher TEXT NOT NULL,
    kind INTEGER NOT NULL,
    manifest_uri TEXT NOT NULL,
    status TEXT NOT NULL,
    registered_block INTEGER NOT NULL,
    registered_ts INTEGER NOT NULL,
    corrected_block INTEGER
);
"""


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The version of the index behind ``conn``; ``None`` for an empty file."""
    tables = conn.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()[0]
    if not tables:
        return None
    return max(1, int(conn.execute("PRAGMA user_version").fetchone()[0]))


def _drop_everything(conn: sqlite3.Connection) -> None:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    conn.execute("BEGIN IMMEDIATE")
    for name in names:
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    conn.execute("COMMIT")


def open_writer(path: str | Path) -> sqlite3.Connection:
    """The indexer's connection (autocommit + WAL, as the log follower expects).

    An index of another schema version is dropped and rebuilt from the chain.
    """
    conn = open_db(path)
    found = schema_version(conn)
    if found is not None and found != SCHEMA_VERSION:
        log.warning(
            "index.rebuild",
            path=str(path),
            found_version=found,
            schema_version=SCHEMA_VERSION,
            why=f"the index was written by schema v{found}: dropping it and re-indexing "
            f"every event from the deployment block (schema v{SCHEMA_VERSION})",
        )
        _drop_everything(conn)
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return conn


def open_reader(path: str | Path) -> sqlite3.Connection:
    """A connection for the routes; reads see only committed indexer transactions."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    conn.row_factory = sqlite3.Row
    return conn


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value of the ``meta`` table (parameters read from the chain's getters)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
