"""Agreement rules (issue 11, part 3): an honest member within its model's tolerance
is never slashed as wrong.

A model registered with a tolerance of K int8 steps (embeddings only) snapshots it
into each task. At finalize, a member that revealed another hash than the accepted
one is neither paid nor slashed: its share is held in escrow, its stake stays bound
(open-task count) and `SlashDeferred` says until when. `proveAgreement` with both
outputs (each coordinate within K steps) pays it; after the window anyone may
`settleDeferred`, which slashes it `slash_wrong` and sends the share to the treasury.
Exact models behave, and cost, as before.
"""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import mine, to_next_epoch
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.draws import move_to_draw, seats_of
from tests.contracts.utils.embeddings import base_vector, embedding_output, stepped

WRONG = 2
K = 1

BASE = base_vector()
A = embedding_output(BASE)
# One int8 step in one coordinate; one step in every coordinate, across the sign
# boundary and at both ends of the range; two steps in one coordinate.
ONE_STEP = embedding_output(stepped(BASE, {5: 1}))
ALL_ONE_STEP = embedding_output(
    [min(v + 1, 127) if i % 2 else max(v - 1, -128) for i, v in enumerate(BASE)]
)
TWO_STEPS = embedding_output(stepped(BASE, {200: -2}))

NOT_PENDING = "market: no slash pending"
WINDOW_OPEN = "market: dispute window open"
WINDOW_CLOSED = "market: dispute window closed"
BEYOND = "market: outputs differ beyond the tolerance"
MEMBER_MISMATCH = "market: member output does not match its reveal"
OUTPUT_MISMATCH = "market: output does not match the accepted result"
NOT_EMBEDDING = "canonical: not a 384-d embedding output"


@pytest.fixture(scope="module")
def tolerant_model(registry, staking, publisher, agents, model_id) -> bytes:
    """An embedding model with a tolerance of one int8 step, served by every agent."""
    mid = keccak(b"agentnet test model: minilm, one step")
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(mid, 0, "file://models/minilm-k1/manifest.json", K)
    for a in agents:
        with boa.env.prank(a.owner):
            staking.setModels([model_id, mid])
    to_next_epoch()
    return mid


def _owed(market, accounts) -> int:
    """ETH the market owes: escrow (held shares included), treasury, claimable."""
    return (
        market.escrowed() + market.treasury_balance() + sum(market.claimable(a) for a in accounts)
    )


def _dissent(market, create_task, members, play, model, outputs, size=3, quorum=2):
    """A task of `model` whose distinct members reveal `outputs` (the first wins),
    finalized with the first output; returns (task id, members, fee)."""
    fee = 3 * 10**15 + 2  # 2 wei do not split three ways
    task_id = create_task(size=size, quorum=quorum, fee=fee, model=model)
    committee = members(task_id)
    play(task_id, dict(zip(committee, outputs, strict=True)))
    market.finalize(task_id, outputs[0])
    return task_id, committee, fee


# ---------------------------------------------------------------- the two outcomes


def _nothing_pending(market, params, task_id, agent):
    """No slash of ``agent`` is held on the task: neither a proof nor, after the window, a
    settlement is taken."""
    with boa.reverts(NOT_PENDING):
        market.proveAgreement(task_id, agent, A, ONE_STEP)
    boa.env.time_travel(seconds=params.grace_period)
    with boa.reverts(NOT_PENDING):
        market.settleDeferred(task_id, agent)


