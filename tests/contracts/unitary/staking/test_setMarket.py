import boa

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events
from tests.contracts.utils.protocol import ETHER, new_agent
from tests.contracts.utils.timing import wait_until_withdrawable


def test_owner_wires_the_market_once(bare_staking, owner, stranger, publisher):
    assert bare_staking.market() == ZERO_ADDRESS
    with boa.env.prank(owner):
        bare_staking.setMarket(stranger)
    (ev,) = events(bare_staking, "MarketSet")
    assert ev.market == stranger
    assert bare_staking.market() == stranger
    with boa.env.prank(owner), boa.reverts("staking: market already set"):
        bare_staking.setMarket(publisher)


def test_deployed_staking_is_already_wired(staking, market, owner, stranger):
    with boa.env.prank(owner), boa.reverts("staking: market already set"):
        staking.setMarket(stranger)
    assert staking.market() == market.address


def test_reverts_zero_market(bare_staking, owner):
    with boa.env.prank(owner), boa.reverts("staking: zero market"):
        bare_staking.setMarket(ZERO_ADDRESS)


def test_reverts_for_non_owner(bare_staking, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        bare_staking.setMarket(stranger)


def test_without_a_market_nothing_is_locked(bare_staking, model_id, owner, params):
    # Before wiring: reputation reads zero and withdrawals need no market.
    agent = new_agent()
    with boa.env.prank(agent.owner):
        bare_staking.register(agent.signer.address, [model_id], "", value=ETHER)
        bare_staking.requestUnstake(ETHER // 2)
    assert bare_staking.reputation(agent.owner) == (0, 0, 0)
    assert bare_staking.agentInfo(agent.owner).missed == 0
    wait_until_withdrawable(bare_staking, agent.owner)
    with boa.env.prank(agent.owner):
        bare_staking.withdrawStake()
    assert bare_staking.stakeOf(agent.owner) == ETHER // 2
    with boa.env.prank(owner):
        bare_staking.setUnbondingPeriod(60)
    assert bare_staking.unbonding_period() == 60
