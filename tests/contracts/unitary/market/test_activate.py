import boa
import pytest

from deployments.boa_chain import block_number, mine, to_next_epoch
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import ZERO_BYTES32, events
from tests.contracts.utils.draws import committee_at


def _assert_failed_at_activation(market, child, requester, fee, claim_before, escrow_before):
    (fin,) = events(market, "TaskFinalized")
    assert (fin.task_id, fin.status, fin.result_hash, fin.output) == (child, 2, ZERO_BYTES32, b"")
    assert events(market, "TaskActivated") == []
    assert market.taskPhase(child) == 6
    assert market.taskResult(child) == (6, ZERO_BYTES32)
    assert market.committeeOf(child) == []
    assert market.claimable(requester) == claim_before + fee
    assert market.escrowed() == escrow_before - fee


def test_seats_the_committee_of_its_draw_block(market, staking, create_task, stranger, params):
    task_id = create_task(activate=False)
    draw_block = market.getTask(task_id).draw_block
    assert draw_block == block_number() + 1
    mine(2)
    expected = committee_at(staking, market.getTask(task_id).model_id, 3, task_id, draw_block)
    assert [str(a) for a in market.previewCommittee(task_id)] == expected
    now = boa.env.timestamp
    with boa.env.prank(stranger):  # anyone
        market.activate(task_id)
    (ev,) = events(market, "TaskActivated")
    assert ev.task_id == task_id
    assert [str(a) for a in ev.committee] == expected
    assert [str(a) for a in market.committeeOf(task_id)] == expected
    t = market.getTask(task_id)
    assert t.phase == 2
    assert t.start == now
    assert t.commit_end == now + params.commit_window
    assert t.reveal_end == now + params.commit_window + params.reveal_window
    for m in set(expected):
        assert market.openTasks(m) == 1


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_draw_block_boundary(market, create_task, offset):
    """Activation needs the draw block mined: block.number > draw_block."""
    task_id = create_task(activate=False)
    draw_block = market.getTask(task_id).draw_block
    mine(draw_block + 1 + offset - block_number())
    if offset < 0:
        with boa.reverts("market: draw block not mined"):
            market.activate(task_id)
        assert market.previewCommittee(task_id) == []
        return
    market.activate(task_id)
    assert market.taskPhase(task_id) == 2


def test_the_committee_does_not_depend_on_who_activates_or_when(
    market, create_task, stranger, requester
):
    task_id = create_task(activate=False)
    mine(2)
    early = market.previewCommittee(task_id)
    mine(200)
    assert market.previewCommittee(task_id) == early
    with boa.env.prank(requester):
        market.activate(task_id)
    assert market.committeeOf(task_id) == early


@pytest.mark.parametrize("age", [256, 257])
def test_a_draw_block_out_of_reach_is_replaced(market, create_task, age):
    """blockhash reads 256 blocks back: an older draw block gets a new one."""
    task_id = create_task(activate=False)
    draw_block = market.getTask(task_id).draw_block
    mine(draw_block + age - block_number())
    market.activate(task_id)
    if age == 256:
        assert market.taskPhase(task_id) == 2
        return
    (ev,) = events(market, "TaskRedrawn")
    assert (ev.task_id, ev.draw_block) == (task_id, block_number() + 1)
    assert events(market, "TaskActivated") == []
    assert market.taskPhase(task_id) == 1
    assert market.getTask(task_id).draw_block == block_number() + 1
    with boa.reverts("market: draw block not mined"):
        market.activate(task_id)
    mine(2)
    market.activate(task_id)
    assert market.taskPhase(task_id) == 2


def test_activates_once_parents_succeeded(
    market, staking, create_task, finalize_succeeded_task, stranger, agents
):
    parent = finalize_succeeded_task()
    child = create_task(size=5, quorum=3, parents=(parent,))
    mine(2)
    with boa.env.prank(stranger):
        market.activate(child)
    (ev,) = events(market, "TaskActivated")
    assert len(ev.committee) == 5
    assert {str(a) for a in ev.committee} <= {a.owner for a in agents}
    assert market.taskPhase(child) == 2


