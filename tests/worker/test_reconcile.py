"""The reconcile pass's decisions, against an in-memory chain and a clock the test moves.

Each test sets up what the contract would answer (:class:`~tests.worker.fakes.FakeChain`,
the same protocol as the real chain view), runs one or more reconcile passes of a
real :class:`~oracles.worker.node.Reconciler` on a real SQLite store, and checks
what the worker asked to send: who finalizes and when, the back-off, settling an
abandoned task, activating a task whose parents are done, and the commit/reveal
steps around them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from oracles.chain.follower import open_db
from oracles.protocol import result_hash
from oracles.worker.chainview import Phase
from oracles.worker.inference import Inference
from oracles.worker.node import Reconciler
from oracles.worker.settlement import Settlement
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics
from tests.worker.fakes import ChainTask, FakeChain, FakeClock, RecordedSubmissions

A, B, C = ("0x" + c * 40 for c in "abc")
MODEL = bytes.fromhex("11" * 32)
BACKOFF = 4.0
OURS = b'{"text":"OURS"}'
THEIRS = b'{"text":"THEIRS"}'


class Upper:
    """An engine whose output is its input in capitals."""

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        return [data.upper() for data in inputs]


@dataclass
class World:
    agent: str
    chain: FakeChain
    clock: FakeClock
    store: TaskStore
    sent: RecordedSubmissions
    reconciler: Reconciler

    def look(self) -> list[tuple[str, list[int], bytes | None]]:
        """One reconcile pass; what it asked to send."""
        asyncio.run(self.reconciler.reconcile_once())
        return self.sent.take()

    def add(
        self,
        task_id: int,
        committee: Sequence[str] = (A, B, C),
        phase: Phase = Phase.COMMIT,
        parents: Sequence[int] = (),
        task_input: bytes = b'{"text":"ours"}',
    ) -> ChainTask:
        """A task on chain and in the worker's store (as the follower would put it)."""
        task = ChainTask(committee=list(committee), phase=phase, parents=list(parents))
        self.chain.tasks[task_id] = task
        known_committee = [] if phase == Phase.WAITING else list(committee)
        self.store.insert_task(
            task_id,
            MODEL,
            task_input,
            list(parents),
            known_committee,
            2,
            self.agent in known_committee,
            1,
        )
        return task

    def computed(self, task_id: int, output: bytes = OURS) -> TaskRow:
        """Our stored output and salt for a task."""
        row = self.store.get(task_id)
        assert row is not None
        saved = self.store.save_output(row, output, result_hash(output), bytes(32), 1.0)
        assert saved is not None
        return saved

    def state(self, task_id: int) -> str:
        row = self.store.get(task_id)
        assert row is not None
        return row.state


MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[MakeWorld]:
    """``make_world(agent)``: a reconciler for ``agent`` on its own store and chain."""
    opened = []

    def make(agent: str = A) -> World:
        conn = open_db(tmp_path / f"{agent[:6]}-{len(opened)}.sqlite")
        opened.append(conn)
        store = TaskStore(conn)
        chain = FakeChain()
        clock = FakeClock()
        sent = RecordedSubmissions()
        metrics = WorkerMetrics()
        reconciler = Reconciler(
            agent,
            chain,
            store,
            Inference({MODEL: Upper()}, store, metrics, max_batch=8),
            sent,
            Settlement(chain, store, metrics, agent, BACKOFF, clock=clock),
            clock=clock,
        )
        return World(agent, chain, clock, store, sent, reconciler)

    yield make
    for conn in opened:
        conn.close()


def reveal_all(task: ChainTask, hashes: dict[str, bytes]) -> None:
    task.committed |= set(hashes)
    task.revealed.update(hashes)
    task.phase = Phase.READY


# --- commit and reveal ---------------------------------------------------------------


def test_new_task_is_computed_and_committed_in_the_same_pass(make_world: MakeWorld) -> None:
    world = make_world()
    world.add(1, task_input=b"hello")
    world.add(2, task_input=b"world")
    assert world.look() == [("commit", [1, 2], None)]
    row = world.sent.rows[1]
    assert row.output == b"HELLO" and row.result_hash == result_hash(b"HELLO")
    assert row.salt is not None and len(row.salt) == 32
    assert world.store.get(1) == row  # what is committed is what is stored


def test_committed_task_is_revealed_once_the_reveal_phase_opens(make_world: MakeWorld) -> None:
    world = make_world()
    task = world.add(1)
    world.computed(1)
    task.committed.add(A)
    assert world.look() == []  # still the commit phase: nothing to do
    assert world.state(1) == "committed"
    task.phase = Phase.REVEAL
    assert world.look() == [("reveal", [1], None)]


