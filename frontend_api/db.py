"""The indexer's SQLite schema and connections.

Wei amounts are stored as decimal TEXT (fees reach 2**80, beyond SQLite's integers);
hashes and addresses as ``0x`` hex TEXT (addresses checksummed). ``events`` holds every
decoded log and is the source the other tables are rebuilt from after a reorg.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from oracles.chain.follower import open_db

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

CREATE TABLE IF NOT EXISTS tasks (
    task_id INTEGER PRIMARY KEY,
    requester TEXT NOT NULL,
    model_id TEXT NOT NULL,
    fee TEXT NOT NULL,
    committee_size INTEGER NOT NULL,
    quorum INTEGER NOT NULL,
    input BLOB NOT NULL,
    parents TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    start_ts INTEGER,
    commit_end INTEGER,
    reveal_end INTEGER,
    reveal_window INTEGER NOT NULL,
    commits INTEGER NOT NULL DEFAULT 0,
    reveals INTEGER NOT NULL DEFAULT 0,
    result_hash TEXT,
    output BLOB,
    share TEXT,
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

CREATE TABLE IF NOT EXISTS members (
    task_id INTEGER NOT NULL,
    agent TEXT NOT NULL,
    position INTEGER NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    revealed INTEGER NOT NULL DEFAULT 0,
    result_hash TEXT,
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
    registered_ts INTEGER NOT NULL
);
"""

# Tables derived from ``events`` (wiped and replayed on a reorg).
DERIVED = ("tasks", "task_parents", "members", "slashes", "agents", "models")


def open_writer(path: str | Path) -> sqlite3.Connection:
    """The indexer's connection (autocommit + WAL, as the log follower expects)."""
    conn = open_db(path)
    conn.executescript(SCHEMA)
    return conn


def open_reader(path: str | Path) -> sqlite3.Connection:
    """A connection for the routes; reads see only committed indexer transactions."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    conn.row_factory = sqlite3.Row
    return conn
