import boa
import pytest

from tests.contracts.unitary.helpers import events

MAX_UNBONDING = 60 * 86_400


@pytest.mark.parametrize("value", [60, 3_601, MAX_UNBONDING])
def test_sets_within_bounds(staking, owner, value):
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(value)
    (ev,) = events(staking, "UnbondingPeriodSet")
    assert ev.unbonding_period == value
    assert staking.unbonding_period() == value


@pytest.mark.parametrize("value", [0, 59, MAX_UNBONDING + 1])
def test_reverts_out_of_bounds(staking, owner, value):
    with boa.env.prank(owner), boa.reverts("staking: unbonding period out of bounds"):
        staking.setUnbondingPeriod(value)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_must_outlast_a_task(staking, market, owner, offset):
    with boa.env.prank(owner):
        market.setWindows(100, 200)
    lifetime = 300
    with boa.env.prank(owner):
        if offset <= 0:
            with boa.reverts("staking: unbonding shorter than a task"):
                staking.setUnbondingPeriod(lifetime + offset)
        else:
            staking.setUnbondingPeriod(lifetime + offset)
            assert staking.unbonding_period() == lifetime + offset


def test_reverts_for_non_owner(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        staking.setUnbondingPeriod(7_200)


def test_applies_to_new_requests(staking, owner, agents):
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(120)
    with boa.env.prank(agents[0].owner):
        staking.requestUnstake(1)
    assert staking.unbondAt(agents[0].owner) == boa.env.timestamp + 120