def test_one_step_member_is_held_then_paid_never_slashed(
    market, staking, create_task, members, play, tolerant_model, stranger, requester, params
):
    # Every seat, the deferred one included, is owed fee // 3 (2 wei remain).
    task_id = create_task(size=3, quorum=2, fee=3 * 10**15 + 2, model=tolerant_model)
    a, b, c = members(task_id)
    stakes = {m: staking.stakeOf(m) for m in (a, b, c)}
    play(task_id, {a: A, b: A, c: ONE_STEP})
    balance = boa.env.get_balance(market.address)

    market.finalize(task_id, A)
    assert events(market, "Slashed") == []
    (held,) = events(market, "SlashDeferred")
    until = boa.env.timestamp + market.grace_period()
    assert (held.task_id, held.agent, held.seats, held.until) == (task_id, c, 1, until)
    assert market.deferredSlashUntil(task_id, c) == until
    assert market.deferredSlashUntil(task_id, a) == 0
    share = 10**15
    assert market.claimable(a) == market.claimable(b) == share
    assert market.claimable(c) == 0
    # Held: not sent to the treasury, still in escrow; the stake stays bound.
    assert market.treasury_balance() == 2
    assert market.escrowed() == share
    assert market.openTasks(c) == 1 and market.openTasks(a) == 0
    assert market.reputation(c) == (0, 0, 0)
    assert market.taskResult(task_id) == (5, keccak(A))
    assert boa.env.get_balance(market.address) == balance == _owed(market, [a, b, c, requester])

    with boa.env.prank(stranger):  # anyone may prove it; the agent is paid
        market.proveAgreement(task_id, c, A, ONE_STEP)
    (proven,) = events(market, "AgreementProven")
    assert (proven.task_id, proven.agent, proven.amount) == (task_id, c, share)
    assert events(market, "Slashed") == []
    assert market.claimable(c) == share
    assert market.claimable(stranger) == 0
    assert market.openTasks(c) == 0
    assert market.reputation(c) == (1, 0, 0)
    assert market.escrowed() == 0
    assert market.deferredSlashUntil(task_id, c) == 0
    assert all(staking.stakeOf(m) == stakes[m] for m in (a, b, c))
    assert boa.env.get_balance(market.address) == _owed(market, [a, b, c, requester])
    # Nothing is left to settle, ever.
    boa.env.time_travel(seconds=params.grace_period)
    with boa.reverts(NOT_PENDING):
        market.settleDeferred(task_id, c)


def test_two_steps_member_is_slashed_after_the_window(
    market, staking, create_task, members, play, tolerant_model, stranger, requester, params
):
    task_id, (a, b, c), fee = _dissent(
        market, create_task, members, play, tolerant_model, [A, A, TWO_STEPS]
    )
    share = fee // 3  # the deferred seat counts in the split
    stake = staking.stakeOf(c)
    staking_treasury = staking.treasury_balance()
    with boa.reverts(BEYOND):
        market.proveAgreement(task_id, c, A, TWO_STEPS)
    with boa.reverts(WINDOW_OPEN):
        market.settleDeferred(task_id, c)

    boa.env.time_travel(seconds=params.grace_period)
    with boa.reverts(WINDOW_CLOSED):
        market.proveAgreement(task_id, c, A, ONE_STEP)
    with boa.env.prank(stranger):
        market.settleDeferred(task_id, c)
    (settled,) = events(market, "DeferredSettled")
    assert (settled.task_id, settled.agent, settled.amount) == (task_id, c, share)
    (slashed,) = events(market, "Slashed")
    assert (slashed.agent, slashed.task_id, slashed.amount, slashed.reason) == (
        c,
        task_id,
        params.slash_wrong,
        WRONG,
    )
    assert staking.stakeOf(c) == stake - params.slash_wrong
    assert staking.treasury_balance() == staking_treasury + params.slash_wrong
    assert market.treasury_balance() == fee - 3 * share + share
    assert market.claimable(c) == 0
    assert market.openTasks(c) == 0
    assert market.reputation(c) == (0, 1, 0)
    assert market.escrowed() == 0
    assert boa.env.get_balance(market.address) == _owed(market, [a, b, c, requester])
    for call in (
        lambda: market.settleDeferred(task_id, c),
        lambda: market.proveAgreement(task_id, c, A, TWO_STEPS),
    ):
        with boa.reverts(NOT_PENDING):
            call()


