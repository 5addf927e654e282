"""The reconcile pass: read the chain for every open task, decide, hand the work on.

Level-triggered by design. Events only tell the worker that a task exists or moved;
what to do next is decided from the chain's current state (``taskPhase``,
``previewCommittee``, ``memberState``, ``getTask``) and the local row, every poll
and on every event:

* waiting, draw block mined, parents finalized, our agent seated -> run the engine
  (tasks due together form one batch; in the background, so that a long generation
  holds up no other task; a model still loading leaves its tasks for the pass after
  it loads), persist output and a fresh salt *before* anything is sent, and commit
  at once (the commit activates the task); not seated
  -> ``activate`` when the members let it wait too long (:mod:`~.seating`);
* commit phase, seated, not committed on chain -> commit (``commitBatch`` signed by
  our signer when several are due at once);
* reveal phase, committed, not revealed -> reveal (``revealBatch`` likewise);
* ready to finalize -> ``finalize`` with the winning output, or empty when the rules
  allow it (:mod:`~.settlement`);
* succeeded with a member's slash deferred (a tolerant model) -> ``proveAgreement``
  when it is ours and our output is within the rule, ``settleDeferred`` once its
  window ended (:mod:`~.settlement`);
* an agent seen slashed whose draw weights no longer follow its stake -> ``poke``
  (:mod:`~.pokes`).

So a worker killed at any point, or one whose commit (and the activation in it) was
dropped by a reorg, simply does the next right thing when it looks again, with the
same salt; and it never sends a second commit or reveal, because the chain says it
was done. A transaction is sent only when the chain's state says it will be
accepted; the sender's simulation is a last check, not the decision.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from oracles.chain.errors import ChainError
from oracles.worker.chainview import ChainReads, Head, MemberState, Phase
from oracles.worker.inference import Inference
from oracles.worker.pokes import Pokes
from oracles.worker.seating import Seating, Step
from oracles.worker.settlement import Settlement
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.submission import Submissions

log = structlog.get_logger("agentnet.worker")

# Phase reads older than this (seconds) are read again before a commit is sent.
STALE_AFTER_S = 0.5
# Phases in which a seated member's commit is taken (a waiting task is activated by it).
COMMITTING = (Phase.WAITING, Phase.COMMIT)


class Reconciler:
    """One look at every open task: read the chain, decide, hand the work on."""

    def __init__(
        self,
        agent: str,
        view: ChainReads,
        store: TaskStore,
        inference: Inference,
        submissions: Submissions,
        seating: Seating,
        settlement: Settlement,
        pokes: Pokes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.agent = agent
        self.view = view
        self.store = store
        self.inference = inference
        self.submissions = submissions
        self.seating = seating
        self.settlement = settlement
        self.pokes = pokes
        self.clock = clock
        self._group: asyncio.TaskGroup | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._computing: set[bytes] = set()  # models with an inference running
        self._busy: set[int] = set()  # tasks in that inference

    def bind(self, group: asyncio.TaskGroup) -> None:
        """Run inference as tasks of ``group`` (an unexpected error stops the worker)."""
        self._group = group

    async def drain(self) -> None:
        """Wait until the inference started by earlier passes has ended (and sent)."""
        while self._running:
            await asyncio.gather(*self._running)

    async def reconcile_once(self) -> None:
        """Read every open task's phase (concurrently), then act on each."""
        held = self.submissions.held(self.clock()) | self._busy
        rows = [r for r in self.store.open_tasks() if r.task_id not in held]
        head, phases = await asyncio.gather(
            self.view.latest(), asyncio.gather(*(self.view.phase(r.task_id) for r in rows))
        )
        waiting: list[TaskRow] = []
        active: list[tuple[TaskRow, Phase]] = []
        for row, phase in zip(rows, phases, strict=True):
            if phase.done:
                if phase == Phase.SUCCEEDED and await self._disputed(row, head):
                    continue
                self.submissions.forget(row.task_id)
                await self.settlement.record_outcome(row, phase)
            elif phase == Phase.WAITING:
                waiting.append(row)
            elif phase != Phase.UNKNOWN:
                active.append((row, phase))

        to_compute: list[TaskRow] = []
        commits: list[TaskRow] = []
        steps = await asyncio.gather(*(self.seating.step(r, head.number) for r in waiting))
        for row, step in zip(waiting, steps, strict=True):
            if step == Step.ACTIVATE:
                self.submissions.activate(row)
            elif step == Step.SEATED:
                seated = self.store.get(row.task_id) or row
                if seated.salt is None:
                    to_compute.append(seated)
                else:  # a waiting task has no commit: ours was dropped (with the activation)
                    self._copy_chain_state(seated, MemberState(1, False, False, bytes(32)))
                    commits.append(seated)

        self._start_inference(to_compute)  # at once: the commit of a seated task
        to_compute = []
        reveals = await self._active(active, head, to_compute, commits)
        self._start_inference(to_compute)
        if commits:
            self.submissions.commit(commits)
        if reveals:
            self.submissions.reveal(reveals)
        for agent in await self.pokes.due(self.submissions.held_pokes()):
            self.submissions.poke(agent)

    async def _disputed(self, row: TaskRow, head: Head) -> bool:
        """Send what a succeeded task's deferred slashes need; whether one is pending."""
        dispute = await self.settlement.dispute(row, head)
        if dispute.prove is not None and row.output is not None:
            log.info("worker.prove_agreement", task_id=row.task_id)
            self.submissions.prove(row, dispute.prove, row.output)
        elif dispute.settle is not None:
            self.submissions.settle_deferred(row, dispute.settle)
        return dispute.pending

    def _start_inference(self, rows: list[TaskRow]) -> None:
        """Compute the rows in the background, one inference per model at a time, so
        that a long generation never holds up the reveals and finalizes of other tasks
        (a model already busy, or still loading, takes its rows at a later pass)."""
        by_model: dict[bytes, list[TaskRow]] = {}
        for row in rows:
            if row.model_id not in self._computing and self.inference.loaded(row.model_id):
                by_model.setdefault(row.model_id, []).append(row)
        for model_id, batch in by_model.items():
            self._computing.add(model_id)
            self._busy |= {r.task_id for r in batch}
            run = self._compute_and_commit(model_id, batch)
            task = self._group.create_task(run) if self._group else asyncio.create_task(run)
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _compute_and_commit(self, model_id: bytes, rows: list[TaskRow]) -> None:
        """Compute, then commit at once: a task computed just now cannot have been
        committed (no salt existed), unless a long inference outlived its phase."""
        try:
            began = self.clock()
            computed = await self.inference.compute(rows)
            if computed and self.clock() - began > STALE_AFTER_S:
                computed = await self._still_committing(computed)
            if computed:
                self.submissions.commit(computed)
        except ChainError as exc:  # the phases could not be read again: the next pass commits
            log.warning("worker.reconcile_failed", error=str(exc))
        finally:
            self._computing.discard(model_id)
            self._busy -= {r.task_id for r in rows}

    async def _still_committing(self, rows: list[TaskRow]) -> list[TaskRow]:
        """The rows whose task still takes a commit in the next block."""
        phases = await asyncio.gather(*(self.view.phase(r.task_id, pending=True) for r in rows))
        return [r for r, p in zip(rows, phases, strict=True) if p in COMMITTING]

    async def _active(
        self,
        active: list[tuple[TaskRow, Phase]],
        head: Head,
        to_compute: list[TaskRow],
        commits: list[TaskRow],
    ) -> list[TaskRow]:
        """Commit, reveal and finalize seated tasks; the rows to reveal."""
        # Our seats: from the chain when we may hold one (a row that says so, or one
        # whose committee the follower has not delivered yet); else the row's committee.
        asked = [(r, p) for r, p in active if r.member or not r.committee]
        states = await asyncio.gather(
            *(self.view.member_state(r.task_id, self.agent) for r, _ in asked)
        )
        state_of = {r.task_id: s for (r, _), s in zip(asked, states, strict=True)}
        reveals: list[TaskRow] = []
        ready: list[TaskRow] = []
        for row, phase in active:
            state = state_of.get(row.task_id)
            if state is not None and state.member != row.member:
                self.store.set_committee(row.task_id, row.committee, state.member)
            if phase == Phase.READY:
                ready.append(row)
            if state is None or not state.member:
                continue
            self._copy_chain_state(row, state)
            if phase == Phase.COMMIT and not state.committed:
                (to_compute if row.salt is None else commits).append(row)
            elif phase == Phase.REVEAL and state.committed and not state.revealed:
                # Committed by this signer but unknown here (another --db): nothing to reveal.
                if row.salt is None:
                    continue
                reveals.append(row)
        await asyncio.gather(*(self._finalize(row, head) for row in ready))
        return reveals

    async def _finalize(self, row: TaskRow, head: Head) -> None:
        output = await self.settlement.finalize_output(row, head)
        if output is not None:
            self.submissions.finalize(row, output)

    def _copy_chain_state(self, row: TaskRow, state: MemberState) -> None:
        """Keep the local state equal to what the chain says we did."""
        want = "revealed" if state.revealed else "committed" if state.committed else "computed"
        if row.salt is None and want == "computed":
            return  # nothing computed yet: the row stays seen
        if want != row.state:
            if want == "computed" and row.state in ("committed", "revealed"):
                log.warning("worker.commit_lost", task_id=row.task_id, was=row.state)
            self.store.set_state(row.task_id, want)