def test_commit_dropped_from_the_chain_is_sent_again(make_world: MakeWorld) -> None:
    world = make_world()
    world.add(1)
    world.computed(1)
    world.store.set_state(1, "committed")  # what the worker saw before a reorg
    assert world.look() == [("commit", [1], None)]
    assert world.state(1) == "computed"


def test_task_with_a_send_in_flight_or_resting_is_left_alone(make_world: MakeWorld) -> None:
    world = make_world()
    world.add(1)
    world.add(2)
    world.sent.in_flight.add(1)
    world.sent.resting_until[2] = world.clock.now + 1
    assert world.look() == []
    world.sent.in_flight.clear()
    world.clock.advance(2)
    assert world.look() == [("commit", [1, 2], None)]


# --- finalizing ------------------------------------------------------------------------


def test_first_agreeing_member_finalizes_at_once_with_its_output(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(OURS), C: result_hash(THEIRS)})
    assert world.look() == [("finalize", [1], OURS)]


def test_later_agreeing_member_backs_off_then_finalizes_if_still_needed(
    make_world: MakeWorld,
) -> None:
    world = make_world(B)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(OURS), C: result_hash(OURS)})
    assert world.look() == []  # A goes first
    world.clock.advance(BACKOFF - 0.5)
    assert world.look() == []
    world.clock.advance(1.0)
    assert world.look() == [("finalize", [1], OURS)]


def test_leader_is_the_first_agreeing_member_not_the_first_member(make_world: MakeWorld) -> None:
    world = make_world(B)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(THEIRS), B: result_hash(OURS), C: result_hash(OURS)})
    assert world.look() == [("finalize", [1], OURS)]


def test_member_whose_result_lost_never_finalizes(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(THEIRS), C: result_hash(THEIRS)})
    for _ in range(3):
        assert world.look() == []
        world.clock.advance(10 * BACKOFF)


def test_without_a_quorum_the_first_revealer_finalizes_empty(make_world: MakeWorld) -> None:
    world = make_world(B)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {B: result_hash(OURS), C: result_hash(THEIRS)})  # A stayed silent
    assert world.look() == [("finalize", [1], b"")]


def test_without_a_quorum_a_later_revealer_backs_off(make_world: MakeWorld) -> None:
    world = make_world(C)
    task = world.add(1)
    world.computed(1, THEIRS)
    reveal_all(task, {B: result_hash(OURS), C: result_hash(THEIRS)})
    assert world.look() == []
    world.clock.advance(BACKOFF)
    assert world.look() == [("finalize", [1], b"")]


# --- abandoned tasks ---------------------------------------------------------------------


def test_observer_settles_an_abandoned_task_after_three_backoffs(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1, committee=(B, C))  # we serve the model but are not a member
    assert world.state(1) == "observer"
    task.phase = Phase.READY  # nobody revealed: no quorum
    assert world.look() == []
    world.clock.advance(3 * BACKOFF - 0.5)
    assert world.look() == []
    world.clock.advance(1.0)
    assert world.look() == [("finalize", [1], b"")]


def test_observer_leaves_a_task_with_a_quorum_to_its_members(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1, committee=(B, C))
    reveal_all(task, {B: result_hash(THEIRS), C: result_hash(THEIRS)})
    for _ in range(3):
        assert world.look() == []
        world.clock.advance(10 * BACKOFF)


def test_member_that_did_not_reveal_settles_an_abandoned_task(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    task.committed.add(A)
    task.phase = Phase.READY  # the reveal window closed before anyone revealed
    assert world.look() == []
    world.clock.advance(3 * BACKOFF)
    assert world.look() == [("finalize", [1], b"")]


# --- activation and outcomes ------------------------------------------------------------


def test_waiting_task_is_activated_once_every_parent_is_done(make_world: MakeWorld) -> None:
    world = make_world(A)
    first = world.add(1)
    second = world.add(2)
    world.add(3, parents=(1, 2), phase=Phase.WAITING)
    assert world.state(3) == "waiting"
    first.phase = Phase.SUCCEEDED
    second.phase = Phase.REVEAL
    assert [s for s in world.look() if s[0] == "activate"] == []
    second.phase = Phase.FAILED
    assert [s for s in world.look() if s[0] == "activate"] == [("activate", [3], None)]


def test_finished_task_is_recorded_and_not_read_again(make_world: MakeWorld) -> None:
    world = make_world(A)
    done = world.add(1)
    failed = world.add(2)
    world.computed(1)
    done.phase, done.accepted = Phase.SUCCEEDED, result_hash(OURS)
    failed.phase = Phase.FAILED
    assert world.look() == []
    assert (world.state(1), world.state(2)) == ("finalized", "failed")
    world.chain.reads.clear()
    assert world.look() == []
    assert world.chain.reads == []
