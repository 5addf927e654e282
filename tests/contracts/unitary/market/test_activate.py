import boa

from tests.contracts.unitary.helpers import ZERO_BYTES32, events
from tests.contracts.utils.protocol import ETHER


def _assert_failed_at_activation(market, child, requester, fee, claim_before, escrow_before):
    (fin,) = events(market, "TaskFinalized")
    assert (fin.task_id, fin.status, fin.result_hash, fin.output) == (child, 2, ZERO_BYTES32, b"")
    assert events(market, "TaskActivated") == []
    assert market.taskPhase(child) == 6
    assert market.taskResult(child) == (6, ZERO_BYTES32)
    assert market.committeeOf(child) == []
    assert market.claimable(requester) == claim_before + fee
    assert market.escrowed() == escrow_before - fee


def test_activates_once_parents_succeeded(
    market, create_task, finalize_succeeded_task, stranger, params, agents
):
    parent = finalize_succeeded_task()
    child = create_task(size=5, quorum=3, parents=(parent,))
    now = boa.env.timestamp
    with boa.env.prank(stranger):  # anyone
        market.activate(child)
    (ev,) = events(market, "TaskActivated")
    assert ev.task_id == child
    committee = [str(a) for a in ev.committee]
    assert set(committee) == {a.owner for a in agents}
    assert [str(a) for a in market.committeeOf(child)] == committee

    t = market.getTask(child)
    assert t.phase == 2
    assert t.start == now
    assert t.commit_end == now + params.commit_window
    assert t.reveal_end == now + params.commit_window + params.reveal_window
    for m in committee:
        assert market.openTasks(m) == 1


def test_reverts_until_every_parent_is_finalized(market, create_task, finalize_succeeded_task):
    done = finalize_succeeded_task()
    pending = create_task()
    child = create_task(parents=(done, pending))
    with boa.reverts("market: parents not finalized"):
        market.activate(child)
    boa.env.time_travel(seconds=market.commit_window() + market.reveal_window())
    market.finalize(pending, b"")
    market.activate(child)
    # pending failed (nobody revealed), so the child fails too.
    assert market.taskPhase(child) == 6


def test_a_waiting_parent_is_not_finalized(market, create_task, finalize_succeeded_task):
    root = finalize_succeeded_task()
    middle = create_task(parents=(root,))
    leaf = create_task(parents=(middle,))
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
    market.activate(child)
    _assert_failed_at_activation(market, child, requester, fee, claim, escrow)


def test_fails_when_too_few_agents_are_eligible(
    market, staking, create_task, finalize_succeeded_task, agents, requester
):
    parent = finalize_succeeded_task()
    fee = 10**15
    child = create_task(size=5, quorum=3, parents=(parent,), fee=fee)
    with boa.env.prank(agents[0].owner):
        staking.requestUnstake(ETHER)  # 1 ETH agent: no longer eligible
    claim, escrow = market.claimable(requester), market.escrowed()
    market.activate(child)
    _assert_failed_at_activation(market, child, requester, fee, claim, escrow)
    assert all(market.openTasks(a.owner) == 0 for a in agents)


def test_fails_when_the_model_was_deprecated(
    market, registry, create_task, finalize_succeeded_task, model_id, publisher, requester
):
    parent = finalize_succeeded_task()
    fee = 10**15
    child = create_task(parents=(parent,), fee=fee)
    with boa.env.prank(publisher):
        registry.deprecateModel(model_id)
    claim, escrow = market.claimable(requester), market.escrowed()
    market.activate(child)
    _assert_failed_at_activation(market, child, requester, fee, claim, escrow)


def test_reverts_unknown_task(market):
    with boa.reverts("market: unknown task"):
        market.activate(1)


def test_reverts_for_a_task_without_parents(market, task):
    with boa.reverts("market: task not waiting"):
        market.activate(task)


def test_reverts_when_activated_twice(market, create_task, finalize_succeeded_task):
    child = create_task(parents=(finalize_succeeded_task(),))
    market.activate(child)
    with boa.reverts("market: task not waiting"):
        market.activate(child)


def test_reverts_after_failing_at_activation(market, create_task, finalize_failed_task):
    child = create_task(parents=(finalize_failed_task(),))
    market.activate(child)
    with boa.reverts("market: task already finalized"):
        market.activate(child)


def test_allowed_while_paused(market, owner, create_task, finalize_succeeded_task):
    child = create_task(parents=(finalize_succeeded_task(),))
    with boa.env.prank(owner):
        market.pause()
    market.activate(child)
    assert market.taskPhase(child) == 2


def test_windows_are_those_in_force_at_activation(
    market, owner, create_task, finalize_succeeded_task
):
    child = create_task(parents=(finalize_succeeded_task(),))
    with boa.env.prank(owner):
        market.setWindows(30, 40)
    now = boa.env.timestamp
    market.activate(child)
    t = market.getTask(child)
    assert t.commit_end == now + 30
    assert t.reveal_end == now + 30 + 40
