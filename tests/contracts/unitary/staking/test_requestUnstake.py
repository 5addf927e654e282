import boa

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER


def test_pending_amount_stops_counting_at_once(staking, model_id, agents, params):
    agent = agents[2].owner  # 3 ETH
    total_weight = staking.totalWeight(model_id)
    with boa.env.prank(agent):
        staking.requestUnstake(ETHER)
    unbond_at = boa.env.timestamp + params.unbonding_period
    (req,) = events(staking, "UnstakeRequested")
    assert (req.agent, req.amount, req.pending_unstake, req.unbond_at) == (
        agent,
        ETHER,
        ETHER,
        unbond_at,
    )
    (changed,) = events(staking, "WeightChanged")
    assert changed.weight == 2 * ETHER

    assert staking.stakeOf(agent) == 3 * ETHER  # still staked and slashable
    assert staking.pendingUnstakeOf(agent) == ETHER
    assert staking.unbondAt(agent) == unbond_at
    assert staking.weightOf(agent, model_id) == 2 * ETHER
    assert staking.totalWeight(model_id) == total_weight - ETHER


def test_free_stake_below_minimum_leaves_the_draw(staking, model_id, agents, params):
    agent = agents[0].owner  # 1 ETH
    count = staking.eligibleCount(model_id)
    with boa.env.prank(agent):
        staking.requestUnstake(ETHER - params.min_stake)
    assert staking.weightOf(agent, model_id) == params.min_stake  # exactly the minimum
    with boa.env.prank(agent):
        staking.requestUnstake(1)
    assert staking.weightOf(agent, model_id) == 0
    assert staking.eligibleCount(model_id) == count - 1
    assert agent not in [str(a) for a in staking.agentsForModel(model_id)]


def test_new_request_restarts_the_period_for_everything(staking, agents, params):
    agent = agents[1].owner
    with boa.env.prank(agent):
        staking.requestUnstake(ETHER // 2)
        boa.env.time_travel(seconds=100)
        staking.requestUnstake(ETHER // 4)
    assert events(staking, "UnstakeRequested")[0].pending_unstake == 3 * ETHER // 4
    assert staking.pendingUnstakeOf(agent) == 3 * ETHER // 4
    assert staking.unbondAt(agent) == boa.env.timestamp + params.unbonding_period


def test_whole_free_stake_and_not_a_wei_more(staking, agents):
    agent = agents[1].owner  # 2 ETH
    with boa.env.prank(agent):
        staking.requestUnstake(ETHER)
        with boa.reverts("staking: amount exceeds free stake"):
            staking.requestUnstake(ETHER + 1)
        staking.requestUnstake(ETHER)
        with boa.reverts("staking: amount exceeds free stake"):
            staking.requestUnstake(1)
    assert staking.pendingUnstakeOf(agent) == 2 * ETHER


def test_reverts_zero_amount(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: zero amount"):
        staking.requestUnstake(0)


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an agent"):
        staking.requestUnstake(1)


def test_signer_cannot_unstake(staking, agents):
    signer = agents[0].signer.address
    with boa.env.prank(signer), boa.reverts("staking: not an agent"):
        staking.requestUnstake(1)


def test_allowed_while_paused(staking, owner, agents):
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(agents[0].owner):
        staking.requestUnstake(ETHER // 2)
    assert staking.pendingUnstakeOf(agents[0].owner) == ETHER // 2
