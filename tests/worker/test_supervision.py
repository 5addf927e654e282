"""An unexpected error in a background send stops the worker loudly.

The worker's SQLite file gets a trigger that refuses to record when a commit was
broadcast: SQLite itself then raises (``sqlite3.IntegrityError``) inside the task
that sends the commit, right after the broadcast. The worker must not go on half
alive with that task's exception unobserved: it logs ``worker.failed`` with the
error, shuts down, and exits with a non-zero status.
"""

from __future__ import annotations

import sqlite3
import subprocess

from deployments.params import Params
from tests.worker.helpers import ETHER, NetFactory, read_log

REFUSAL = "test: the database refuses to note a commit broadcast"


def test_sqlite_error_in_a_send_stops_the_worker_with_the_error_logged(nets: NetFactory) -> None:
    net = nets(Params(commit_window=30, reveal_window=30), stakes=(ETHER,))  # every seat its
    name = "worker0"
    proc = net.start(0, name=name)
    net.wait_started(name)  # its tables exist from now on
    conn = sqlite3.connect(net.db_path(name), timeout=10)
    try:
        conn.execute(
            "CREATE TRIGGER refuse_broadcast BEFORE UPDATE OF commit_sent_at ON worker_tasks"
            f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
        conn.commit()
    finally:
        conn.close()

    task_id = net.net.create_task(net.model_ids["embedding"], {"text": "the send that fails"})
    try:
        status = proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker is still running after its send failed") from None
    assert status != 0

    events = [line for line, _ in read_log(net.log_path(name))]
    failed = [e for e in events if e.get("event") == "worker.failed"]
    assert len(failed) == 1, failed
    assert failed[0]["level"] == "error"
    assert failed[0]["error"] == f"IntegrityError: {REFUSAL}"
    assert events[-1].get("event") == "worker.stopped"
    # The failure came in the task that sent the commit, after the broadcast.
    assert net.rows(name)[task_id]["commit_sent_at"] is None
    signer = net.agent(0).signer.address
    assert int(net.rpc("eth_getTransactionCount", [signer, "pending"]), 16) == 1
