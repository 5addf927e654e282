import boa
import pytest
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.conftest import OTHER_OUTPUT, THIRD_OUTPUT
from tests.contracts.unitary.helpers import ZERO_BYTES32, events
from tests.contracts.utils.protocol import ETHER

H = keccak(DEFAULT_OUTPUT)
MISSED, WRONG = 1, 2


def _held(market, accounts):
    """ETH the market owes: escrow, claimable balances and its treasury."""
    return (
        market.escrowed() + market.treasury_balance() + sum(market.claimable(a) for a in accounts)
    )


def test_unanimous_committee_is_paid(market, staking, create_task, members, play, requester):
    fee = 3 * 10**15 + 2  # 2 wei do not split three ways
    task_id = create_task(size=3, quorum=2, fee=fee)
    committee = members(task_id)
    stakes = [staking.stakeOf(m) for m in committee]
    play(task_id, dict.fromkeys(committee, DEFAULT_OUTPUT))
    balance = boa.env.get_balance(market.address)

    market.finalize(task_id, DEFAULT_OUTPUT)
    (fin,) = events(market, "TaskFinalized")
    assert (fin.task_id, fin.status, fin.result_hash, fin.output) == (task_id, 1, H, DEFAULT_OUTPUT)
    assert events(market, "Slashed") == []

    for m, stake in zip(committee, stakes, strict=True):
        assert market.claimable(m) == 10**15
        assert market.reputation(m) == (1, 0, 0)
        assert market.openTasks(m) == 0
        assert staking.stakeOf(m) == stake
    assert market.treasury_balance() == 2
    assert market.claimable(requester) == 0
    assert market.escrowed() == 0
    # No ETH moved: it is now owed to the members and the treasury.
    assert boa.env.get_balance(market.address) == balance
    assert balance == _held(market, [*committee, requester])
    assert market.taskPhase(task_id) == 5
    assert market.taskResult(task_id) == (5, H)
    assert market.getTask(task_id).result_hash == H


def test_wrong_and_missed_members_are_slashed(market, staking, create_task, members, play, params):
    fee = 10**16
    task_id = create_task(size=5, quorum=3, fee=fee)
    a, b, c, wrong, silent = members(task_id)
    stakes = {m: staking.stakeOf(m) for m in (a, wrong, silent)}
    treasury = staking.treasury_balance()
    play(
        task_id,
        {
            a: DEFAULT_OUTPUT,
            b: DEFAULT_OUTPUT,
            c: DEFAULT_OUTPUT,
            wrong: OTHER_OUTPUT,
            silent: None,
        },
    )
    market.finalize(task_id, DEFAULT_OUTPUT)
    slashed = {(ev.agent, ev.task_id, ev.amount, ev.reason) for ev in events(market, "Slashed")}
    assert slashed == {
        (wrong, task_id, params.slash_wrong, WRONG),
        (silent, task_id, params.slash_missed, MISSED),
    }
    assert events(market, "TaskFinalized")[0].status == 1

    share = fee // 3
    for m in (a, b, c):
        assert market.claimable(m) == share
        assert market.reputation(m) == (1, 0, 0)
    assert market.claimable(wrong) == 0
    assert market.claimable(silent) == 0
    assert market.reputation(wrong) == (0, 1, 0)
    assert market.reputation(silent) == (0, 0, 1)
    assert market.treasury_balance() == fee - 3 * share
    assert staking.stakeOf(a) == stakes[a]
    assert staking.stakeOf(wrong) == stakes[wrong] - params.slash_wrong
    assert staking.stakeOf(silent) == stakes[silent] - params.slash_missed
    assert staking.treasury_balance() == treasury + params.slash_wrong + params.slash_missed
    assert all(market.openTasks(m) == 0 for m in members(task_id))


def test_committed_but_not_revealed_counts_as_missed(
    market, staking, create_task, members, commit_as, reveal_as, travel_to, params
):
    task_id = create_task(size=3, quorum=2)
    a, b, late = members(task_id)
    salts = {m: commit_as(task_id, m) for m in (a, b, late)}
    for m in (a, b):
        reveal_as(task_id, m, salts[m])
    travel_to(market.getTask(task_id).reveal_end)
    stake = staking.stakeOf(late)
    market.finalize(task_id, DEFAULT_OUTPUT)
    (ev,) = events(market, "Slashed")
    assert (ev.agent, ev.amount, ev.reason) == (late, params.slash_missed, MISSED)
    assert staking.stakeOf(late) == stake - params.slash_missed
    assert market.reputation(late) == (0, 0, 1)


