import boa
import pytest

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER

MAX_MIN_STAKE = 1_000 * ETHER


@pytest.mark.parametrize("value", [1, ETHER, MAX_MIN_STAKE])
def test_sets_within_bounds(staking, owner, value):
    with boa.env.prank(owner):
        staking.setMinStake(value)
    (ev,) = events(staking, "MinStakeSet")
    assert ev.min_stake == value
    assert staking.min_stake() == value


@pytest.mark.parametrize("value", [0, MAX_MIN_STAKE + 1])
def test_reverts_out_of_bounds(staking, owner, value):
    with boa.env.prank(owner), boa.reverts("staking: min stake out of bounds"):
        staking.setMinStake(value)


def test_reverts_for_non_owner(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        staking.setMinStake(ETHER)


def test_applies_to_new_registrations(staking, owner, make_agent):
    with boa.env.prank(owner):
        staking.setMinStake(2 * ETHER)
    with boa.reverts("staking: stake below minimum"):
        make_agent(stake=2 * ETHER - 1)
    make_agent(stake=2 * ETHER)
