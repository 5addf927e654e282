import boa
import pytest

from tests.contracts.unitary.helpers import events


def test_owner_pauses_and_unpauses(market, owner, create_task):
    with boa.env.prank(owner):
        market.pause()
    assert events(market, "Paused")[0].account == owner
    assert market.paused() is True
    with boa.reverts("pausable: contract is paused"):
        create_task()
    with boa.env.prank(owner):
        market.unpause()
    assert events(market, "Unpaused")[0].account == owner
    assert market.paused() is False
    create_task()


def test_reverts_pause_twice(market, owner):
    with boa.env.prank(owner):
        market.pause()
        with boa.reverts("pausable: contract is paused"):
            market.pause()


def test_reverts_unpause_when_not_paused(market, owner):
    with boa.env.prank(owner), boa.reverts("pausable: contract is not paused"):
        market.unpause()


@pytest.mark.parametrize("fn", ["pause", "unpause"])
def test_reverts_for_non_owner(market, owner, stranger, fn):
    if fn == "unpause":
        with boa.env.prank(owner):
            market.pause()
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        getattr(market, fn)()


def test_staking_pause_does_not_stop_tasks(market, staking, owner, create_task):
    with boa.env.prank(owner):
        staking.pause()
    assert market.taskPhase(create_task()) == 2
