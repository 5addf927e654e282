"""Followed TaskMarket logs -> task rows, and forgetting them again after a reorg.

The log follower calls :meth:`Intake.on_logs` and :meth:`Intake.on_rollback` inside
its own SQLite transaction, so a row and the follower's cursor always move together.
Rows are only facts that were announced (a task and its draw block, its committee
once seated, its outcome, which transactions carried our commit and reveal, and
which agents were slashed); what to do is decided later, by the reconcile loop,
from the chain's state. ``TaskCreated`` carries no committee: a worker learns that
it is seated from ``previewCommittee`` once the draw block is mined (see
:mod:`~oracles.worker.seating`), or from ``TaskActivated``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection

import structlog

from oracles.chain.contracts import Contract
from oracles.chain.follower import Log
from oracles.worker.store import TaskStore
from oracles.worker.telemetry import WorkerMetrics

log = structlog.get_logger("agentnet.worker")

# Our own steps, by event: the chain's word on which transaction carried them.
OUR_STEPS = {"Committed": "commit", "Revealed": "reveal"}


class Intake:
    """Writes the tasks of our models (and their outcomes) as the follower delivers them."""

    def __init__(
        self,
        store: TaskStore,
        market: Contract,
        staking: Contract,
        agent: str,
        models: Collection[bytes],
        metrics: WorkerMetrics,
        on_news: Callable[[], None],
        on_reorg: Callable[[], None],
    ) -> None:
        """``on_news`` is called after every delivery (wake the reconcile loop);
        ``on_reorg`` when blocks were dropped (stop waiting for our pending sends)."""
        self.store = store
        self.market = market
        self.staking = staking
        self.agent = agent
        self.models = set(models)
        self.metrics = metrics
        self.on_news = on_news
        self.on_reorg = on_reorg

    def on_logs(self, conn: sqlite3.Connection, logs: list[Log]) -> None:
        for raw in logs:
            if raw.address == self.staking.address:
                slashed = self.staking.decode_log(raw)
                if slashed is not None and slashed.name == "Slashed":
                    args = slashed.args
                    self.store.add_poke(str(args["agent"]), int(args["task_id"]), raw.block_number)
                continue
            event = self.market.decode_log(raw)
            if event is None:
                continue
            args = event.args
            task_id = int(args["task_id"]) if "task_id" in args else 0
            if event.name == "TaskCreated":
                model_id = bytes(args["model_id"])
                if model_id not in self.models:
                    continue
                self.store.insert_task(
                    task_id=task_id,
                    model_id=model_id,
                    task_input=bytes(args["input"]),
                    parents=[int(p) for p in args["parents"]],
                    quorum=int(args["quorum"]),
                    committee_size=int(args["committee_size"]),
                    draw_block=int(args["draw_block"]),
                    created_block=raw.block_number,
                )
            elif event.name == "TaskActivated":
                committee = [str(a) for a in args["committee"]]
                row = self.store.get(task_id)
                seated = self.agent in committee
                if row is not None and seated and not row.member:
                    self.metrics.tasks.labels("seen").inc()
                self.store.set_committee(task_id, committee, seated)
            elif event.name == "TaskRedrawn":
                self.store.set_draw_block(task_id, int(args["draw_block"]))
            elif event.name == "TaskFinalized":
                self.store.record_finalized(
                    task_id,
                    int(args["status"]),
                    bytes(args["result_hash"]),
                    bytes(args["output"]),
                    raw.block_number,
                )
            elif event.name in OUR_STEPS and str(args["agent"]) == self.agent:
                # A send cancelled after a reorg, or a worker killed after broadcasting,
                # never saw its receipt; the followed event still names the transaction.
                self.store.record_tx(task_id, OUR_STEPS[event.name], raw.tx_hash)
        self.on_news()

    def on_rollback(self, conn: sqlite3.Connection, ancestor: int) -> None:
        log.warning("worker.reorg", ancestor=ancestor)
        self.store.forget_after(ancestor)
        self.on_reorg()
        self.on_news()