def test_no_quorum_refunds_and_only_slashes_the_missing(
    market, staking, create_task, members, play, requester, params
):
    fee = 10**16
    task_id = create_task(size=5, quorum=3, fee=fee)
    a, b, c, d, silent = members(task_id)
    stakes = {m: staking.stakeOf(m) for m in members(task_id)}
    play(
        task_id,
        {a: DEFAULT_OUTPUT, b: DEFAULT_OUTPUT, c: OTHER_OUTPUT, d: THIRD_OUTPUT, silent: None},
    )
    refund = market.claimable(requester)
    # The output is ignored when there is no quorum, even one matching the plurality.
    market.finalize(task_id, DEFAULT_OUTPUT)
    (fin,) = events(market, "TaskFinalized")
    assert (fin.status, fin.result_hash, fin.output) == (2, ZERO_BYTES32, b"")
    (ev,) = events(market, "Slashed")
    assert (ev.agent, ev.amount, ev.reason) == (silent, params.slash_missed, MISSED)

    assert market.claimable(requester) == refund + fee
    assert market.treasury_balance() == 0
    for m in (a, b, c, d):
        assert market.claimable(m) == 0
        assert staking.stakeOf(m) == stakes[m]
        assert market.reputation(m) == (0, 0, 0)
    assert market.reputation(silent) == (0, 0, 1)
    assert staking.stakeOf(silent) == stakes[silent] - params.slash_missed
    assert market.taskPhase(task_id) == 6
    assert market.taskResult(task_id) == (6, ZERO_BYTES32)
    assert market.escrowed() == 0


def test_nobody_revealed(market, staking, create_task, members, travel_to, requester, params):
    fee = 10**15
    task_id = create_task(size=3, quorum=2, fee=fee)
    travel_to(market.getTask(task_id).reveal_end)
    market.finalize(task_id, b"anything")
    assert events(market, "TaskFinalized")[0].status == 2
    assert len(events(market, "Slashed")) == 3
    assert market.claimable(requester) == fee
    assert all(market.reputation(m) == (0, 0, 1) for m in members(task_id))


def test_slash_is_capped_at_the_stake_and_poke_drops_the_weight(
    market, staking, owner, create_task, members, play, model_id
):
    with boa.env.prank(owner):
        market.setSlashAmounts(100 * ETHER, 100 * ETHER)
    task_id = create_task(size=5, quorum=3)
    committee = members(task_id)
    silent = committee[0]
    stake = staking.stakeOf(silent)
    treasury = staking.treasury_balance()
    play(task_id, {**dict.fromkeys(committee, DEFAULT_OUTPUT), silent: None})
    market.finalize(task_id, DEFAULT_OUTPUT)
    (ev,) = events(market, "Slashed")
    assert ev.amount == stake
    assert staking.stakeOf(silent) == 0
    assert staking.treasury_balance() == treasury + stake
    # The slash leaves the tree alone; anyone brings the weight in line.
    assert staking.weightOf(silent, model_id) == stake
    staking.poke(silent)
    assert staking.weightOf(silent, model_id) == 0


def test_zero_slash_amounts_call_no_slash(market, staking, owner, create_task, members, play):
    with boa.env.prank(owner):
        market.setSlashAmounts(0, 0)
    task_id = create_task(size=3, quorum=2)
    a, b, silent = members(task_id)
    stake = staking.stakeOf(silent)
    play(task_id, {a: DEFAULT_OUTPUT, b: DEFAULT_OUTPUT, silent: None})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert events(market, "Slashed") == []
    assert staking.stakeOf(silent) == stake
    assert market.reputation(silent) == (0, 0, 1)
    assert market.openTasks(silent) == 0


