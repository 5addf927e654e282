"""A task's whole life with direct calls, as a user sees it."""

import boa
from eth_utils import keccak

from deployments.boa_chain import block_number, mine
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.draws import members_of
from tests.contracts.utils.protocol import commitment, new_salt


def test_honest_committee_is_paid_and_nobody_slashed(market, staking, create_task, play):
    task_id = create_task(size=3, quorum=2, fee=3 * 10**15)
    committee = [str(a) for a in market.committeeOf(task_id)]
    assert len(set(committee)) == 3
    stakes = {m: staking.stakeOf(m) for m in committee}

    play(task_id, {m: DEFAULT_OUTPUT for m in committee})
    market.finalize(task_id, DEFAULT_OUTPUT)

    assert market.taskPhase(task_id) == 5
    assert market.taskResult(task_id) == (5, keccak(DEFAULT_OUTPUT))
    for m in committee:
        assert market.claimable(m) == 10**15
        assert staking.stakeOf(m) == stakes[m]
        assert market.reputation(m) == (1, 0, 0)
        assert market.openTasks(m) == 0
    assert market.escrowed() == 0

    before = boa.env.get_balance(committee[0])
    with boa.env.prank(committee[0]):
        market.withdraw()
    assert boa.env.get_balance(committee[0]) == before + 10**15
    assert market.claimable(committee[0]) == 0


def test_created_in_one_block_seated_by_a_commit_and_finalized_four_blocks_later(
    market, model_id, requester, params, agents
):
    """Block N: create. N + 1: draw block mined, committee known. N + 2: a member's
    commit seats it. N + 3: reveals. N + 4: finalize."""
    with boa.env.prank(requester):
        task_id = market.createTask(model_id, b'{"text":"hi"}', 3, 2, [], value=10**15)
    created = block_number()
    (ev,) = events(market, "TaskCreated")
    assert (ev.committee_size, ev.draw_block) == (3, created + 1)
    assert market.taskPhase(task_id) == 1
    assert market.previewCommittee(task_id) == []  # the draw block's hash does not exist yet

    mine(2)
    seats = [str(a) for a in market.previewCommittee(task_id)]
    assert len(seats) == 3
    assert market.committeeOf(task_id) == []
    members = members_of(seats)
    salts = {m: new_salt() for m in members}
    for i, m in enumerate(members):
        with boa.env.prank(m):
            market.commit(task_id, commitment(task_id, m, keccak(DEFAULT_OUTPUT), salts[m]))
        if i == 0:
            (activated,) = events(market, "TaskActivated")
            assert [str(a) for a in activated.committee] == seats
    assert [str(a) for a in market.committeeOf(task_id)] == seats
    assert market.taskPhase(task_id) == 3  # everyone committed: reveals open at once

    mine(1)
    for m in members:
        with boa.env.prank(m):
            market.reveal(task_id, keccak(DEFAULT_OUTPUT), salts[m])
    assert market.taskPhase(task_id) == 4

    mine(1)
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert block_number() == created + 4
    assert market.taskPhase(task_id) == 5
    held = {m: seats.count(m) for m in members}
    for m in members:
        assert market.claimable(m) == 10**15 // 3 * held[m]