def test_every_coordinate_one_step_apart_agrees(market, create_task, members, play, tolerant_model):
    task_id, (_, _, c), _ = _dissent(
        market, create_task, members, play, tolerant_model, [A, A, ALL_ONE_STEP]
    )
    market.proveAgreement(task_id, c, A, ALL_ONE_STEP)
    assert market.openTasks(c) == 0 and market.reputation(c) == (1, 0, 0)


def test_a_member_with_two_seats_is_held_and_paid_per_seat(
    market, staking, create_task, play, tolerant_model, requester, params
):
    def want(seats: list[str]) -> bool:
        counts = seats_of(seats)
        return len(counts) == 4 and sorted(counts.values()) == [1, 1, 1, 2]

    task_id = market.task_count() + 1
    move_to_draw(staking, tolerant_model, 5, task_id, want)
    fee = 10**16
    with boa.env.prank(requester):
        market.createTask(tolerant_model, b'{"text":"hi"}', 5, 3, [], value=fee)
    mine(2)
    market.activate(task_id)
    counts = seats_of(market.committeeOf(task_id))
    double = next(m for m, n in counts.items() if n == 2)
    play(task_id, {m: (ONE_STEP if m == double else A) for m in counts})
    market.finalize(task_id, A)
    (held,) = events(market, "SlashDeferred")
    assert (held.agent, held.seats) == (double, 2)
    share = fee // 5
    assert market.escrowed() == 2 * share
    market.proveAgreement(task_id, double, A, ONE_STEP)
    assert market.claimable(double) == 2 * share
    assert market.escrowed() == 0


def test_two_members_held_one_proven_one_settled(
    market, staking, create_task, members, play, tolerant_model, requester, params
):
    task_id, (a, b, c, d, e), fee = _dissent(
        market,
        create_task,
        members,
        play,
        tolerant_model,
        [A, A, A, ONE_STEP, TWO_STEPS],
        size=5,
        quorum=3,
    )
    share = fee // 5
    assert {ev.agent for ev in events(market, "SlashDeferred")} == {d, e}
    assert all(market.claimable(m) == share for m in (a, b, c))
    assert market.escrowed() == 2 * share
    market.proveAgreement(task_id, d, A, ONE_STEP)
    boa.env.time_travel(seconds=params.grace_period)
    market.settleDeferred(task_id, e)
    assert market.claimable(d) == share and market.claimable(e) == 0
    assert market.reputation(d) == (1, 0, 0) and market.reputation(e) == (0, 1, 0)
    assert market.escrowed() == 0
    assert boa.env.get_balance(market.address) == _owed(market, [a, b, c, d, e, requester])


# ---------------------------------------------------------------- exact models


