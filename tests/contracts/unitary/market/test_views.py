import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import mine
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import ZERO_BYTES32

H = keccak(DEFAULT_OUTPUT)


def test_task_phase_walks_through_all_seven(
    market, create_task, members, commit_as, reveal_as, travel_to, finalize_failed_task
):
    assert market.taskPhase(1) == 0  # unknown
    parent = create_task()
    child = create_task(parents=(parent,))
    assert market.taskPhase(child) == 1  # waiting for parents
    assert market.taskPhase(parent) == 2  # commit

    committee = members(parent)
    salts = {m: commit_as(parent, m) for m in committee[:2]}
    assert market.taskPhase(parent) == 2
    travel_to(market.getTask(parent).commit_end)
    assert market.taskPhase(parent) == 3  # reveal
    for m in committee[:2]:
        reveal_as(parent, m, salts[m])
    assert market.taskPhase(parent) == 3
    travel_to(market.getTask(parent).reveal_end)
    assert market.taskPhase(parent) == 4  # ready to finalize
    market.finalize(parent, DEFAULT_OUTPUT)
    assert market.taskPhase(parent) == 5  # succeeded
    assert market.taskPhase(finalize_failed_task()) == 6  # failed
    waiting = create_task(activate=False)
    assert market.taskPhase(waiting) == 1  # waiting for its draw block
    mine(2)
    market.activate(child)
    assert market.taskPhase(child) == 2


@pytest.mark.parametrize("task_id", [0, 1, 2**64, 2**256 - 1])
def test_views_of_unknown_tasks_do_not_revert(market, stranger, task_id):
    assert market.taskPhase(task_id) == 0
    assert market.taskResult(task_id) == (0, ZERO_BYTES32)
    assert market.committeeOf(task_id) == []
    assert market.previewCommittee(task_id) == []
    assert market.memberState(task_id, stranger) == (0, False, False, ZERO_BYTES32)
    with boa.reverts("market: unknown task"):
        market.getTask(task_id)


def test_account_views_of_strangers_are_zero(market, stranger):
    assert market.claimable(stranger) == 0
    assert market.openTasks(stranger) == 0
    assert market.reputation(stranger) == (0, 0, 0)


def test_member_state(market, task, members, outsiders, commit_as, reveal_as):
    committee = members(task)
    assert market.memberState(task, committee[0]) == (1, False, False, ZERO_BYTES32)
    assert market.memberState(task, outsiders(task)[0].owner) == (0, False, False, ZERO_BYTES32)
    salts = {m: commit_as(task, m) for m in committee}
    assert market.memberState(task, committee[0]) == (1, True, False, ZERO_BYTES32)
    reveal_as(task, committee[0], salts[committee[0]])
    assert market.memberState(task, committee[0]) == (1, True, True, H)
    # A committed but unrevealed member shows no hash (its commitment stays private).
    assert market.memberState(task, committee[1])[3] == ZERO_BYTES32
    assert [m.result_hash for m in market.getTask(task).members] == [H, ZERO_BYTES32, ZERO_BYTES32]


def test_members_with_several_seats(market, create_task, agents):
    heavy, light = agents[4].owner, agents[2].owner
    task_id = create_task(size=5, quorum=3, seats=[light, heavy, heavy, light, heavy])
    assert [str(a) for a in market.committeeOf(task_id)] == [light, heavy, heavy, light, heavy]
    t = market.getTask(task_id)
    assert [(str(m.agent), m.seats) for m in t.members] == [(light, 2), (heavy, 3)]
    assert market.memberState(task_id, heavy)[0] == 3
    assert market.openTasks(heavy) == 1


def test_member_state_of_a_waiting_task(market, create_task, agents):
    child = create_task(parents=(create_task(),))
    assert market.memberState(child, agents[0].owner) == (0, False, False, ZERO_BYTES32)


def test_preview_follows_the_task(market, create_task, members, play, finalize_failed_task):
    task_id = create_task(activate=False)
    assert market.previewCommittee(task_id) == []  # draw block not mined
    mine(2)
    preview = market.previewCommittee(task_id)
    assert len(preview) == 3
    market.activate(task_id)
    assert market.previewCommittee(task_id) == market.committeeOf(task_id) == preview
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.previewCommittee(task_id) == preview
    child = create_task(parents=(finalize_failed_task(),))
    market.activate(child)  # failed at activation: never seated
    assert market.previewCommittee(child) == []


def test_task_count_and_escrow(market, create_task, finalize_succeeded_task):
    create_task(fee=10**15)
    create_task(fee=2 * 10**15)
    assert market.task_count() == 2
    assert market.escrowed() == 3 * 10**15
    finalize_succeeded_task(fee=10**15)
    assert market.task_count() == 3
    assert market.escrowed() == 3 * 10**15


def test_get_task_of_a_finalized_task(market, finalize_succeeded_task, members, requester, params):
    task_id = finalize_succeeded_task(fee=10**15)
    t = market.getTask(task_id)
    assert t.requester == requester
    assert t.fee == 10**15
    assert t.phase == 5
    assert t.result_hash == H
    assert [(str(m.agent), m.seats, m.committed, m.revealed, m.result_hash) for m in t.members] == [
        (m, 1, True, True, H) for m in members(task_id)
    ]
    assert t.reveal_end > t.commit_end >= t.start > 0
    assert t.draw_block < t.start  # a block number, not a time
