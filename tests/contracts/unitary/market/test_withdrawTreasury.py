import boa
import pytest

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events

REMAINDER = 2


@pytest.fixture
def funded(market, finalize_succeeded_task):
    """The market with REMAINDER wei of fee remainder in its treasury."""
    finalize_succeeded_task(size=3, quorum=2, fee=3 * 10**15 + REMAINDER)
    assert market.treasury_balance() == REMAINDER
    return market


def test_owner_withdraws_fee_remainders(funded, owner, stranger):
    balance = boa.env.get_balance(stranger)
    with boa.env.prank(owner):
        funded.withdrawTreasury(stranger, REMAINDER)
    (ev,) = events(funded, "TreasuryWithdrawn")
    assert (ev.receiver, ev.amount) == (stranger, REMAINDER)
    assert boa.env.get_balance(stranger) == balance + REMAINDER
    assert funded.treasury_balance() == 0


def test_reverts_more_than_the_treasury(funded, owner, stranger):
    with boa.env.prank(owner), boa.reverts("market: amount exceeds treasury"):
        funded.withdrawTreasury(stranger, REMAINDER + 1)


def test_escrow_is_not_the_treasury(market, owner, stranger, create_task):
    create_task(fee=10**18)
    with boa.env.prank(owner), boa.reverts("market: amount exceeds treasury"):
        market.withdrawTreasury(stranger, 1)


def test_reverts_zero_receiver(funded, owner):
    with boa.env.prank(owner), boa.reverts("market: zero receiver"):
        funded.withdrawTreasury(ZERO_ADDRESS, 1)


def test_reverts_for_non_owner(funded, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        funded.withdrawTreasury(stranger, 1)


def test_reverts_when_the_receiver_refuses(funded, owner, rejector):
    with boa.env.prank(owner), boa.reverts("market: transfer failed"):
        funded.withdrawTreasury(rejector.address, 1)
