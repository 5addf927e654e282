import boa
import pytest

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER


@pytest.mark.parametrize("value", [0, 1, ETHER])
def test_min_fee_within_bounds(market, owner, value):
    with boa.env.prank(owner):
        market.setMinFeePerAgent(value)
    assert events(market, "MinFeeSet")[0].min_fee_per_agent == value
    assert market.min_fee_per_agent() == value
    assert market.params_version() == 1  # checked at creation only: not versioned


def test_min_fee_out_of_bounds(market, owner):
    with boa.env.prank(owner), boa.reverts("market_params: min fee out of bounds"):
        market.setMinFeePerAgent(ETHER + 1)


def test_min_fee_applies_to_new_tasks(market, owner, create_task):
    with boa.env.prank(owner):
        market.setMinFeePerAgent(10**15)
    with boa.reverts("market: fee below minimum"):
        create_task(size=3, quorum=2, fee=3 * 10**15 - 1)
    create_task(size=3, quorum=2, fee=3 * 10**15)


def test_reverts_for_non_owner(market, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        market.setMinFeePerAgent(1)
