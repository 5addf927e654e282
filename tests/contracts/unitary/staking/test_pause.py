import boa
import pytest
from eth_account import Account

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.timing import wait_until_withdrawable


def test_owner_pauses_and_unpauses(staking, owner):
    with boa.env.prank(owner):
        staking.pause()
    (ev,) = events(staking, "Paused")
    assert ev.account == owner
    assert staking.paused() is True
    with boa.env.prank(owner):
        staking.unpause()
    (ev,) = events(staking, "Unpaused")
    assert ev.account == owner
    assert staking.paused() is False


def test_reverts_pause_twice(staking, owner):
    with boa.env.prank(owner):
        staking.pause()
        with boa.reverts("pausable: contract is paused"):
            staking.pause()


def test_reverts_unpause_when_not_paused(staking, owner):
    with boa.env.prank(owner), boa.reverts("pausable: contract is not paused"):
        staking.unpause()


@pytest.mark.parametrize("fn", ["pause", "unpause"])
def test_reverts_for_non_owner(staking, owner, stranger, fn):
    if fn == "unpause":
        with boa.env.prank(owner):
            staking.pause()
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        getattr(staking, fn)()


def test_exits_stay_open_while_paused(staking, owner, agents, params):
    """requestUnstake, withdrawStake, deregister, setSigner and setEndpoint are never paused."""
    a, b = agents[0].owner, agents[1].owner
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(a):
        staking.requestUnstake(10**17)
        staking.setEndpoint("http://new")
        staking.setSigner(Account.create().address)
    with boa.env.prank(b):
        staking.deregister()
    wait_until_withdrawable(staking, a)
    wait_until_withdrawable(staking, b)
    with boa.env.prank(a):
        staking.withdrawStake()
    with boa.env.prank(b):
        staking.withdrawStake()
    assert staking.statusOf(b) == 0
