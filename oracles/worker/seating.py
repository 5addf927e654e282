"""Waiting tasks: whether we are seated, and when a waiting task is activated.

A task is created in block ``N`` with draw block ``N + 1`` (or, with parents, the
block after the last parent's finalization). Once the draw block is mined and every
parent is finalized, its committee is fixed: ``previewCommittee`` (read for the next
block) lists it, whoever activates it and whenever. So:

* seated (our agent holds at least one seat) -> compute and commit at once: the
  contract seats the committee inside our ``commit`` / ``commitBatch`` (created in
  ``N``, committed in ``N + 2``, revealed in ``N + 3``, finalized in ``N + 4``);
* not seated -> ``activate`` only if the task is still waiting
  ``activate_after_blocks`` blocks after its draw block (plus up to two blocks that
  differ from worker to worker, so that they do not all send it at once), so that
  no task waits for a keeper that never comes. The same rule activates a task whose
  draw block is too old to be read (the contract then fixes a new one:
  ``TaskRedrawn``), one whose parent failed or one that nobody can serve any more
  (the contract fails them and refunds the requester). ``activate`` cannot revert
  then: the task is waiting (also in the pending block: a member's commit in the
  pool would activate it first), its parents are finalized and its draw block is
  mined.

This module only decides; :mod:`~oracles.worker.submission` sends.
"""

from __future__ import annotations

import asyncio
from enum import Enum

import structlog

from oracles.worker.chainview import ChainReads, Phase
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics
from oracles.worker.turns import spread

log = structlog.get_logger("agentnet.worker")

# Blocks after the draw block before a worker that is not seated activates a waiting
# task: the seated members commit in the block after the draw block.
ACTIVATE_AFTER_BLOCKS = 3


class Step(Enum):
    """What to do with a waiting task now."""

    WAIT = "wait"  # parents open, draw block not mined, or the members still have time
    SEATED = "seated"  # compute (if not done) and commit: the commit activates it
    ACTIVATE = "activate"


class Seating:
    """Reads the committee of waiting tasks and decides who activates them."""

    def __init__(
        self,
        view: ChainReads,
        store: TaskStore,
        metrics: WorkerMetrics,
        agent: str,
        activate_after_blocks: int = ACTIVATE_AFTER_BLOCKS,
    ) -> None:
        self.view = view
        self.store = store
        self.metrics = metrics
        self.agent = agent
        self.activate_after_blocks = activate_after_blocks

    async def step(self, row: TaskRow, head: int) -> Step:
        """The step for waiting task ``row`` when ``head`` is the latest block."""
        if not await self.parents_done(row):
            return Step.WAIT
        # Empty until the next block can seat the committee (draw block mined, parents
        # finalized, none failed, and the draw block's hash still within reach).
        committee = await self.view.preview_committee(row.task_id)
        seated = self.agent in committee
        if committee and (committee != row.committee or seated != row.member):
            if seated and not row.member:
                self.metrics.tasks.labels("seen").inc()
                log.info("task.seated", task_id=row.task_id, seats=committee.count(self.agent))
            self.store.set_committee(row.task_id, committee, seated)
        if seated:
            return Step.SEATED
        # The draw block the row knows is a lower bound: parents finalized later, or a
        # redraw the follower has not delivered yet, only move it on.
        after = self.activate_after(row.task_id)
        if head < row.draw_block + after:
            return Step.WAIT
        task = await self.view.task(row.task_id)
        if head < task.draw_block + after:
            return Step.WAIT
        # A member's commit waiting in the pool activates it first: then leave it be.
        if await self.view.phase(row.task_id, pending=True) != Phase.WAITING:
            return Step.WAIT
        return Step.ACTIVATE

    def activate_after(self, task_id: int) -> int:
        """Blocks after the draw block before we activate a task we are not seated on."""
        return self.activate_after_blocks + int(3 * spread(f"activate:{task_id}", self.agent))

    async def parents_done(self, row: TaskRow) -> bool:
        """Whether every parent of a task is finalized (succeeded or failed)."""
        phases = await asyncio.gather(*(self.view.phase(p) for p in row.parents))
        return all(phase.done for phase in phases)
