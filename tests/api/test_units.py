"""Output decoding and reorg rollback of the derived tables, without a chain."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path

from bench.api import AGENTS, LogMaker, deployment
from frontend_api import apply as ap
from frontend_api import queries as q
from frontend_api.db import open_reader, open_writer
from frontend_api.indexer import EventHandler
from frontend_api.outputs import decode_input, decode_output


def test_outputs_are_decoded_for_their_kind() -> None:
    i8 = base64.b64encode(bytes([127, 0, 0, 0])).decode()
    emb = decode_output(f'{{"dim":4,"i8":"{i8}"}}'.encode(), 0)
    assert emb == {"type": "embedding", "dim": 4, "norm": 1.0, "first": [1.0, 0.0, 0.0, 0.0]}
    assert decode_output(b'{"index":1,"label":"fox"}', 1) == {
        "type": "classification", "label": "fox", "index": 1,
    }  # fmt: skip
    gen = decode_output(b'{"text":" hi","tokens":[5,6]}', 2)
    assert gen == {"type": "generation", "text": " hi", "tokens": 2}
    assert decode_output(b'{"error":"input_too_long"}', 2) == {
        "type": "error", "error": "input_too_long",
    }  # fmt: skip
    assert decode_output(b"\xff", 0) == {"type": "raw", "hex": "0xff"}
    assert decode_output(b"", 0) is None
    assert decode_input(b'{"text":"a"}') == {"json": {"text": "a"}}
    assert decode_input(b"plain") == {"text": "plain"}


def _index(db: Path, logs: list[object]) -> None:
    conn = open_writer(db)
    dep = deployment()

    async def stamps(blocks: object) -> dict[int, int]:
        return {n: 1_000 + n for n, _ in blocks}  # type: ignore[attr-defined]

    handler = EventHandler(dep, stamps)
    conn.execute("BEGIN IMMEDIATE")
    asyncio.run(handler.on_logs(conn, logs))  # type: ignore[arg-type]
    conn.commit()
    conn.close()


def test_rollback_forgets_dropped_blocks_and_rebuilds(tmp_path: Path) -> None:
    dep = deployment()
    mk = LogMaker(dep)
    reg, stk, mkt = dep["ModelRegistry"], dep["AgentStaking"], dep["TaskMarket"]
    model = bytes(32)
    logs = [
        mk.log(mkt, "WindowsSet", commit_window=10, reveal_window=10),
        mk.log(reg, "ModelRegistered", model_id=model, publisher=AGENTS[0], kind=2,
               manifest_uri="m"),
    ]  # fmt: skip
    for agent in AGENTS:
        logs.append(mk.log(stk, "AgentRegistered", agent=agent, signer=agent, stake=10**18))
    before_task = mk.block
    mk.next_block()
    created = mk.block
    logs.append(mk.log(mkt, "TaskCreated", task_id=1, requester=AGENTS[0], model_id=model,
                       fee=900, committee=AGENTS, quorum=2, input=b"{}", parents=[]))  # fmt: skip
    mk.next_block()
    logs += [mk.log(mkt, "Revealed", task_id=1, agent=a, result_hash=b"\1" * 32) for a in AGENTS]
    logs.append(mk.log(mkt, "TaskFinalized", task_id=1, status=1, result_hash=b"\1" * 32,
                       output=b'{"text":"x","tokens":[]}'))  # fmt: skip
    logs.append(mk.log(stk, "Slashed", agent=AGENTS[2], task_id=1, amount=5, reason=1))
    db = tmp_path / "index.sqlite"
    _index(db, logs)
    reader = open_reader(db)
    assert q.list_agents(reader)[0]["earnings"] == "300"
    assert q.task_detail(reader, 1, 2_000)["state"] == "succeeded"  # type: ignore[index]

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    ap.rollback(conn, created)  # reveals, finalization and slash dropped; creation kept
    conn.commit()
    task = q.task_detail(reader, 1, 1_000 + created)
    assert task is not None and task["state"] == "commit"
    assert task["reveals"] == 0 and task["slashes"] == [] and task["output"] is None
    assert [e["name"] for e in task["events"]] == ["TaskCreated"]
    conn.execute("BEGIN")
    ap.rollback(conn, before_task)  # now the task itself is gone
    conn.commit()
    assert q.task_detail(reader, 1, 2_000) is None
    agents = q.list_agents(reader)
    assert {a["earnings"] for a in agents} == {"0"}
    assert {a["stake"] for a in agents} == {str(10**18)}
    assert [m["model_id"] for m in q.list_models(reader)] == ["0x" + "00" * 32]
    assert q.stats(reader, 2_000)["tasks"] == 0