def test_votes_count_per_seat(market, staking, create_task, agents, play, params, requester):
    """A member holding two of three seats is a quorum alone: paid and slashed per seat."""
    heavy, light = agents[4].owner, agents[3].owner
    fee = 3 * 10**15 + 1
    task_id = create_task(size=3, quorum=2, fee=fee, seats=[heavy, light, heavy])
    assert market.memberState(task_id, heavy)[0] == 2
    assert market.memberState(task_id, light)[0] == 1
    assert market.openTasks(heavy) == 1
    stake = staking.stakeOf(light)
    play(task_id, {heavy: DEFAULT_OUTPUT, light: OTHER_OUTPUT})
    market.finalize(task_id, DEFAULT_OUTPUT)
    (ev,) = events(market, "Slashed")
    assert (ev.agent, ev.amount, ev.reason) == (light, params.slash_wrong, WRONG)
    assert market.claimable(heavy) == 2 * (fee // 2)
    assert market.treasury_balance() == fee - 2 * (fee // 2)
    assert market.reputation(heavy) == (1, 0, 0)
    assert market.reputation(light) == (0, 1, 0)
    assert staking.stakeOf(light) == stake - params.slash_wrong
    assert market.claimable(requester) == 0


def test_two_seats_missed_are_slashed_twice(market, staking, create_task, agents, play, params):
    heavy, light = agents[4].owner, agents[3].owner
    task_id = create_task(size=3, quorum=1 + 1, seats=[heavy, light, heavy])
    stake = staking.stakeOf(heavy)
    play(task_id, {heavy: None, light: DEFAULT_OUTPUT})
    market.finalize(task_id, b"")
    (ev,) = events(market, "Slashed")
    assert market.taskPhase(task_id) == 6  # one seat of three: no quorum
    assert (ev.agent, ev.amount, ev.reason) == (heavy, 2 * params.slash_missed, MISSED)
    assert staking.stakeOf(heavy) == stake - 2 * params.slash_missed
    assert market.reputation(heavy) == (0, 0, 1)  # one task, whatever the seats


def test_empty_output_can_be_the_accepted_result(market, create_task, members, play):
    task_id = create_task(size=3, quorum=2)
    play(task_id, dict.fromkeys(members(task_id), b""))
    market.finalize(task_id, b"")
    assert market.taskResult(task_id) == (5, keccak(b""))


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_quorum_nobody_backs_fails_after_the_grace_period(
    market, staking, create_task, members, play, travel_to, requester, params, offset
):
    """The quorum revealed a hash whose output nobody supplies (unknown, or over
    8,192 bytes): from reveal_end + grace_period, finalize(b"") fails the task."""
    fee = 10**16
    task_id = create_task(size=5, quorum=3, fee=fee)
    a, b, c, other, silent = members(task_id)
    unknown = b"an output nobody will ever show"
    play(task_id, {a: unknown, b: unknown, c: unknown, other: OTHER_OUTPUT, silent: None})
    t = market.getTask(task_id)
    assert t.reveal_end + market.grace_period() == t.reveal_end + params.grace_period
    travel_to(t.reveal_end + params.grace_period + offset)
    if offset < 0:
        with boa.reverts("market: output does not match the accepted result"):
            market.finalize(task_id, b"")
        return
    with boa.reverts("market: output does not match the accepted result"):
        market.finalize(task_id, OTHER_OUTPUT)  # only an empty output, after the grace period
    stakes = {m: staking.stakeOf(m) for m in members(task_id)}
    refund = market.claimable(requester)
    market.finalize(task_id, b"")
    (fin,) = events(market, "TaskFinalized")
    assert (fin.status, fin.result_hash, fin.output) == (2, ZERO_BYTES32, b"")
    slashed = {(ev.agent, ev.amount, ev.reason) for ev in events(market, "Slashed")}
    assert slashed == {
        (a, params.slash_wrong, WRONG),
        (b, params.slash_wrong, WRONG),
        (c, params.slash_wrong, WRONG),
        (silent, params.slash_missed, MISSED),
    }
    assert staking.stakeOf(other) == stakes[other]
    assert market.reputation(other) == (0, 0, 0)
    assert market.reputation(a) == (0, 1, 0)
    assert market.claimable(requester) == refund + fee
    assert market.escrowed() == 0
    assert market.taskResult(task_id) == (6, ZERO_BYTES32)
    assert all(market.openTasks(m) == 0 for m in members(task_id))


def test_the_output_still_wins_after_the_grace_period(
    market, create_task, members, play, travel_to, params
):
    task_id = create_task(size=3, quorum=2)
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    travel_to(market.getTask(task_id).reveal_end + 10 * params.grace_period)
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.taskResult(task_id) == (5, H)


def test_slashes_and_windows_are_the_tasks_own(
    market, staking, owner, create_task, members, play, params
):
    task_id = create_task(size=3, quorum=2)
    t = market.getTask(task_id)
    with boa.env.prank(owner):
        market.setSlashAmounts(7 * params.slash_missed, 7 * params.slash_wrong)
        market.setWindows(300, 400)
    assert market.getTask(task_id) == t
    a, b, silent = members(task_id)
    stake = staking.stakeOf(silent)
    play(task_id, {a: DEFAULT_OUTPUT, b: DEFAULT_OUTPUT, silent: None})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert staking.stakeOf(silent) == stake - params.slash_missed


def test_reverts_when_output_does_not_match(market, create_task, members, play):
    task_id = create_task(size=3, quorum=2)
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    with boa.reverts("market: output does not match the accepted result"):
        market.finalize(task_id, OTHER_OUTPUT)
    with boa.reverts("market: output does not match the accepted result"):
        market.finalize(task_id, b"")


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_ready_at_reveal_end(market, create_task, members, commit_as, reveal_as, travel_to, offset):
    task_id = create_task(size=3, quorum=2)
    a, b, _silent = members(task_id)
    salts = {m: commit_as(task_id, m) for m in (a, b)}
    travel_to(market.getTask(task_id).commit_end)
    for m in (a, b):
        reveal_as(task_id, m, salts[m])
    travel_to(market.getTask(task_id).reveal_end + offset)
    if offset < 0:
        assert market.taskPhase(task_id) == 3
        with boa.reverts("market: task not ready to finalize"):
            market.finalize(task_id, DEFAULT_OUTPUT)
    else:
        assert market.taskPhase(task_id) == 4
        market.finalize(task_id, DEFAULT_OUTPUT)
        assert market.taskPhase(task_id) == 5


def test_ready_as_soon_as_everyone_revealed(market, create_task, members, commit_as, reveal_as):
    task_id = create_task(size=3, quorum=2)
    committee = members(task_id)
    salts = {m: commit_as(task_id, m) for m in committee}
    for m in committee[:2]:
        reveal_as(task_id, m, salts[m])
    with boa.reverts("market: task not ready to finalize"):
        market.finalize(task_id, DEFAULT_OUTPUT)
    reveal_as(task_id, committee[2], salts[committee[2]])
    assert market.taskPhase(task_id) == 4
    market.finalize(task_id, DEFAULT_OUTPUT)


def test_reverts_in_the_commit_phase(market, task):
    with boa.reverts("market: task not ready to finalize"):
        market.finalize(task, DEFAULT_OUTPUT)


def test_reverts_twice(market, finalize_succeeded_task, finalize_failed_task):
    for task_id in (finalize_succeeded_task(), finalize_failed_task()):
        with boa.reverts("market: task already finalized"):
            market.finalize(task_id, DEFAULT_OUTPUT)


def test_reverts_unknown_task(market):
    with boa.reverts("market: unknown task"):
        market.finalize(1, DEFAULT_OUTPUT)


def test_reverts_for_a_waiting_task(market, create_task):
    child = create_task(parents=(create_task(),))
    waiting = create_task(activate=False)
    boa.env.time_travel(seconds=10_000)
    for task_id in (child, waiting):
        with boa.reverts("market: task not active"):
            market.finalize(task_id, b"")


def test_anyone_finalizes_even_while_paused(market, owner, stranger, create_task, members, play):
    task_id = create_task(size=3, quorum=2)
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    with boa.env.prank(owner):
        market.pause()
    with boa.env.prank(stranger):
        market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.taskPhase(task_id) == 5


def test_quorum_of_one(market, create_task, members, play, requester):
    task_id = create_task(size=1, quorum=1, fee=10**14)
    (m,) = members(task_id)
    play(task_id, {m: OTHER_OUTPUT})
    market.finalize(task_id, OTHER_OUTPUT)
    assert market.taskResult(task_id) == (5, keccak(OTHER_OUTPUT))
    assert market.claimable(m) == 10**14


def test_split_between_two_agreeing_of_three(market, create_task, members, play):
    fee = 10**15 + 1
    task_id = create_task(size=3, quorum=2, fee=fee)
    a, b, wrong = members(task_id)
    play(task_id, {a: DEFAULT_OUTPUT, b: DEFAULT_OUTPUT, wrong: OTHER_OUTPUT})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.claimable(a) == market.claimable(b) == fee // 2
    assert market.treasury_balance() == 1
