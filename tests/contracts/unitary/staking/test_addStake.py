import boa

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER

MAX_STAKE = 2**80 - 1


def test_adds_to_stake_and_weight(staking, model_id, agents):
    agent = agents[0].owner
    stake = staking.stakeOf(agent)
    total = staking.total_staked()
    weight = staking.totalWeight(model_id)
    with boa.env.prank(agent):
        staking.addStake(value=ETHER // 2)
    (added,) = events(staking, "StakeAdded")
    assert (added.agent, added.amount, added.stake) == (agent, ETHER // 2, stake + ETHER // 2)
    (changed,) = events(staking, "WeightChanged")
    assert (changed.agent, changed.model_id, changed.weight) == (
        agent,
        model_id,
        stake + ETHER // 2,
    )
    assert staking.stakeOf(agent) == stake + ETHER // 2
    assert staking.weightOf(agent, model_id) == stake + ETHER // 2
    assert staking.totalWeight(model_id) == weight + ETHER // 2
    assert staking.total_staked() == total + ETHER // 2


def test_topping_up_restores_eligibility(staking, model_id, agents, params):
    agent = agents[0].owner  # 1 ETH
    with boa.env.prank(agent):
        staking.requestUnstake(ETHER - params.min_stake + 1)
        assert staking.weightOf(agent, model_id) == 0
        staking.addStake(value=1)
    assert staking.weightOf(agent, model_id) == params.min_stake


def test_reverts_zero_amount(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: zero amount"):
        staking.addStake()


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an active agent"):
        staking.addStake(value=ETHER)


def test_reverts_for_deregistered_agent(staking, agents):
    with boa.env.prank(agents[0].owner):
        staking.deregister()
        with boa.reverts("staking: not an active agent"):
            staking.addStake(value=ETHER)


def test_reverts_stake_too_large(staking, agents):
    agent = agents[0].owner
    room = MAX_STAKE - staking.stakeOf(agent)
    boa.env.set_balance(agent, 2 * MAX_STAKE)
    with boa.env.prank(agent):
        with boa.reverts("staking: stake too large"):
            staking.addStake(value=room + 1)
        staking.addStake(value=room)
    assert staking.stakeOf(agent) == MAX_STAKE


def test_reverts_when_paused(staking, owner, agents):
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(agents[0].owner), boa.reverts("pausable: contract is paused"):
        staking.addStake(value=ETHER)
