"""Who finalizes a task and when, when a waiting task is activated, and how it ended.

* A task ready to finalize whose winning result (a quorum, and the most votes) is
  ours is finalized with our output: at once by the first member in committee order
  on the winning side, by the others only after ``finalize_backoff`` seconds (if it
  is still needed). Without a quorum, revealing members finalize with an empty
  output (the contract refunds and slashes) in the same order.
* A task ready to finalize that nobody with a stake in it settles (no quorum and we
  did not reveal, or we are not a member) is finalized with an empty output by any
  worker serving its model after three back-offs; else the fee would stay escrowed.
* A task waiting for its parents is activated once every parent is done.
* When the chain says a task succeeded or failed, the outcome is recorded locally.

This module only decides; :mod:`~oracles.worker.submission` sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from oracles.worker.chainview import ChainReads, MemberState, Phase
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics

log = structlog.get_logger("agentnet.worker")

ABANDONED_AFTER_BACKOFFS = 3


class Settlement:
    """The finalize, activate and outcome policy of one agent's worker."""

    def __init__(
        self,
        view: ChainReads,
        store: TaskStore,
        metrics: WorkerMetrics,
        agent: str,
        finalize_backoff: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.view = view
        self.store = store
        self.metrics = metrics
        self.agent = agent
        self.finalize_backoff = finalize_backoff
        self.clock = clock
        self._ready_since: dict[int, float] = {}

    def _waited(self, task_id: int) -> float:
        """Seconds since this worker first saw the task ready to finalize."""
        now = self.clock()
        return now - self._ready_since.setdefault(task_id, now)

    async def finalize_output(self, row: TaskRow, state: MemberState) -> bytes | None:
        """The output to finalize our task ``row`` with now, or ``None`` to leave it."""
        if not state.revealed or row.output is None:
            return b"" if await self.abandoned(row) else None
        task = await self.view.task(row.task_id)
        tally = task.tally()
        ours = row.result_hash or b""
        best = max(tally.values(), default=0)
        won = tally.get(ours, 0) >= task.quorum and tally.get(ours, 0) == best
        quorum_reached = best >= task.quorum
        if quorum_reached and not won:
            return None  # someone else's result won; its agents finalize
        # The first member (in committee order) on the winning side, or the first
        # revealer when there is no quorum, goes at once; the others back off.
        leaders = [
            agent
            for agent, revealed, result_hash in zip(
                task.committee, task.revealed, task.result_hashes, strict=True
            )
            if revealed and (not quorum_reached or result_hash == ours)
        ]
        backing_off = self._waited(row.task_id) < self.finalize_backoff
        if leaders and leaders[0] != self.agent and backing_off:
            return None
        return row.output if won else b""

    async def abandoned(self, row: TaskRow) -> bool:
        """Whether a ready task without a quorum has waited long enough for its members:
        then anyone finalizes it (with an empty output)."""
        if self._waited(row.task_id) < ABANDONED_AFTER_BACKOFFS * self.finalize_backoff:
            return False
        task = await self.view.task(row.task_id)
        # With a quorum, its members hold the output and finalize.
        return max(task.tally().values(), default=0) < task.quorum

    async def parents_done(self, row: TaskRow) -> bool:
        """Whether every parent of a waiting task is finalized (so it can be activated)."""
        for parent in row.parents:
            if not (await self.view.phase(parent)).done:
                return False
        return True

    async def record_outcome(self, row: TaskRow, phase: Phase) -> None:
        """Write down that the chain says the task ``succeeded`` or ``failed``."""
        outcome = "finalized" if phase == Phase.SUCCEEDED else "failed"
        self.store.set_state(row.task_id, outcome)
        self._ready_since.pop(row.task_id, None)
        if not row.member:
            return
        self.metrics.tasks.labels(outcome).inc()
        accepted = await self.view.accepted_hash(row.task_id)
        log.info(
            "task.done",
            task_id=row.task_id,
            status=outcome,
            agreed=row.result_hash is not None and accepted == row.result_hash,
            commit_tx=row.commit_tx,
            reveal_tx=row.reveal_tx,
            finalize_tx=row.finalize_tx,
            inference_ms=row.inference_ms,
            total_s=round(self.clock() - row.seen_at, 3),
        )
