"""The worker's SQLite file: bytes in, bytes out; an old file is migrated, a newer one refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oracles.chain.follower import open_db
from oracles.protocol import result_hash
from oracles.worker.store import SCHEMA_VERSION, StoreError, TaskStore

MODEL = bytes.fromhex("ab" * 32)

# The tables as worker versions before schema 1 wrote them (user_version 0).
SCHEMA_V0 = """
CREATE TABLE worker_tasks (
    task_id INTEGER PRIMARY KEY, model_id TEXT NOT NULL, input BLOB NOT NULL,
    parents TEXT NOT NULL, committee TEXT NOT NULL, quorum INTEGER NOT NULL,
    member INTEGER NOT NULL, state TEXT NOT NULL, created_block INTEGER NOT NULL,
    output BLOB, result_hash TEXT, salt TEXT, commit_tx TEXT, commit_sent_at REAL,
    reveal_tx TEXT, finalize_tx TEXT, seen_at REAL NOT NULL, computed_at REAL,
    committed_at REAL, revealed_at REAL, done_at REAL, inference_ms REAL
);
CREATE TABLE worker_finals (
    task_id INTEGER PRIMARY KEY, status INTEGER NOT NULL, result_hash TEXT NOT NULL,
    output BLOB NOT NULL, block INTEGER NOT NULL
);
CREATE TABLE worker_chain_cursors (name TEXT PRIMARY KEY, last_block INTEGER NOT NULL);
"""


def open_store(path: Path) -> TaskStore:
    return TaskStore(open_db(path))


def test_hashes_salts_and_model_ids_are_stored_as_bytes(tmp_path: Path) -> None:
    store = open_store(tmp_path / "w.sqlite")
    store.insert_task(7, MODEL, b"in", [], 1, 1, 4, 3)
    store.set_committee(7, ["0xA"], True)
    row = store.get(7)
    assert row is not None
    output, salt = b'{"x":1}', bytes(range(32))
    saved = store.save_output(row, output, result_hash(output), salt, 2.5)
    assert saved == store.get(7)
    assert (saved.model_id, saved.result_hash, saved.salt) == (MODEL, result_hash(output), salt)
    types = store.conn.execute(
        "SELECT typeof(model_id), typeof(result_hash), typeof(salt) FROM worker_tasks"
    ).fetchone()
    assert tuple(types) == ("blob", "blob", "blob")
    # never overwritten: a second result for the task is refused
    assert store.save_output(saved, b"other", result_hash(b"other"), bytes(32), 1.0) is None
    assert store.get(7) == saved
    store.record_finalized(7, 1, result_hash(output), output, 4)
    assert store.finalized_output(7) == output
    store.forget_after(3)
    assert store.finalized_output(7) is None
    assert store.get(7) == saved  # it holds a salt: kept across the reorg


def test_version_0_file_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V0)
    salt = "11" * 32
    digest = "0x" + "22" * 32
    conn.execute(
        "INSERT INTO worker_tasks (task_id, model_id, input, parents, committee, quorum,"
        " member, state, created_block, output, result_hash, salt, commit_tx, seen_at)"
        " VALUES (5, ?, x'01', '[]', '[\"0xA\"]', 1, 1, 'committed', 9, x'02', ?, ?, '0xc0', 1.5)",
        ("0x" + MODEL.hex(), digest, salt),
    )
    conn.execute(
        "INSERT INTO worker_tasks (task_id, model_id, input, parents, committee,"
        " quorum, member, state, created_block, seen_at)"
        " VALUES (6, ?, x'03', '[5]', '[]', 1, 0, 'waiting', 10, 2.0)",
        ("0x" + MODEL.hex(),),
    )
    conn.execute("INSERT INTO worker_finals VALUES (4, 1, ?, x'aa', 8)", (digest,))
    conn.execute("INSERT INTO worker_chain_cursors VALUES ('worker', 10)")
    conn.commit()
    conn.close()

    store = open_store(path)
    row = store.get(5)
    assert row is not None
    assert (row.model_id, row.result_hash, row.salt) == (
        MODEL,
        bytes.fromhex("22" * 32),
        bytes.fromhex(salt),
    )
    assert (row.state, row.commit_tx, row.output, row.seen_at) == (
        "committed",
        "0xc0",
        b"\x02",
        1.5,
    )
    assert [r.task_id for r in store.open_tasks()] == [5, 6]
    assert store.finalized_output(4) == b"\xaa"
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    # the follower's tables are left alone; opening again changes nothing
    assert store.conn.execute("SELECT last_block FROM worker_chain_cursors").fetchone()[0] == 10
    store.conn.close()
    assert open_store(path).get(5) == row


def test_version_1_file_gets_the_v2_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V0.replace("model_id TEXT", "model_id BLOB"))
    conn.execute(
        "INSERT INTO worker_tasks (task_id, model_id, input, parents, committee, quorum,"
        " member, state, created_block, seen_at)"
        " VALUES (3, ?, x'01', '[]', '[\"0xA\"]', 1, 1, 'seen', 9, 1.5)",
        (MODEL,),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    store = open_store(path)
    row = store.get(3)
    assert row is not None
    assert (row.model_id, row.committee, row.member, row.state) == (MODEL, ["0xA"], True, "seen")
    assert (row.committee_size, row.draw_block, row.seated_at) == (0, 0, None)
    store.add_poke("0xB", 3, 12)
    assert [(p.agent, p.task_id, p.block) for p in store.pokes()] == [("0xB", 3, 12)]
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_committee_of_a_waiting_task_is_learned_and_forgotten_on_a_redraw(tmp_path: Path) -> None:
    store = open_store(tmp_path / "w.sqlite")
    store.insert_task(1, MODEL, b"in", [], 2, 3, 11, 10)
    row = store.get(1)
    assert row is not None
    assert (row.state, row.committee, row.member, row.draw_block) == ("waiting", [], False, 11)
    store.set_committee(1, ["0xA", "0xB", "0xA"], True)
    row = store.get(1)
    assert row is not None and (row.state, row.member) == ("seen", True)
    seated_at = row.seated_at
    assert seated_at is not None
    store.set_draw_block(1, 300)  # TaskRedrawn
    row = store.get(1)
    assert row is not None
    assert (row.state, row.committee, row.member, row.draw_block) == ("waiting", [], False, 300)
    store.set_committee(1, ["0xB", "0xC", "0xC"], False)
    row = store.get(1)
    assert row is not None and (row.state, row.seated_at) == ("observer", seated_at)


def test_pokes_of_dropped_blocks_are_forgotten(tmp_path: Path) -> None:
    store = open_store(tmp_path / "w.sqlite")
    store.add_poke("0xA", 1, 10)
    store.add_poke("0xB", 2, 12)
    store.add_poke("0xB", 2, 12)  # the same event delivered again
    store.forget_after(11)
    assert [(p.agent, p.task_id) for p in store.pokes()] == [("0xA", 1)]
    store.forget_pokes("0xA")
    assert store.pokes() == []


def test_file_of_a_newer_worker_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    newer = rf"schema version {SCHEMA_VERSION + 1}, newer than this worker's {SCHEMA_VERSION}"
    with pytest.raises(StoreError, match=newer) as info:
        open_store(path)
    assert "\n" not in str(info.value)
