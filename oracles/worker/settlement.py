"""Who finalizes a task ready to finalize, with which output and when; how a task ended.

Votes are counted in seats (``getTask().members``: an agent holding two seats
counts twice). The hash with the most seats wins when it holds at least ``quorum``
seats; then, by the contract's rules (protocol v2):

* a worker holding the winning output finalizes with it (an output over 8,192 bytes
  cannot be sent: it counts as not held);
* nobody holding it, ``finalize(task_id, b"")`` is accepted once the chain's time
  reaches ``reveal_end + grace_period()``: the task fails and the seats that revealed
  that hash are slashed;
* without a quorum, ``finalize(task_id, b"")`` fails the task and refunds its
  requester, as soon as the task is ready.

Among the workers that may send the same ``finalize``, those with a stake in that
outcome go first, in member order, one ``finalize_backoff`` apart (the members that
revealed the winning hash; for an empty output, those that revealed anything
else); everyone else (members that did not reveal, workers of the model that are
not seated) after about three back-offs (:mod:`~oracles.worker.turns`), each only
if the task is still open when it looks again. When the chain says a task
succeeded or failed, the outcome is recorded locally.

A succeeded task of a tolerant model (embeddings within K int8 steps) may end with
members whose slash is deferred (``SlashDeferred``) for the dispute window. A worker
whose own slash is deferred and whose stored output is within the package's rule of
the accepted output proves it (``proveAgreement``: the agent is paid, not slashed);
once a window has ended, the members that revealed the accepted hash settle what
nobody proved (``settleDeferred``), in turns as for ``finalize``. The task's row stays
open until no slash of its members is deferred.

This module only decides; :mod:`~oracles.worker.submission` sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from oracles.engine.compare import AgreementRule, embedding_vector, outputs_agree
from oracles.protocol import MAX_OUTPUT_BYTES, PROVABLE_EMBEDDING_DIM
from oracles.worker.chainview import ChainReads, Head, Phase
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics
from oracles.worker.turns import turn_wait

log = structlog.get_logger("agentnet.worker")


@dataclass(frozen=True)
class Dispute:
    """What a succeeded task still needs once finalized (nothing: record its outcome)."""

    prove: bytes | None = None  # the accepted output, to prove our own against
    settle: str | None = None  # a member whose deferred slash is due, ours to settle now
    wait: bool = False  # a deferred slash whose window runs, or someone else's turn

    @property
    def pending(self) -> bool:
        return self.prove is not None or self.settle is not None or self.wait


# The agreement rule of a model this worker serves (None: not loaded, or no rule).
RuleOf = Callable[[bytes], AgreementRule | None]


def _no_rule(model_id: bytes) -> AgreementRule | None:
    return None


class Settlement:
    """The finalize, dispute and outcome policy of one agent's worker."""

    def __init__(
        self,
        view: ChainReads,
        store: TaskStore,
        metrics: WorkerMetrics,
        agent: str,
        finalize_backoff: float,
        clock: Callable[[], float] = time.time,
        rule_of: RuleOf = _no_rule,
    ) -> None:
        self.rule_of = rule_of
        self.view = view
        self.store = store
        self.metrics = metrics
        self.agent = agent
        self.finalize_backoff = finalize_backoff
        self.clock = clock
        self._since: dict[tuple[int, str], float] = {}

    def _waited(self, task_id: int, what: str) -> float:
        """Seconds since this worker first saw ``what`` possible for the task."""
        now = self.clock()
        return now - self._since.setdefault((task_id, what), now)

    async def finalize_output(self, row: TaskRow, head: Head) -> bytes | None:
        """The output to finalize ready task ``row`` with now, or ``None`` to leave it."""
        task = await self.view.task(row.task_id)
        winner, seats = task.winner()
        if winner is not None and seats >= task.quorum:
            output = row.output
            if row.result_hash == winner and output is not None and _sendable(output):
                backers = [m.agent for m in task.members if m.result_hash == winner]
                return output if self._turn(row, "output", backers) else None
            grace_end = task.reveal_end + await self.view.grace_period()
            if head.timestamp < grace_end:
                return None  # the members holding the output finalize with it meanwhile
            dissent = [m.agent for m in task.members if m.revealed and m.result_hash != winner]
            return b"" if self._turn(row, "grace", dissent) else None
        revealers = [m.agent for m in task.members if m.revealed]
        return b"" if self._turn(row, "no_quorum", revealers) else None

    async def dispute(self, row: TaskRow, head: Head) -> Dispute:
        """For a succeeded task: prove our deferred slash wrong, settle one that is due,
        or wait; nothing once no slash of its members is deferred."""
        task = await self.view.task(row.task_id)
        winner, seats = task.winner()
        if winner is None or seats < task.quorum:
            return Dispute()
        dissent = list(
            dict.fromkeys(m.agent for m in task.members if m.revealed and m.result_hash != winner)
        )
        if not dissent:  # the common case: every revealed hash agreed
            return Dispute()
        untils = await asyncio.gather(*(self.view.deferred_until(row.task_id, a) for a in dissent))
        pending = {a: until for a, until in zip(dissent, untils, strict=True) if until}
        if not pending:
            return Dispute()
        ours = pending.get(self.agent)
        if ours is not None and head.timestamp < ours:
            accepted = self.store.finalized_output(row.task_id)
            if accepted is not None and self._provable(row, accepted):
                return Dispute(prove=accepted)
        due = sorted(a for a, until in pending.items() if head.timestamp >= until)
        if due:
            backers = list(dict.fromkeys(m.agent for m in task.members if m.result_hash == winner))
            if self._turn(row, f"settle:{due[0]}", backers):
                return Dispute(settle=due[0])
        return Dispute(wait=True)

    def _provable(self, row: TaskRow, accepted: bytes) -> bool:
        """Whether our stored output is within the model's rule of the accepted one, in
        the form the contract checks (canonical 384-d embeddings)."""
        rule = self.rule_of(row.model_id)
        if rule is None or row.output is None:
            return False
        vector = embedding_vector(accepted)
        if vector is None or vector.size != PROVABLE_EMBEDDING_DIM:
            return False
        return outputs_agree(rule, accepted, row.output)

    def _turn(self, row: TaskRow, what: str, leaders: list[str]) -> bool:
        """Whether it is our turn to finalize (``leaders``: who goes first, in order)."""
        key = f"finalize:{row.task_id}:{what}"
        wait = turn_wait(self.agent, leaders, self.finalize_backoff, key)
        return self._waited(row.task_id, what) >= wait

    async def record_outcome(self, row: TaskRow, phase: Phase) -> None:
        """Write down that the chain says the task ``succeeded`` or ``failed``."""
        outcome = "finalized" if phase == Phase.SUCCEEDED else "failed"
        self.store.set_state(row.task_id, outcome)
        for key in [k for k in self._since if k[0] == row.task_id]:
            del self._since[key]
        if not row.member:
            return
        self.metrics.tasks.labels(outcome).inc()
        accepted = await self.view.accepted_hash(row.task_id)
        log.info(
            "task.done",
            task_id=row.task_id,
            status=outcome,
            seats=row.committee.count(self.agent),
            agreed=row.result_hash is not None and accepted == row.result_hash,
            commit_tx=row.commit_tx,
            reveal_tx=row.reveal_tx,
            finalize_tx=row.finalize_tx,
            inference_ms=row.inference_ms,
            total_s=round(self.clock() - row.seen_at, 3),
        )


def _sendable(output: bytes) -> bool:
    """Whether ``finalize`` takes the output (``Bytes[8192]``)."""
    return len(output) <= MAX_OUTPUT_BYTES
