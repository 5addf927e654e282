"""`slash` called directly, on a staking instance whose market is a plain EOA."""

import boa
import pytest

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER

MISSED, WRONG = 1, 2


def _slash(staking, market, agent, amount, task_id=7, reason=MISSED):
    with boa.env.prank(market):
        return staking.slash(agent, amount, task_id, reason)


@pytest.mark.parametrize("reason", [MISSED, WRONG])
def test_takes_stake_into_the_treasury(lone_staking, fake_market, lone_agent, model_id, reason):
    agent = lone_agent.owner
    taken = _slash(lone_staking, fake_market, agent, ETHER // 10, task_id=42, reason=reason)
    assert taken == ETHER // 10
    (ev,) = events(lone_staking, "Slashed")
    assert (ev.agent, ev.task_id, ev.amount, ev.reason) == (agent, 42, ETHER // 10, reason)
    assert lone_staking.stakeOf(agent) == ETHER - ETHER // 10
    assert lone_staking.treasury_balance() == ETHER // 10
    assert lone_staking.total_staked() == ETHER - ETHER // 10
    # The tree is left alone until someone pokes the agent.
    assert lone_staking.weightOf(agent, model_id) == ETHER
    lone_staking.poke(agent)
    assert lone_staking.weightOf(agent, model_id) == ETHER - ETHER // 10
    # The slashed ETH is still held, now owed to the treasury.
    assert boa.env.get_balance(lone_staking.address) == (
        lone_staking.total_staked() + lone_staking.treasury_balance()
    )


def test_capped_at_the_stake(lone_staking, fake_market, lone_agent, model_id):
    agent = lone_agent.owner
    taken = _slash(lone_staking, fake_market, agent, 100 * ETHER)
    assert taken == ETHER
    assert events(lone_staking, "Slashed")[0].amount == ETHER
    assert lone_staking.stakeOf(agent) == 0
    assert lone_staking.treasury_balance() == ETHER
    lone_staking.poke(agent)
    assert lone_staking.weightOf(agent, model_id) == 0
    assert lone_staking.eligibleCount(model_id) == 0
    # Nothing left: a second slash takes nothing.
    assert _slash(lone_staking, fake_market, agent, ETHER) == 0
    assert lone_staking.treasury_balance() == ETHER


def test_pending_unstake_shrinks_with_the_stake(lone_staking, fake_market, lone_agent):
    agent = lone_agent.owner
    with boa.env.prank(agent):
        lone_staking.requestUnstake(ETHER * 9 // 10)
    _slash(lone_staking, fake_market, agent, ETHER // 2)
    assert lone_staking.stakeOf(agent) == ETHER // 2
    assert lone_staking.pendingUnstakeOf(agent) == ETHER // 2


def test_pending_unstake_below_the_remaining_stake_is_kept(
    lone_staking, fake_market, lone_agent, model_id, params
):
    agent = lone_agent.owner
    with boa.env.prank(agent):
        lone_staking.requestUnstake(ETHER // 4)
    _slash(lone_staking, fake_market, agent, ETHER // 2)
    assert lone_staking.pendingUnstakeOf(agent) == ETHER // 4
    lone_staking.poke(agent)
    assert lone_staking.weightOf(agent, model_id) == ETHER // 4


def test_falling_below_min_stake_leaves_the_draw(
    lone_staking, fake_market, lone_agent, model_id, params
):
    agent = lone_agent.owner
    _slash(lone_staking, fake_market, agent, ETHER - params.min_stake)
    lone_staking.poke(agent)
    assert lone_staking.weightOf(agent, model_id) == params.min_stake
    _slash(lone_staking, fake_market, agent, 1)
    lone_staking.poke(agent)
    assert lone_staking.weightOf(agent, model_id) == 0
    assert lone_staking.agentsForModel(model_id) == []


def test_unknown_agent_loses_nothing(lone_staking, fake_market, stranger):
    assert _slash(lone_staking, fake_market, stranger, ETHER) == 0
    assert events(lone_staking, "Slashed")[0].amount == 0
    assert lone_staking.treasury_balance() == 0


@pytest.mark.parametrize("reason", [0, 3, 255])
def test_reverts_unknown_reason(lone_staking, fake_market, lone_agent, reason):
    with boa.reverts("staking: unknown reason"):
        _slash(lone_staking, fake_market, lone_agent.owner, 1, reason=reason)


def test_reverts_for_anyone_but_the_market(staking, agents, owner, stranger):
    for caller in (owner, stranger, agents[0].owner):
        with boa.env.prank(caller), boa.reverts("staking: caller is not the market"):
            staking.slash(agents[1].owner, ETHER, 1, MISSED)


def test_reverts_before_a_market_is_wired(bare_staking, stranger):
    # An unset market is the zero address, which no one can be.
    with boa.env.prank(stranger), boa.reverts("staking: caller is not the market"):
        bare_staking.slash(stranger, 1, 1, MISSED)
