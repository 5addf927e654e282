import boa

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER


def test_weights_follow_a_raised_min_stake_after_a_poke(staking, owner, model_id, agents, stranger):
    small = agents[0].owner  # 1 ETH
    with boa.env.prank(owner):
        staking.setMinStake(2 * ETHER)
    # Stale until recomputed.
    assert staking.weightOf(small, model_id) == ETHER
    with boa.env.prank(stranger):
        staking.poke(small)
    (changed,) = events(staking, "WeightChanged")
    assert (changed.agent, changed.model_id, changed.weight) == (small, model_id, 0)
    assert staking.weightOf(small, model_id) == 0
    assert staking.eligibleCount(model_id) == 4
    assert staking.agentInfo(small).weight == 0


def test_poke_without_change_emits_nothing(staking, agents):
    staking.poke(agents[0].owner)
    assert events(staking, "WeightChanged") == []


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.reverts("staking: not an agent"):
        staking.poke(stranger)
