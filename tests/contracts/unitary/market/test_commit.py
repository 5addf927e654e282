import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import mine
from tests.contracts.unitary.helpers import ZERO_BYTES32, events
from tests.contracts.utils.draws import members_of
from tests.contracts.utils.protocol import commitment, new_salt


def _c(task_id, member):
    return commitment(task_id, member, keccak(b"out"), new_salt())


def test_owner_commits(market, task, members):
    member = members(task)[1]
    with boa.env.prank(member):
        market.commit(task, _c(task, member))
    (ev,) = events(market, "Committed")
    assert (ev.task_id, ev.agent) == (task, member)
    assert market.memberState(task, member) == (1, True, False, ZERO_BYTES32)
    assert [m.committed for m in market.getTask(task).members] == [False, True, False]
    assert market.taskPhase(task) == 2


def test_signer_commits_for_its_agent(market, task, members, by_owner):
    member = by_owner(members(task)[0])
    with boa.env.prank(member.signer.address):
        market.commit(task, _c(task, member.owner))
    (ev,) = events(market, "Committed")
    assert ev.agent == member.owner
    assert market.memberState(task, member.owner)[1] is True


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_commit_window_boundary(market, task, members, travel_to, offset):
    commit_end = market.getTask(task).commit_end
    travel_to(commit_end + offset)
    member = members(task)[0]
    with boa.env.prank(member):
        if offset < 0:
            market.commit(task, _c(task, member))
            assert market.memberState(task, member)[1] is True
        else:
            with boa.reverts("market: commit phase closed"):
                market.commit(task, _c(task, member))


def test_last_commit_brings_the_reveal_phase_forward(market, task, members, params):
    start = market.getTask(task).start
    first, second, last = members(task)
    for m in (first, second):
        with boa.env.prank(m):
            market.commit(task, _c(task, m))
    assert market.getTask(task).commit_end == start + params.commit_window
    boa.env.time_travel(seconds=5)
    with boa.env.prank(last):
        market.commit(task, _c(task, last))
    t = market.getTask(task)
    assert t.commit_end == start + 5
    assert t.reveal_end == start + 5 + params.reveal_window
    assert t.phase == 3


def test_reverts_for_a_stranger(market, task, stranger):
    with boa.env.prank(stranger), boa.reverts("market: caller is not an agent or signer"):
        market.commit(task, _c(task, stranger))


def test_reverts_for_an_agent_off_the_committee(market, task, outsiders):
    outsider = outsiders(task)[0]
    for sender in (outsider.owner, outsider.signer.address):
        with boa.env.prank(sender), boa.reverts("market: not a committee member"):
            market.commit(task, _c(task, outsider.owner))


def test_reverts_unknown_task(market, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("market: unknown task"):
        market.commit(1, _c(1, agents[0].owner))


def test_reverts_for_a_waiting_task(market, create_task, agents):
    parent = create_task()
    child = create_task(parents=(parent,))
    mine(2)
    with boa.env.prank(agents[0].owner), boa.reverts("market: task not active"):
        market.commit(child, _c(child, agents[0].owner))


def test_reverts_before_the_draw_block_is_mined(market, create_task, agents):
    task_id = create_task(activate=False)
    with boa.env.prank(agents[0].owner), boa.reverts("market: task not active"):
        market.commit(task_id, _c(task_id, agents[0].owner))


def test_a_members_commit_seats_the_committee(market, create_task, params):
    task_id = create_task(activate=False)
    mine(2)
    seats = [str(a) for a in market.previewCommittee(task_id)]
    member = seats[0]
    now = boa.env.timestamp
    with boa.env.prank(member):
        market.commit(task_id, _c(task_id, member))
    assert [ev.task_id for ev in events(market, "TaskActivated")] == [task_id]
    assert [(ev.task_id, ev.agent) for ev in events(market, "Committed")] == [(task_id, member)]
    assert [str(a) for a in market.committeeOf(task_id)] == seats
    assert market.getTask(task_id).commit_end == now + params.commit_window
    assert market.memberState(task_id, member)[1] is True


def test_an_outsiders_commit_seats_nothing(market, create_task, agents):
    task_id = create_task(activate=False)
    mine(2)
    seated = set(members_of(market.previewCommittee(task_id)))
    outsider = next((a.owner for a in agents if a.owner not in seated), None)
    if outsider is None:
        pytest.skip("every agent holds a seat in this draw")
    with boa.env.prank(outsider), boa.reverts("market: not a committee member"):
        market.commit(task_id, _c(task_id, outsider))
    assert market.taskPhase(task_id) == 1


def test_a_stale_draw_is_not_seated_by_a_commit(market, create_task):
    task_id = create_task(activate=False)
    mine(2)
    member = str(market.previewCommittee(task_id)[0])
    mine(300)
    assert market.previewCommittee(task_id) == []
    # Out of reach: only `activate` fixes a new draw block.
    with boa.env.prank(member), boa.reverts("market: task not active"):
        market.commit(task_id, _c(task_id, member))


def test_reverts_after_finalize(market, finalize_failed_task, members):
    task_id = finalize_failed_task()
    member = members(task_id)[0]
    with boa.env.prank(member), boa.reverts("market: task already finalized"):
        market.commit(task_id, _c(task_id, member))


def test_reverts_empty_commitment(market, task, members):
    with boa.env.prank(members(task)[0]), boa.reverts("market: empty commitment"):
        market.commit(task, ZERO_BYTES32)


def test_reverts_second_commit(market, task, members, by_owner):
    member = members(task)[0]
    with boa.env.prank(member):
        market.commit(task, _c(task, member))
        with boa.reverts("market: already committed"):
            market.commit(task, _c(task, member))
    with boa.env.prank(by_owner(member).signer.address), boa.reverts("market: already committed"):
        market.commit(task, _c(task, member))


def test_commit_after_everyone_committed_is_closed(market, task, members):
    committee = members(task)
    for m in committee:
        with boa.env.prank(m):
            market.commit(task, _c(task, m))
    with boa.env.prank(committee[0]), boa.reverts("market: commit phase closed"):
        market.commit(task, _c(task, committee[0]))


def test_allowed_while_paused(market, task, members, owner):
    with boa.env.prank(owner):
        market.pause()
    member = members(task)[0]
    with boa.env.prank(member):
        market.commit(task, _c(task, member))
    assert market.memberState(task, member)[1] is True
