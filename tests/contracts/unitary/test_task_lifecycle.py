"""A task's whole life with direct calls, as a user sees it."""

import boa
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT


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
