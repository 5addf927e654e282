import boa
import pytest

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events
from tests.contracts.utils.protocol import ETHER


@pytest.fixture
def funded(lone_staking, fake_market, lone_agent):
    with boa.env.prank(fake_market):
        lone_staking.slash(lone_agent.owner, ETHER // 2, 1, 1)
    return lone_staking


def test_owner_withdraws_slashed_eth(funded, owner, stranger):
    balance = boa.env.get_balance(stranger)
    with boa.env.prank(owner):
        funded.withdrawTreasury(stranger, ETHER // 5)
    (ev,) = events(funded, "TreasuryWithdrawn")
    assert (ev.receiver, ev.amount) == (stranger, ETHER // 5)
    assert boa.env.get_balance(stranger) == balance + ETHER // 5
    assert funded.treasury_balance() == ETHER // 2 - ETHER // 5
    with boa.env.prank(owner):
        funded.withdrawTreasury(stranger, ETHER // 2 - ETHER // 5)
    assert funded.treasury_balance() == 0
    # Stakes are untouched.
    assert boa.env.get_balance(funded.address) == funded.total_staked()


def test_reverts_more_than_the_treasury(funded, owner, stranger):
    with boa.env.prank(owner), boa.reverts("staking: amount exceeds treasury"):
        funded.withdrawTreasury(stranger, ETHER // 2 + 1)


def test_stakes_are_not_the_treasury(staking, owner, stranger, agents):
    assert staking.total_staked() > 0
    with boa.env.prank(owner), boa.reverts("staking: amount exceeds treasury"):
        staking.withdrawTreasury(stranger, 1)


def test_reverts_zero_receiver(funded, owner):
    with boa.env.prank(owner), boa.reverts("staking: zero receiver"):
        funded.withdrawTreasury(ZERO_ADDRESS, 1)


def test_reverts_for_non_owner(funded, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        funded.withdrawTreasury(stranger, 1)


def test_reverts_when_the_receiver_refuses(funded, owner, rejector):
    with boa.env.prank(owner), boa.reverts("staking: transfer failed"):
        funded.withdrawTreasury(rejector.address, 1)
