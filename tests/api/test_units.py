"""The index without a chain: ABI-encoded logs of the real compiled contracts go through
the indexer's own handler into a real SQLite file, and the read side answers from it.

Covers what the live network cannot show on demand: seats split unevenly, the
grace-period failure, skipped batch items, parameter versions, registry corrections,
reorg rollback, and the rebuild of an index written by the v1 schema.
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from bench.api import AGENTS, LogMaker, deployment, params_log
from frontend_api.agent_queries import list_agents, list_models
from frontend_api.apply import rollback
from frontend_api.db import SCHEMA_VERSION, open_reader, open_writer, schema_version
from frontend_api.indexer import EventHandler, check_protocol
from frontend_api.outputs import decode_input, decode_output
from frontend_api.stats import stats
from frontend_api.task_queries import TaskFilter, list_tasks, task_detail
from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError
from oracles.chain.follower import Log

MODEL = bytes(32)
OUTPUT = b'{"text":"x","tokens":[]}'
GOOD = b"\1" * 32
BAD = b"\2" * 32
A0, A1, A2 = AGENTS


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


@pytest.fixture(scope="module")
def dep() -> Deployment:
    return deployment()


class Chain:
    """Logs of a made-up chain, fed to the indexer's handler as a follower would."""

    def __init__(self, dep: Deployment, db: Path) -> None:
        self.mk = LogMaker(dep)
        self.reg, self.stk, self.mkt = dep["ModelRegistry"], dep["AgentStaking"], dep["TaskMarket"]
        self.handler = EventHandler(dep, self._stamps)
        self.db = db
        self.conn = open_writer(db)
        self.reader = open_reader(db)

    @staticmethod
    async def _stamps(blocks: Iterable[tuple[int, str]]) -> dict[int, int]:
        return {n: 1_000 + n for n, _ in blocks}

    def feed(self, logs: list[Log]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        asyncio.run(self.handler.on_logs(self.conn, logs))
        self.conn.commit()

    def rollback(self, ancestor: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        rollback(self.conn, ancestor)
        self.conn.commit()

    def setup(self) -> None:
        """Parameters v1, a model, three agents of 1 ETH."""
        logs = [params_log(self.mk, self.mkt, window=10)]
        logs.append(
            self.mk.log(self.reg, "ModelRegistered", model_id=MODEL, publisher=A0, kind=2,
                        manifest_uri="m")
        )  # fmt: skip
        for agent in AGENTS:
            logs.append(
                self.mk.log(self.stk, "AgentRegistered", agent=agent, signer=agent, stake=10**18)
            )
        self.feed(logs)

    def create(self, task_id: int, size: int = 3, quorum: int = 2, fee: int = 900) -> Log:
        return self.mk.log(
            self.mkt, "TaskCreated", task_id=task_id, requester=A0, model_id=MODEL, fee=fee,
            committee_size=size, quorum=quorum, input=b"{}", parents=[],
            draw_block=self.mk.block + 1,
        )  # fmt: skip

    def seat(self, task_id: int, committee: list[str]) -> list[Log]:
        logs = [self.mk.log(self.mkt, "TaskActivated", task_id=task_id, committee=committee)]
        for agent in dict.fromkeys(committee):
            logs.append(self.mk.log(self.mkt, "Committed", task_id=task_id, agent=agent))
        return logs

    def reveal(self, task_id: int, agent: str, result_hash: bytes) -> Log:
        return self.mk.log(
            self.mkt, "Revealed", task_id=task_id, agent=agent, result_hash=result_hash
        )

    def finalize(self, task_id: int, status: int, result_hash: bytes, output: bytes) -> Log:
        return self.mk.log(
            self.mkt, "TaskFinalized", task_id=task_id, status=status, result_hash=result_hash,
            output=output,
        )  # fmt: skip

    def slash(self, task_id: int, agent: str, amount: int, reason: int) -> Log:
        return self.mk.log(
            self.stk, "Slashed", agent=agent, task_id=task_id, amount=amount, reason=reason
        )

    def task(self, task_id: int, now: int = 5_000) -> dict[str, Any]:
        found = task_detail(self.reader, task_id, now)
        assert found is not None
        return found

    def agents(self) -> dict[str, dict[str, Any]]:
        return {a["address"]: a for a in list_agents(self.reader)}


@pytest.fixture()
def chain(dep: Deployment, tmp_path: Path) -> Chain:
    c = Chain(dep, tmp_path / "index.sqlite")
    c.setup()
    return c


def test_seats_count_in_quorum_payouts_and_slashes(chain: Chain) -> None:
    """A0 holds two seats of three: its answer counts twice, its pay and slash too."""
    chain.mk.next_block()
    created = chain.mk.block
    chain.feed([chain.create(1, size=3, quorum=2, fee=900)])
    waiting = chain.task(1)
    assert waiting["state"] == "waiting" and waiting["draw_block"] == created + 1
    assert waiting["committee"] == [] and waiting["members"] == []
    assert (waiting["commit_window"], waiting["slash_missed"]) == (10, str(10**16))

    chain.mk.next_block()
    chain.mk.next_block()
    chain.feed(chain.seat(1, [A0, A2, A0]))
    seated = chain.task(1, now=1_000 + chain.mk.block)
    assert seated["committee"] == [A0, A2, A0]
    assert [(m["agent"], m["seats"]) for m in seated["members"]] == [(A0, 2), (A2, 1)]
    assert seated["member_count"] == 2 and seated["commits"] == 2
    # Every member committed: the commit phase ended at that block, reveals are open.
    assert seated["commit_end"] == 1_000 + chain.mk.block
    assert seated["state"] == "reveal"

    chain.mk.next_block()
    chain.feed([chain.reveal(1, A0, GOOD), chain.reveal(1, A2, BAD)])
    assert chain.task(1)["state"] == "ready"
    assert chain.task(1)["revealed_seats"] == 3
    chain.feed([
        chain.finalize(1, 1, GOOD, OUTPUT),
        chain.slash(1, A2, 5 * 10**16, 2),
    ])  # fmt: skip
    done = chain.task(1)
    assert done["state"] == "succeeded"
    assert (done["share"], done["agreeing_seats"]) == ("450", 2)  # 900 // 2 agreeing seats
    outcomes = {m["agent"]: (m["outcome"], m["reward"]) for m in done["members"]}
    assert outcomes == {A0: ("agreed", "900"), A2: ("disagreed", None)}
    assert done["slashes"] == [
        {"agent": A2, "amount": str(5 * 10**16), "seats": 1, "reason": 2,
         "reason_label": "wrong", "block": chain.mk.block}
    ]  # fmt: skip
    agents = chain.agents()
    assert (agents[A0]["earnings"], agents[A0]["paid_seats"]) == ("900", 2)
    assert agents[A0]["reputation"] == {"agreed": 1, "disagreed": 0, "missed": 0}
    assert agents[A2]["reputation"] == {"agreed": 0, "disagreed": 1, "missed": 0}
    assert (agents[A2]["slashed"], agents[A2]["slashed_seats"]) == (str(5 * 10**16), 1)
    assert int(agents[A2]["stake"]) == 10**18 - 5 * 10**16
    assert [t["id"] for t in list_tasks(chain.reader, TaskFilter(agent=A0), 5, None, 0)[0]] == [1]
    assert list_tasks(chain.reader, TaskFilter(agent=A1), 5, None, 0)[0] == []


def test_missed_seats_are_slashed_per_seat_and_refund_fails_the_task(chain: Chain) -> None:
    chain.mk.next_block()
    chain.feed([chain.create(1, size=2, quorum=2)])
    chain.mk.next_block()
    chain.mk.next_block()
    chain.feed([chain.mk.log(chain.mkt, "TaskActivated", task_id=1, committee=[A1, A1])])
    chain.mk.next_block()
    chain.feed([chain.finalize(1, 2, bytes(32), b""), chain.slash(1, A1, 2 * 10**16, 1)])
    failed = chain.task(1)
    assert failed["state"] == "failed" and failed["share"] is None
    assert failed["members"][0]["outcome"] == "missed"
    assert failed["slashes"][0]["seats"] == 2 and failed["slashes"][0]["reason_label"] == "missed"
    agent = chain.agents()[A1]
    assert agent["reputation"]["missed"] == 1 and agent["slashed_seats"] == 2
    assert stats(chain.reader, 5_000)["slashed_total"] == str(2 * 10**16)


def test_a_quorum_nobody_backs_fails_after_the_grace_period(chain: Chain) -> None:
    """finalize(task, b"") after the grace period: the quorum's members disagreed."""
    chain.mk.next_block()
    chain.feed([chain.create(1)])
    chain.mk.next_block()
    chain.feed(chain.seat(1, [A0, A1, A2]))
    chain.mk.next_block()
    chain.feed([chain.reveal(1, A0, GOOD), chain.reveal(1, A1, GOOD), chain.reveal(1, A2, BAD)])
    chain.feed([chain.finalize(1, 2, bytes(32), b"")])
    task = chain.task(1)
    assert task["unbacked_hash"] == "0x" + GOOD.hex()
    assert {m["agent"]: m["outcome"] for m in task["members"]} == {
        A0: "disagreed", A1: "disagreed", A2: None,
    }  # fmt: skip
    assert chain.agents()[A2]["reputation"] == {"agreed": 0, "disagreed": 0, "missed": 0}


def test_tasks_keep_the_parameter_version_of_their_creation(chain: Chain) -> None:
    chain.mk.next_block()
    chain.feed([chain.create(1)])
    chain.feed([
        chain.mk.log(chain.mkt, "ParamsVersionAdded", version=2, commit_window=30,
                     reveal_window=40, slash_missed=7, slash_wrong=9),
        chain.create(2),
    ])  # fmt: skip
    first, second = chain.task(1), chain.task(2)
    assert (first["params_version"], first["commit_window"], first["slash_wrong"]) == (
        1, 10, str(5 * 10**16),
    )  # fmt: skip
    assert (second["params_version"], second["commit_window"], second["reveal_window"]) == (
        2, 30, 40,
    )  # fmt: skip
    assert (second["slash_missed"], second["slash_wrong"]) == ("7", "9")
    chain.mk.next_block()
    chain.feed(chain.seat(2, [A0, A1, A2]))  # last commit in the same block
    seated = chain.task(2)
    assert seated["reveal_end"] - seated["start_at"] == 40


def test_redraws_skips_withdrawals_and_registry_corrections(chain: Chain) -> None:
    chain.mk.next_block()
    chain.feed([chain.create(1)])
    redraw_block = chain.mk.block + 300
    chain.mk.next_block()
    chain.feed([
        chain.mk.log(chain.mkt, "TaskRedrawn", task_id=1, draw_block=redraw_block),
        chain.mk.log(chain.mkt, "SubmissionSkipped", task_id=1, agent=A1, reason=3),
        chain.mk.log(chain.mkt, "Withdrawn", account=A0, receiver=A2, amount=123),
        chain.mk.log(chain.reg, "ModelCorrected", model_id=MODEL, publisher=A1, kind=0,
                     manifest_uri="fixed"),
        chain.mk.log(chain.reg, "ModelDeprecated", model_id=MODEL, caller=A1),
    ])  # fmt: skip
    task = chain.task(1)
    assert (task["draw_block"], task["redraws"], task["state"]) == (redraw_block, 1, "waiting")
    (skip,) = task["skipped"]
    assert (skip["agent"], skip["reason"], skip["block"]) == (A1, 3, chain.mk.block)
    assert skip["reason_label"] == "not active"
    assert [e["name"] for e in task["events"]] == [
        "TaskCreated",
        "TaskRedrawn",
        "SubmissionSkipped",
    ]
    assert chain.agents()[A0]["withdrawn"] == "123"
    assert stats(chain.reader, 5_000)["withdrawn_total"] == "123"
    (model,) = list_models(chain.reader)
    assert (model["publisher"], model["kind"], model["manifest_uri"]) == (A1, "embedding", "fixed")
    assert model["status"] == "deprecated" and model["corrected_block"] == chain.mk.block
    chain.feed([chain.mk.log(chain.reg, "ModelReinstated", model_id=MODEL)])
    assert list_models(chain.reader)[0]["status"] == "active"


def test_rollback_forgets_dropped_blocks_and_rebuilds(chain: Chain) -> None:
    before_task = chain.mk.block
    chain.mk.next_block()
    created = chain.mk.block
    chain.feed([chain.create(1)])
    chain.mk.next_block()
    seated = chain.mk.block
    chain.feed(chain.seat(1, [A0, A1, A1]))
    chain.mk.next_block()
    chain.feed([
        chain.reveal(1, A0, GOOD), chain.reveal(1, A1, GOOD),
        chain.finalize(1, 1, GOOD, OUTPUT),
        chain.mk.log(chain.mkt, "Withdrawn", account=A1, receiver=A1, amount=600),
    ])  # fmt: skip
    assert chain.agents()[A1]["earnings"] == "600"  # 900 // 3 seats, two of them A1's

    chain.rollback(seated)  # reveals, finalization and withdrawal dropped; seating kept
    task = chain.task(1, now=1_000 + seated)
    assert task["state"] == "reveal" and task["reveals"] == 0 and task["output"] is None
    assert [(m["agent"], m["seats"]) for m in task["members"]] == [(A0, 1), (A1, 2)]
    assert [e["name"] for e in task["events"]] == ["TaskCreated", "TaskActivated", "Committed",
                                                   "Committed"]  # fmt: skip
    assert chain.agents()[A1]["withdrawn"] == "0"
    chain.rollback(created)  # the seating goes too: waiting again
    assert chain.task(1)["state"] == "waiting" and chain.task(1)["members"] == []
    chain.rollback(before_task)  # now the task itself is gone
    assert task_detail(chain.reader, 1, 2_000) is None
    agents = list_agents(chain.reader)
    assert {a["earnings"] for a in agents} == {"0"}
    assert {a["stake"] for a in agents} == {str(10**18)}
    assert [m["model_id"] for m in list_models(chain.reader)] == ["0x" + "00" * 32]
    assert stats(chain.reader, 2_000)["tasks"] == 0


def _v1_index(path: Path) -> None:
    """An index as the protocol v1 API wrote it (no schema version, no draw block)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE tasks (task_id INTEGER PRIMARY KEY, requester TEXT, status INTEGER);"
        "CREATE TABLE chain_cursors (name TEXT PRIMARY KEY, last_block INTEGER NOT NULL);"
        "INSERT INTO tasks VALUES (1, '0xabc', 1);"
        "INSERT INTO chain_cursors VALUES ('api', 500);"
    )
    conn.commit()
    conn.close()


def test_an_index_of_the_v1_schema_is_rebuilt(dep: Deployment, tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    _v1_index(db)
    before = sqlite3.connect(db)
    assert schema_version(before) == 1
    before.close()
    chain = Chain(dep, db)  # opens it as the indexer does
    assert schema_version(chain.conn) == SCHEMA_VERSION
    tables = {r[0] for r in chain.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "chain_cursors" not in tables  # the follower starts again from the deployment
    assert chain.conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 0
    chain.setup()
    chain.mk.next_block()
    chain.feed([chain.create(1)])
    assert chain.task(1)["state"] == "waiting"
    again = Chain(dep, db)  # the current schema is kept as it is
    assert task_detail(again.reader, 1, 0) is not None


def test_a_v1_deployment_record_is_refused_in_one_line(dep: Deployment) -> None:
    check_protocol(dep)
    record = {
        "chain_id": dep.chain_id,
        "block": 1,
        "contracts": {
            name: {"address": c.address, "abi": c.abi} for name, c in dep.contracts.items()
        },
    }
    market = record["contracts"]["TaskMarket"]
    market["abi"] = [i for i in market["abi"] if i.get("name") != "TaskRedrawn"]
    with pytest.raises(ChainError, match="has no TaskRedrawn event: it is not protocol v2"):
        check_protocol(Deployment.from_dict(record))