def test_the_draw_block_follows_the_last_parent(market, staking, create_task, members, play):
    """A child created before its parent finishes draws from the block after the
    parent's finalization, whose hash did not exist while the parent was open."""
    parent = create_task()
    child = create_task(parents=(parent,))
    created_draw = market.getTask(child).draw_block
    play(parent, dict.fromkeys(members(parent), DEFAULT_OUTPUT))
    mine(10)
    market.finalize(parent, DEFAULT_OUTPUT)
    final_block = block_number()
    assert final_block + 1 > created_draw
    assert market.getTask(child).draw_block == final_block + 1
    with boa.reverts("market: draw block not mined"):
        market.activate(child)
    mine(2)
    expected = committee_at(staking, market.getTask(child).model_id, 3, child, final_block + 1)
    market.activate(child)
    assert [str(a) for a in market.committeeOf(child)] == expected
    assert market.getTask(child).draw_block == final_block + 1


def test_reverts_until_every_parent_is_finalized(market, create_task, finalize_succeeded_task):
    done = finalize_succeeded_task()
    pending = create_task()
    child = create_task(parents=(done, pending))
    mine(2)
    with boa.reverts("market: parents not finalized"):
        market.activate(child)
    assert market.previewCommittee(child) == []
    boa.env.time_travel(seconds=market.commit_window() + market.reveal_window())
    market.finalize(pending, b"")
    market.activate(child)
    # pending failed (nobody revealed), so the child fails too.
    assert market.taskPhase(child) == 6


def test_a_waiting_parent_is_not_finalized(market, create_task, finalize_succeeded_task):
    root = finalize_succeeded_task()
    middle = create_task(parents=(root,))
    leaf = create_task(parents=(middle,))
    mine(2)
    with boa.reverts("market: parents not finalized"):
        market.activate(leaf)


def test_fails_when_a_parent_failed(
    market, create_task, finalize_failed_task, finalize_succeeded_task, requester
):
    good = finalize_succeeded_task()
    bad = finalize_failed_task()
    fee = 7 * 10**14
    child = create_task(parents=(good, bad), fee=fee)
    claim, escrow = market.claimable(requester), market.escrowed()
    market.activate(child)  # no randomness needed: it fails at once
    _assert_failed_at_activation(market, child, requester, fee, claim, escrow)


def test_fails_when_no_agent_has_weight(
    market, staking, create_task, members, play, make_agent, other_model_id, requester
):
    lone = make_agent(models=[other_model_id])
    to_next_epoch()
    parent = create_task()
    fee = 10**15
    child = create_task(parents=(parent,), fee=fee, model=other_model_id)
    with boa.env.prank(lone.owner):
        staking.deregister()
    play(parent, dict.fromkeys(members(parent), DEFAULT_OUTPUT))
    to_next_epoch()  # the deregistration counts for draw blocks from here
    market.finalize(parent, DEFAULT_OUTPUT)
    mine(2)
    claim, escrow = market.claimable(requester), market.escrowed()
    market.activate(child)
    _assert_failed_at_activation(market, child, requester, fee, claim, escrow)
    assert market.openTasks(lone.owner) == 0


def test_a_deprecated_model_still_runs_its_tasks(
    market, registry, create_task, model_id, publisher
):
    task_id = create_task(activate=False)
    with boa.env.prank(publisher):
        registry.deprecateModel(model_id)
    mine(2)
    market.activate(task_id)
    assert market.taskPhase(task_id) == 2


def test_reverts_unknown_task(market):
    with boa.reverts("market: unknown task"):
        market.activate(1)


def test_reverts_for_a_seated_task(market, task):
    with boa.reverts("market: task not waiting"):
        market.activate(task)


def test_reverts_after_failing_at_activation(market, create_task, finalize_failed_task):
    child = create_task(parents=(finalize_failed_task(),))
    market.activate(child)
    with boa.reverts("market: task already finalized"):
        market.activate(child)


def test_allowed_while_paused(market, owner, create_task):
    task_id = create_task(activate=False)
    with boa.env.prank(owner):
        market.pause()
    mine(2)
    market.activate(task_id)
    assert market.taskPhase(task_id) == 2


def test_windows_are_those_of_the_tasks_creation(market, owner, create_task, params):
    task_id = create_task(activate=False)
    with boa.env.prank(owner):
        market.setWindows(30, 40)
    mine(2)
    now = boa.env.timestamp
    market.activate(task_id)
    t = market.getTask(task_id)
    assert t.commit_end == now + params.commit_window
    assert t.reveal_end == now + params.commit_window + params.reveal_window
    later = create_task()
    t = market.getTask(later)
    assert t.reveal_end - t.start == 70
