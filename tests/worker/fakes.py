"""In-memory stand-ins for the reconcile unit tests: a chain, a clock, a send queue.

:class:`FakeChain` answers the same :class:`~oracles.worker.chainview.ChainReads`
protocol as the real :class:`~oracles.worker.chainview.ChainView`, from tasks the
test sets up, with the contract's rules for what a view returns (a waiting task's
``previewCommittee`` is empty until its draw block is mined and its parents are
finalized, and again once the draw block is out of ``blockhash``'s reach);
:class:`RecordedSubmissions` is a :class:`~oracles.worker.submission.Submissions`
that writes down what the worker would have sent instead of sending it.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from oracles.worker.chainview import AgentWeights, Head, Member, MemberState, Phase, TaskView
from oracles.worker.store import TaskRow

ZERO = bytes(32)
BLOCKHASH_WINDOW = 256


@dataclass
class ChainTask:
    """One task as the contract holds it; ``committee`` has one agent per seat."""

    committee: list[str]
    quorum: int = 2
    phase: Phase = Phase.COMMIT
    parents: list[int] = field(default_factory=list)
    draw_block: int = 10
    reveal_end: int = 1_000
    committed: set[str] = field(default_factory=set)
    revealed: dict[str, bytes] = field(default_factory=dict)  # agent -> result hash
    accepted: bytes = ZERO
    deferred: dict[str, int] = field(default_factory=dict)  # agent -> dispute window end

    def members(self) -> list[str]:
        return list(dict.fromkeys(self.committee))


@dataclass
class FakeAgent:
    """An agent's stake weight and the weight the draw trees hold for it."""

    stake_weight: int
    tree_weight: int
    models: list[bytes]


@dataclass
class FakeChain:
    """Tasks by id; every read of a task the chain does not know answers UNKNOWN/zero."""

    tasks: dict[int, ChainTask] = field(default_factory=dict)
    agents: dict[str, FakeAgent] = field(default_factory=dict)
    signers: dict[str, str] = field(default_factory=dict)
    head: Head = field(default_factory=lambda: Head(20, 500))
    grace: int = 60
    reads: list[tuple[str, int]] = field(default_factory=list)

    def _drawable(self, task: ChainTask) -> bool:
        """Every parent finalized, none failed (a failed parent fails the task instead)."""
        phases = [self.tasks[p].phase for p in task.parents]
        return all(p == Phase.SUCCEEDED for p in phases)

    async def phase(self, task_id: int, pending: bool = False) -> Phase:
        self.reads.append(("phase", task_id))
        task = self.tasks.get(task_id)
        return task.phase if task else Phase.UNKNOWN

    async def member_state(self, task_id: int, agent: str) -> MemberState:
        task = self.tasks[task_id]
        if task.phase == Phase.WAITING:
            return MemberState(0, False, False, ZERO)
        return MemberState(
            seats=task.committee.count(agent),
            committed=agent in task.committed or agent in task.revealed,
            revealed=agent in task.revealed,
            result_hash=task.revealed.get(agent, ZERO),
        )

    async def task(self, task_id: int) -> TaskView:
        task = self.tasks[task_id]
        members = [] if task.phase == Phase.WAITING else task.members()
        return TaskView(
            model_id=ZERO,
            committee_size=len(task.committee),
            quorum=task.quorum,
            parents=list(task.parents),
            draw_block=task.draw_block,
            members=[
                Member(
                    agent=a,
                    seats=task.committee.count(a),
                    committed=a in task.committed or a in task.revealed,
                    revealed=a in task.revealed,
                    result_hash=task.revealed.get(a, ZERO),
                )
                for a in members
            ],
            commit_end=0,
            reveal_end=0 if task.phase == Phase.WAITING else task.reveal_end,
            phase=task.phase,
        )

    async def preview_committee(self, task_id: int) -> list[str]:
        """As the next block (``head + 1``) sees it."""
        task = self.tasks[task_id]
        if task.phase != Phase.WAITING:
            return list(task.committee)
        number = self.head.number + 1
        mined = number > task.draw_block
        stale = number - task.draw_block > BLOCKHASH_WINDOW
        if not self._drawable(task) or not mined or stale:
            return []
        return list(task.committee)

    async def grace_period(self) -> int:
        return self.grace

    async def agent_weights(self, agent: str, models: Collection[bytes]) -> AgentWeights:
        known = self.agents.get(agent)
        if known is None:
            return AgentWeights(False, 0, {})
        trees = {m: known.tree_weight for m in known.models if m in models}
        return AgentWeights(True, known.stake_weight, trees)

    async def accepted_hash(self, task_id: int) -> bytes:
        return self.tasks[task_id].accepted

    async def deferred_until(self, task_id: int, agent: str) -> int:
        self.reads.append(("deferred_until", task_id))
        return self.tasks[task_id].deferred.get(agent, 0)

    async def agent_of_signer(self, signer: str) -> str:
        return self.signers.get(signer, "0x" + "00" * 20)

    async def model_active(self, model_id: bytes) -> bool:
        return True

    async def claimable(self, account: str) -> int:
        return 0

    async def balance(self, account: str) -> int:
        return 0

    async def latest(self) -> Head:
        return self.head

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        """Move the head on by ``blocks`` blocks, ``seconds`` apart."""
        self.head = Head(self.head.number + blocks, self.head.timestamp + blocks * seconds)


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
    """What the reconcile loop asked to send, in order: ``(action, task ids, output)``.

    A ``poke`` is recorded as ``("poke", [], agent bytes)``.
    """

    sent: list[tuple[str, list[int], bytes | None]] = field(default_factory=list)
    rows: dict[int, TaskRow] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)
    resting_until: dict[int, float] = field(default_factory=dict)
    pokes_in_flight: set[str] = field(default_factory=set)

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

    def prove(self, row: TaskRow, output: bytes, member_output: bytes) -> None:
        """Recorded as ``("prove", [task id], accepted output)``."""
        self._record("prove", [row], output)

    def settle_deferred(self, row: TaskRow, agent: str) -> None:
        """Recorded as ``("settle", [task id], agent bytes)``."""
        self._record("settle", [row], agent.encode())

    def poke(self, agent: str) -> None:
        self.sent.append(("poke", [], agent.encode()))

    def held_pokes(self) -> set[str]:
        return set(self.pokes_in_flight)

    def take(self) -> list[tuple[str, list[int], bytes | None]]:
        """What was asked since the last ``take``."""
        out, self.sent = self.sent, []
        return out