def test_exact_model_still_slashes_at_finalize(
    market, staking, create_task, members, play, model_id, params
):
    task_id, (_, _, c), fee = _dissent(
        market, create_task, members, play, model_id, [A, A, ONE_STEP]
    )
    (slashed,) = events(market, "Slashed")
    assert (slashed.agent, slashed.amount, slashed.reason) == (c, params.slash_wrong, WRONG)
    assert events(market, "SlashDeferred") == []
    assert market.openTasks(c) == 0
    assert market.escrowed() == 0
    assert market.treasury_balance() == fee - 2 * (fee // 2)
    _nothing_pending(market, params, task_id, c)


def test_finalize_gas_of_the_common_path_does_not_depend_on_the_rule(
    market, staking, create_task, members, play, model_id, tolerant_model, agents
):
    seats = [agents[0].owner, agents[1].owner, agents[2].owner]

    def finalize_gas(model: bytes) -> int:
        task_id = create_task(size=3, quorum=2, model=model, seats=seats)
        play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
        with boa.env.prank(seats[0]):
            market.finalize(task_id, DEFAULT_OUTPUT)
        gas = market._computation.get_gas_used()  # of the last call: finalize
        assert market.taskPhase(task_id) == 5
        return gas

    finalize_gas(model_id)  # the members' ledger words hold a balance from now on
    exact = finalize_gas(model_id)
    tolerant = finalize_gas(tolerant_model)
    assert exact == tolerant, (exact, tolerant)
    assert exact > 10_000  # execution only (warm, no intrinsic gas)


def test_the_rule_is_snapshotted_at_creation(
    market, registry, owner, create_task, members, play, tolerant_model, model_id
):
    # Created while tolerant, corrected to exact afterwards: still tolerant.
    task_id = create_task(size=3, quorum=2, model=tolerant_model)
    with boa.env.prank(owner):
        registry.correctTolerance(tolerant_model, 0)
    a, b, c = members(task_id)
    play(task_id, {a: A, b: A, c: ONE_STEP})
    market.finalize(task_id, A)
    assert events(market, "Slashed") == []
    market.proveAgreement(task_id, c, A, ONE_STEP)
    # A task created now is exact.
    task_id, (_, _, c), _ = _dissent(
        market, create_task, members, play, tolerant_model, [A, A, ONE_STEP]
    )
    assert [ev.agent for ev in events(market, "Slashed")] == [c]


# ---------------------------------------------------------------- attacks


@pytest.fixture
def held(market, create_task, members, play, tolerant_model):
    """A succeeded task of the tolerant model whose third member, one step away, is held."""
    task_id, committee, _ = _dissent(
        market, create_task, members, play, tolerant_model, [A, A, ONE_STEP]
    )
    return task_id, committee


def test_prove_twice(market, held):
    task_id, (_, _, c) = held
    market.proveAgreement(task_id, c, A, ONE_STEP)
    with boa.reverts(NOT_PENDING):
        market.proveAgreement(task_id, c, A, ONE_STEP)


def test_prove_with_outputs_that_do_not_match_the_hashes(market, held):
    task_id, (_, _, c) = held
    other = embedding_output(stepped(BASE, {7: 1}))  # within one step, never revealed
    with boa.reverts(OUTPUT_MISMATCH):
        market.proveAgreement(task_id, c, ONE_STEP, ONE_STEP)
    with boa.reverts(OUTPUT_MISMATCH):
        market.proveAgreement(task_id, c, other, ONE_STEP)
    with boa.reverts(MEMBER_MISMATCH):
        market.proveAgreement(task_id, c, A, other)
    with boa.reverts(MEMBER_MISMATCH):
        market.proveAgreement(task_id, c, A, A)


def test_prove_with_outputs_of_another_task(market, create_task, members, play, tolerant_model):
    first, (_, _, c1), _ = _dissent(
        market, create_task, members, play, tolerant_model, [A, A, ONE_STEP]
    )
    b_out = embedding_output(base_vector(seed=1))
    b_step = embedding_output(stepped(base_vector(seed=1), {9: -1}))
    second, (_, _, c2), _ = _dissent(
        market, create_task, members, play, tolerant_model, [b_out, b_out, b_step]
    )
    # The first task's outputs (its window is over by now) prove nothing here.
    with boa.reverts(OUTPUT_MISMATCH):
        market.proveAgreement(second, c2, A, ONE_STEP)
    with boa.reverts(MEMBER_MISMATCH):
        market.proveAgreement(second, c2, b_out, ONE_STEP)
    market.proveAgreement(second, c2, b_out, b_step)
    assert market.deferredSlashUntil(first, c1) != 0


def test_non_members_agreeing_members_and_other_tasks_have_nothing_pending(
    market, held, stranger, create_task, members, play, tolerant_model
):
    task_id, (a, _, _) = held
    for agent in (a, stranger):
        with boa.reverts(NOT_PENDING):
            market.proveAgreement(task_id, agent, A, ONE_STEP)
    assert market.deferredSlashUntil(task_id, stranger) == 0
    with boa.reverts(NOT_PENDING):
        market.proveAgreement(task_id + 1, a, A, ONE_STEP)  # unknown task
    # A task still open.
    open_id = create_task(size=3, quorum=2, model=tolerant_model)
    with boa.reverts(NOT_PENDING):
        market.settleDeferred(open_id, members(open_id)[0])


def test_failed_task_defers_nothing(
    market, staking, create_task, members, play, tolerant_model, params, requester
):
    fee = 3 * 10**15
    task_id = create_task(size=3, quorum=2, fee=fee, model=tolerant_model)
    a, b, c = members(task_id)
    play(task_id, {a: A, b: ONE_STEP, c: TWO_STEPS})  # no quorum, as today
    market.finalize(task_id, A)
    assert events(market, "TaskFinalized")[0].status == 2
    assert events(market, "SlashDeferred") == []
    assert market.claimable(requester) >= fee
    assert all(market.openTasks(m) == 0 for m in (a, b, c))
    _nothing_pending(market, params, task_id, b)


def test_non_canonical_and_other_shapes_cannot_prove(
    market, create_task, members, play, tolerant_model
):
    text = A.decode()
    spaced = text.replace(",", ", ").encode()  # valid JSON, not canonical
    reordered = ('{"i8":' + text.split('"i8":')[1][:-1] + ',"dim":384}').encode()
    short = embedding_output(BASE[:16])  # another dimension
    error = b'{"error":"bad_utf8"}'
    for dissent in (spaced, reordered, short, error):
        task_id, (_, _, c), _ = _dissent(
            market, create_task, members, play, tolerant_model, [A, A, dissent]
        )
        with boa.reverts(NOT_EMBEDDING):
            market.proveAgreement(task_id, c, A, dissent)
    # The accepted output itself must be a canonical embedding too.
    task_id, (_, _, c), _ = _dissent(
        market, create_task, members, play, tolerant_model, [spaced, spaced, A]
    )
    with boa.reverts(NOT_EMBEDDING):
        market.proveAgreement(task_id, c, spaced, A)


def test_prove_after_settle_and_settle_twice(market, held, params):
    task_id, (_, _, c) = held
    boa.env.time_travel(seconds=params.grace_period - 1)
    with boa.reverts(WINDOW_OPEN):
        market.settleDeferred(task_id, c)
    boa.env.time_travel(seconds=1)
    market.settleDeferred(task_id, c)
    with boa.reverts(NOT_PENDING):
        market.proveAgreement(task_id, c, A, ONE_STEP)
    with boa.reverts(NOT_PENDING):
        market.settleDeferred(task_id, c)


def test_stake_cannot_leave_while_a_slash_is_pending(
    market, staking, held, wait_until_withdrawable, params
):
    task_id, (_, _, c) = held
    with boa.env.prank(c):
        staking.requestUnstake(10**17)
    wait_until_withdrawable(c)  # far past the dispute window: nobody settled
    with boa.env.prank(c), boa.reverts("staking: agent has open tasks"):
        staking.withdrawStake()
    with boa.reverts(WINDOW_CLOSED):
        market.proveAgreement(task_id, c, A, ONE_STEP)
    market.settleDeferred(task_id, c)
    with boa.env.prank(c):
        staking.withdrawStake()


def test_a_proven_member_can_leave(market, staking, held, wait_until_withdrawable):
    task_id, (_, _, c) = held
    with boa.env.prank(c):
        staking.requestUnstake(10**17)
    market.proveAgreement(task_id, c, A, ONE_STEP)
    wait_until_withdrawable(c)
    with boa.env.prank(c):
        staking.withdrawStake()


def test_prove_is_not_blocked_by_a_pause(market, held, owner):
    task_id, (_, _, c) = held
    with boa.env.prank(owner):
        market.pause()
    market.proveAgreement(task_id, c, A, ONE_STEP)
