"""In-memory stand-ins for the reconcile unit tests: a chain, a clock, a send queue.

:class:`FakeChain` answers the same :class:`~oracles.worker.chainview.ChainReads`
protocol as the real :class:`~oracles.worker.chainview.ChainView`, from tasks the
test sets up; :class:`RecordedSubmissions` is a
:class:`~oracles.worker.submission.Submissions` that writes down what the worker
would have sent instead of sending it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from oracles.worker.chainview import MemberState, Phase, TaskView
from oracles.worker.store import TaskRow

ZERO = bytes(32)


@dataclass
class ChainTask:
    """One task as the contract holds it."""

    committee: list[str]
    quorum: int = 2
    phase: Phase = Phase.COMMIT
    parents: list[int] = field(default_factory=list)
    committed: set[str] = field(default_factory=set)
    revealed: dict[str, bytes] = field(default_factory=dict)  # agent -> result hash
    accepted: bytes = ZERO


@dataclass
class FakeChain:
    """Tasks by id; every read of a task the chain does not know answers UNKNOWN/zero."""

    tasks: dict[int, ChainTask] = field(default_factory=dict)
    signers: dict[str, str] = field(default_factory=dict)
    reads: list[tuple[str, int]] = field(default_factory=list)

    async def phase(self, task_id: int) -> Phase:
        self.reads.append(("phase", task_id))
        task = self.tasks.get(task_id)
        return task.phase if task else Phase.UNKNOWN

    async def member_state(self, task_id: int, agent: str) -> MemberState:
        task = self.tasks[task_id]
        return MemberState(
            member=agent in task.committee,
            committed=agent in task.committed or agent in task.revealed,
            revealed=agent in task.revealed,
            result_hash=task.revealed.get(agent, ZERO),
        )

    async def task(self, task_id: int) -> TaskView:
        task = self.tasks[task_id]
        return TaskView(
            requester="0x" + "ee" * 20,
            model_id=ZERO,
            fee=0,
            committee=list(task.committee),
            quorum=task.quorum,
            parents=list(task.parents),
            start=0,
            commit_end=0,
            reveal_end=0,
            committed=[a in task.committed or a in task.revealed for a in task.committee],
            revealed=[a in task.revealed for a in task.committee],
            result_hashes=[task.revealed.get(a, ZERO) for a in task.committee],
            phase=task.phase,
            result_hash=task.accepted,
        )

    async def accepted_hash(self, task_id: int) -> bytes:
        return self.tasks[task_id].accepted

    async def agent_of_signer(self, signer: str) -> str:
        return self.signers.get(signer, "0x" + "00" * 20)

    async def model_active(self, model_id: bytes) -> bool:
        return True

    async def claimable(self, account: str) -> int:
        return 0

    async def balance(self, account: str) -> int:
        return 0

    async def head(self) -> int:
        return 0


@dataclass
class FakeClock:
    """Seconds that move only when the test says so."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordedSubmissions:
    """What the reconcile loop asked to send, in order: ``(action, task ids, output)``."""

    sent: list[tuple[str, list[int], bytes | None]] = field(default_factory=list)
    rows: dict[int, TaskRow] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)
    resting_until: dict[int, float] = field(default_factory=dict)

    def held(self, now: float) -> set[int]:
        return self.in_flight | {t for t, at in self.resting_until.items() if at > now}

    def forget(self, task_id: int) -> None:
        self.resting_until.pop(task_id, None)

    def _record(self, action: str, rows: Sequence[TaskRow], output: bytes | None = None) -> None:
        self.sent.append((action, [r.task_id for r in rows], output))
        self.rows.update({r.task_id: r for r in rows})

    def commit(self, rows: Sequence[TaskRow]) -> None:
        self._record("commit", rows)

    def reveal(self, rows: Sequence[TaskRow]) -> None:
        self._record("reveal", rows)

    def finalize(self, row: TaskRow, output: bytes) -> None:
        self._record("finalize", [row], output)

    def activate(self, row: TaskRow) -> None:
        self._record("activate", [row])

    def take(self) -> list[tuple[str, list[int], bytes | None]]:
        """What was asked since the last ``take``."""
        out, self.sent = self.sent, []
        return out
