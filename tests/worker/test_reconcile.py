"""The reconcile pass's decisions, against an in-memory chain and a clock the test moves.

Each test sets up what the contract would answer (:class:`~tests.worker.fakes.FakeChain`,
the same protocol as the real chain view), runs one or more reconcile passes of a
real :class:`~oracles.worker.reconcile.Reconciler` on a real SQLite store, and checks
what the worker asked to send: seated or not once the draw block is mined, commit at
once, activation of tasks left waiting (late, redrawn, failed parents), votes per
seat, who finalizes and when (back-off, grace period), settling abandoned tasks,
poking slashed agents, and the commit/reveal steps around them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from oracles.chain.follower import open_db
from oracles.engine.canonical import embedding_bytes
from oracles.engine.compare import INT8_MAX_ABS_DIFF, AgreementRule
from oracles.protocol import MAX_OUTPUT_BYTES, result_hash
from oracles.worker.chainview import Head, Phase
from oracles.worker.compose import compose
from oracles.worker.inference import Inference
from oracles.worker.pokes import Pokes
from oracles.worker.reconcile import Reconciler
from oracles.worker.seating import Seating
from oracles.worker.settlement import Settlement
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics
from oracles.worker.turns import ABANDONED_AFTER_BACKOFFS, turn_wait
from tests.worker.fakes import ChainTask, FakeAgent, FakeChain, FakeClock, RecordedSubmissions

A, B, C = ("0x" + c * 40 for c in "abc")
MODEL = bytes.fromhex("11" * 32)
BACKOFF = 4.0
OURS = b'{"text":"OURS"}'
THEIRS = b'{"text":"THEIRS"}'
DRAW = 10  # draw block of the tasks below (created in block 9)

Sent = list[tuple[str, list[int], bytes | None]]
RULES = {MODEL: AgreementRule(INT8_MAX_ABS_DIFF, 1)}  # the model's package: one int8 step


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

    def look(self) -> Sent:
        """One reconcile pass (and the inference it started); what it asked to send."""

        async def look() -> None:
            await self.reconciler.reconcile_once()
            await self.reconciler.drain()

        asyncio.run(look())
        return self.sent.take()

    def add(
        self,
        task_id: int,
        committee: Sequence[str] = (A, B, C),
        phase: Phase = Phase.COMMIT,
        parents: Sequence[int] = (),
        task_input: bytes = b'{"text":"ours"}',
        quorum: int = 2,
    ) -> ChainTask:
        """A task on chain and in the worker's store (as the follower would put it:
        ``TaskCreated``, then ``TaskActivated`` once the task is seated)."""
        task = ChainTask(
            committee=list(committee),
            phase=phase,
            parents=list(parents),
            quorum=quorum,
            draw_block=DRAW,
        )
        self.chain.tasks[task_id] = task
        self.store.insert_task(
            task_id, MODEL, task_input, list(parents), quorum, len(committee), DRAW, DRAW - 1
        )
        if phase != Phase.WAITING:
            self.store.set_committee(task_id, list(committee), self.agent in committee)
        return task

    def computed(self, task_id: int, output: bytes = OURS) -> TaskRow:
        """Our stored output and salt for a task."""
        row = self.store.get(task_id)
        assert row is not None
        saved = self.store.save_output(row, output, result_hash(output), bytes(32), 1.0)
        assert saved is not None
        return saved

    def row(self, task_id: int) -> TaskRow:
        row = self.store.get(task_id)
        assert row is not None
        return row

    def state(self, task_id: int) -> str:
        return self.row(task_id).state

    def activate_after(self, task_id: int) -> int:
        """Blocks after the draw block before this worker, not seated, activates."""
        return self.reconciler.seating.activate_after(task_id)

    def bystander_wait(self, key: str) -> float:
        """Seconds a worker with no stake in the outcome leaves the others (``key``:
        the action, as :mod:`oracles.worker.turns` names it)."""
        wait = turn_wait(self.agent, [], BACKOFF, key)
        assert ABANDONED_AFTER_BACKOFFS * BACKOFF <= wait < (ABANDONED_AFTER_BACKOFFS + 1) * BACKOFF
        return wait


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
            Seating(chain, store, metrics, agent),
            Settlement(chain, store, metrics, agent, BACKOFF, clock=clock, rule_of=RULES.get),
            Pokes(chain, store, agent, {MODEL}, BACKOFF, clock=clock),
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


# --- waiting tasks: seated or not ----------------------------------------------------


def test_seated_task_is_computed_and_committed_once_its_draw_block_is_mined(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    world.chain.head = Head(DRAW - 1, 500)  # the block of createTask
    world.add(1, phase=Phase.WAITING, task_input=b"hello")
    world.add(2, committee=(B, A, A), phase=Phase.WAITING, task_input=b"world")
    assert world.look() == []  # the draw block is not mined: nobody knows the committee
    assert world.state(1) == "waiting"
    world.chain.mine()  # the draw block
    assert world.look() == [("commit", [1, 2], None)]  # the commits activate the tasks
    row = world.sent.rows[1]
    assert row.output == b"HELLO" and row.result_hash == result_hash(b"HELLO")
    assert row.salt is not None and len(row.salt) == 32
    assert world.store.get(1) == row  # what is committed is what is stored
    assert world.row(2).committee == [B, A, A] and world.row(2).member
    assert world.row(2).seated_at is not None


def test_worker_not_seated_activates_only_a_task_left_waiting(make_world: MakeWorld) -> None:
    world = make_world(A)
    world.chain.head = Head(DRAW, 500)
    world.add(1, committee=(B, C, C), phase=Phase.WAITING)
    after = world.activate_after(1)
    assert 3 <= after <= 5  # a few blocks, not the same for every worker
    for _ in range(after):
        assert world.look() == []  # the seated members commit (and activate) meanwhile
        assert world.row(1).member is False and world.state(1) == "observer"
        world.chain.mine()
    assert world.look() == [("activate", [1], None)]


def test_task_whose_draw_block_is_out_of_reach_is_activated_for_a_redraw(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    world.chain.head = Head(DRAW + 300, 900)
    world.add(1, committee=(A, B, C), phase=Phase.WAITING)  # nobody activated it in time
    assert world.look() == [("activate", [1], None)]  # the contract fixes a new draw block
    world.store.set_draw_block(1, DRAW + 301)  # TaskRedrawn, as the follower delivers it
    world.chain.tasks[1].draw_block = DRAW + 301
    assert world.look() == []
    world.chain.mine()  # the new draw block
    assert world.look() == [("commit", [1], None)]


def test_waiting_task_is_left_alone_until_every_parent_is_done(make_world: MakeWorld) -> None:
    world = make_world(A)
    first = world.add(1, committee=(B, C, C))
    second = world.add(2, committee=(B, C, C))
    world.add(3, committee=(A, B, C), parents=(1, 2), phase=Phase.WAITING)
    world.chain.mine(50)
    first.phase = Phase.SUCCEEDED
    second.phase = Phase.REVEAL
    assert world.look() == []
    second.phase = Phase.SUCCEEDED
    world.store.record_finalized(1, 1, bytes(32), b'{"label":"x"}', 30)
    world.store.record_finalized(2, 1, bytes(32), b'{"label":"y"}', 30)
    assert world.look() == [("commit", [3], None)]
    parent_outputs = [b'{"label":"x"}', b'{"label":"y"}']
    assert world.sent.rows[3].output == compose(b'{"text":"ours"}', parent_outputs).upper()


def test_child_of_a_failed_parent_is_activated_so_that_it_fails(make_world: MakeWorld) -> None:
    world = make_world(A)
    parent = world.add(1, committee=(B, C, C))
    world.add(2, committee=(A, B, C), parents=(1,), phase=Phase.WAITING)
    parent.phase = Phase.FAILED  # in the latest block: the child's draw block is the next
    world.chain.tasks[2].draw_block = world.chain.head.number + 1
    assert world.look() == []
    world.chain.mine(world.activate_after(2))
    assert world.look() == []  # no committee to seat: the members cannot activate it
    world.chain.mine()
    assert world.look() == [("activate", [2], None)]


def test_reorg_of_the_draw_block_that_unseats_us_leaves_the_task_to_others(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    world.chain.head = Head(DRAW, 500)
    task = world.add(1, committee=(A, B, C), phase=Phase.WAITING)
    assert world.look() == [("commit", [1], None)]
    assert world.row(1).member
    task.committee = [B, C, C]  # a reorg replaced the draw block (and dropped our commit)
    assert world.look() == []
    assert world.row(1).member is False and world.row(1).committee == [B, C, C]
    world.chain.mine(world.activate_after(1))
    assert world.look() == [("activate", [1], None)]  # if its members let it wait


# --- commit and reveal ---------------------------------------------------------------


def test_agent_holding_two_seats_commits_and_reveals_once(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1, committee=(A, B, A))
    assert world.look() == [("commit", [1], None)]
    task.committed.add(A)
    task.phase = Phase.REVEAL
    assert world.look() == [("reveal", [1], None)]
    task.revealed[A] = result_hash(b'{"TEXT":"OURS"}')
    assert world.look() == []


def test_inference_that_outlives_the_commit_window_sends_no_commit(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    task = world.add(1)

    class Slow(Upper):
        def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
            world.clock.advance(30)  # a long generation...
            task.phase = Phase.REVEAL  # ...during which the commit window closed
            return super().run_batch(inputs)

    world.reconciler.inference.engines[MODEL] = Slow()
    assert world.look() == []  # computed and stored, but a commit would be skipped
    assert world.state(1) == "computed"


def test_long_inference_holds_up_no_other_task(make_world: MakeWorld) -> None:
    world = make_world(A)
    slow = threading.Event()

    class Blocked(Upper):
        def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
            assert slow.wait(10), "never released"
            return super().run_batch(inputs)

    world.reconciler.inference.engines[MODEL] = Blocked()
    world.add(1)  # to compute: its inference blocks
    revealing = world.add(2)
    world.computed(2)
    revealing.committed.add(A)
    revealing.phase = Phase.REVEAL

    async def passes() -> tuple[Sent, Sent]:
        await world.reconciler.reconcile_once()
        world.sent.in_flight.add(2)  # its reveal is on its way
        await world.reconciler.reconcile_once()  # task 1 is being computed: left alone
        during = world.sent.take()
        slow.set()
        await world.reconciler.drain()
        return during, world.sent.take()

    during, after = asyncio.run(passes())
    assert during == [("reveal", [2], None)]
    assert after == [("commit", [1], None)]


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


def test_commit_dropped_with_the_activation_is_sent_again_with_the_same_salt(
    make_world: MakeWorld,
) -> None:
    world = make_world()
    task = world.add(1)
    saved = world.computed(1)
    world.store.set_state(1, "committed")
    task.phase = Phase.WAITING  # the reorg dropped the block that activated the task
    assert world.look() == [("commit", [1], None)]
    assert world.sent.rows[1].salt == saved.salt
    assert world.state(1) == "computed"


def test_seat_the_follower_has_not_delivered_yet_is_read_from_the_chain(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    world.add(1, phase=Phase.WAITING)
    world.chain.tasks[1].phase = Phase.COMMIT  # activated by another member's commit
    assert world.look() == [("commit", [1], None)]
    assert world.row(1).member


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


def test_votes_count_per_seat(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1, committee=(A, B, A))  # quorum 2 of 3 seats
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(THEIRS)})
    assert world.look() == [("finalize", [1], OURS)]  # two seats against one


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


def test_member_whose_result_lost_waits_for_the_winners(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(THEIRS), C: result_hash(THEIRS)})
    for _ in range(3):
        assert world.look() == []  # the grace period has not passed: B and C finalize
        world.clock.advance(10 * BACKOFF)


def test_quorum_nobody_backs_is_failed_empty_after_the_grace_period(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(THEIRS), C: result_hash(THEIRS)})
    grace_end = task.reveal_end + world.chain.grace
    world.chain.head = Head(100, grace_end - 1)
    assert world.look() == []
    world.chain.mine()  # the chain's time reaches the end of the grace period
    assert world.look() == [("finalize", [1], b"")]  # we dissented: we go first


def test_observer_fails_an_unbacked_quorum_three_backoffs_after_the_grace_period(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    task = world.add(1, committee=(B, C, C))
    reveal_all(task, {B: result_hash(THEIRS), C: result_hash(THEIRS)})
    world.chain.head = Head(100, task.reveal_end + world.chain.grace)
    assert world.look() == []
    wait = world.bystander_wait("finalize:1:grace")
    world.clock.advance(wait - 0.5)
    assert world.look() == []
    world.clock.advance(0.5)
    assert world.look() == [("finalize", [1], b"")]


def test_winning_output_too_long_to_send_counts_as_not_held(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1, committee=(A, A, B))
    huge = b'{"text":"' + b"x" * MAX_OUTPUT_BYTES + b'"}'
    world.computed(1, huge)
    reveal_all(task, {A: result_hash(huge), B: result_hash(THEIRS)})
    assert world.look() == []  # finalize cannot carry it: never sent
    world.chain.head = Head(100, task.reveal_end + world.chain.grace)
    assert world.look() == []  # B, which revealed something else, fails it first
    world.clock.advance(world.bystander_wait("finalize:1:grace"))
    assert world.look() == [("finalize", [1], b"")]


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
    task = world.add(1, committee=(B, C))  # we serve the model but hold no seat
    assert world.state(1) == "observer"
    task.phase = Phase.READY  # nobody revealed: no quorum
    assert world.look() == []
    wait = world.bystander_wait("finalize:1:no_quorum")
    world.clock.advance(wait - 0.5)
    assert world.look() == []
    world.clock.advance(0.5)
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
    world.clock.advance(world.bystander_wait("finalize:1:no_quorum"))
    assert world.look() == [("finalize", [1], b"")]


# --- slashed agents ------------------------------------------------------------------------


def slashed_world(make_world: MakeWorld, agent: str, tree_weight: int = 10) -> World:
    """Task 1 (members A, B, C) finalized; C was slashed for it, its tree weight is stale."""
    world = make_world(agent)
    world.add(1).phase = Phase.SUCCEEDED
    world.chain.agents[C] = FakeAgent(stake_weight=8, tree_weight=tree_weight, models=[MODEL])
    world.store.add_poke(C, 1, 30)
    return world


def test_first_unslashed_member_pokes_a_slashed_agent_at_once(make_world: MakeWorld) -> None:
    world = slashed_world(make_world, A)
    assert world.look() == [("poke", [], C.encode())]
    world.sent.pokes_in_flight.add(C)
    assert world.look() == []  # its poke is on its way
    world.sent.pokes_in_flight.clear()
    world.chain.agents[C].tree_weight = 8  # the poke was mined
    assert world.look() == []
    assert world.store.pokes() == []


def test_other_workers_poke_only_if_still_needed_after_their_backoff(
    make_world: MakeWorld,
) -> None:
    member = slashed_world(make_world, B)
    observer = slashed_world(make_world, "0x" + "d" * 40)
    assert member.look() == [] and observer.look() == []
    member.clock.advance(BACKOFF)
    observer.clock.advance(BACKOFF)
    assert member.look() == [("poke", [], C.encode())]
    assert observer.look() == []
    observer.clock.advance(observer.bystander_wait(f"poke:{C}") - BACKOFF)
    observer.chain.agents[C].tree_weight = 8  # someone else poked meanwhile
    assert observer.look() == []
    assert observer.store.pokes() == []


def test_slash_that_left_the_weight_as_it_was_is_not_poked(make_world: MakeWorld) -> None:
    world = slashed_world(make_world, A, tree_weight=8)
    assert world.look() == []
    assert world.store.pokes() == []


# --- outcomes ------------------------------------------------------------------------------


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


def test_task_of_a_model_still_loading_waits_for_it_alone(make_world: MakeWorld) -> None:
    world = make_world(A)
    engines = world.reconciler.inference.engines
    assert isinstance(engines, dict)
    loaded = engines.pop(MODEL)  # the worker started; this model is still loading
    world.add(1)  # to compute: its model is not in
    revealing = world.add(2)
    world.computed(2)  # computed before a restart: its reveal needs no engine
    revealing.committed.add(A)
    revealing.phase = Phase.REVEAL
    assert world.look() == [("reveal", [2], None)]
    assert world.state(1) == "seen"
    assert world.look() == [("reveal", [2], None)]  # (its reveal not mined yet)
    engines[MODEL] = loaded  # the model is in
    revealing.revealed[A] = result_hash(OURS)
    assert world.look() == [("commit", [1], None)]
    assert world.sent.rows[1].output == b'{"TEXT":"OURS"}'


# --- deferred slashes of a tolerant model ----------------------------------------------


def _embedding(first: int) -> bytes:
    vector = np.zeros(384, dtype=np.int8)
    vector[0] = first
    return embedding_bytes(vector)


def _finalized_with_our_slash_deferred(world: World, ours: bytes, accepted: bytes) -> ChainTask:
    task = world.add(1)
    world.computed(1, ours)
    reveal_all(task, {A: result_hash(ours), B: result_hash(accepted), C: result_hash(accepted)})
    task.phase, task.accepted = Phase.SUCCEEDED, result_hash(accepted)
    task.deferred = {A: world.chain.head.timestamp + 60}
    world.store.record_finalized(1, 1, result_hash(accepted), accepted, 30)
    return task


def test_member_one_step_off_proves_agreement_then_records_the_task(
    make_world: MakeWorld,
) -> None:
    world = make_world(A)
    accepted = _embedding(5)
    task = _finalized_with_our_slash_deferred(world, _embedding(6), accepted)
    assert world.look() == [("prove", [1], accepted)]
    assert world.state(1) != "finalized"  # open until the proof is mined
    task.deferred = {}  # mined: nothing deferred any more
    assert world.look() == []
    assert world.state(1) == "finalized"


def test_member_two_steps_off_proves_nothing_and_a_backer_settles_after_the_window(
    make_world: MakeWorld,
) -> None:
    liar_output, accepted = _embedding(7), _embedding(5)
    ours = make_world(A)
    _finalized_with_our_slash_deferred(ours, liar_output, accepted)
    assert ours.look() == []  # not within the rule: nothing to prove, wait
    assert ours.state(1) != "finalized"

    backer = make_world(B)
    task = backer.add(1)
    backer.computed(1, accepted)
    reveal_all(
        task, {A: result_hash(liar_output), B: result_hash(accepted), C: result_hash(accepted)}
    )
    task.phase, task.accepted = Phase.SUCCEEDED, result_hash(accepted)
    task.deferred = {A: backer.chain.head.timestamp + 60}
    assert backer.look() == []  # the window runs
    backer.chain.mine(60, seconds=1)
    assert backer.look() == [("settle", [1], A.encode())]  # B backs the result: first turn
    task.deferred = {}
    assert backer.look() == []
    assert backer.state(1) == "finalized"


def test_exact_model_dissent_is_recorded_without_a_dispute(make_world: MakeWorld) -> None:
    world = make_world(A)
    task = world.add(1)
    world.computed(1, OURS)
    reveal_all(task, {A: result_hash(OURS), B: result_hash(THEIRS), C: result_hash(THEIRS)})
    task.phase, task.accepted = Phase.SUCCEEDED, result_hash(THEIRS)
    assert world.look() == []  # slashed at finalize: nothing deferred, nothing to send
    assert world.state(1) == "finalized"
