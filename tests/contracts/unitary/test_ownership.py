"""Two-step ownership (snekmate ownable_2step) of the three contracts."""

import boa
import pytest

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events

CONTRACTS = ["registry", "staking", "market"]


@pytest.fixture(params=CONTRACTS)
def contract(request):
    return request.getfixturevalue(request.param)


def test_deployer_owns_everything(registry, staking, market, owner):
    for c in (registry, staking, market):
        assert c.owner() == owner
        assert c.pending_owner() == ZERO_ADDRESS


def test_transfer_then_accept(contract, owner, stranger):
    with boa.env.prank(owner):
        contract.transfer_ownership(stranger)
    (started,) = events(contract, "OwnershipTransferStarted")
    assert started.previous_owner == owner
    assert started.new_owner == stranger
    # Nothing changes until the new owner accepts.
    assert contract.owner() == owner
    assert contract.pending_owner() == stranger

    with boa.env.prank(stranger):
        contract.accept_ownership()
    (moved,) = events(contract, "OwnershipTransferred")
    assert moved.previous_owner == owner
    assert moved.new_owner == stranger
    assert contract.owner() == stranger
    assert contract.pending_owner() == ZERO_ADDRESS

    # The old owner lost its rights.
    with boa.env.prank(owner), boa.reverts("ownable: caller is not the owner"):
        contract.transfer_ownership(owner)


def test_only_the_pending_owner_accepts(contract, owner, stranger, publisher):
    with boa.env.prank(owner):
        contract.transfer_ownership(stranger)
    for caller in (publisher, owner):
        with boa.env.prank(caller), boa.reverts("ownable_2step: caller is not the new owner"):
            contract.accept_ownership()
    assert contract.owner() == owner


def test_transfer_to_zero_cancels(contract, owner, stranger):
    with boa.env.prank(owner):
        contract.transfer_ownership(stranger)
        contract.transfer_ownership(ZERO_ADDRESS)
    with boa.env.prank(stranger), boa.reverts("ownable_2step: caller is not the new owner"):
        contract.accept_ownership()


def test_only_owner_transfers(contract, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        contract.transfer_ownership(stranger)


def test_new_owner_uses_owner_functions(registry, staking, market, owner, stranger):
    for c in (registry, staking, market):
        with boa.env.prank(owner):
            c.transfer_ownership(stranger)
        with boa.env.prank(stranger):
            c.accept_ownership()
    with boa.env.prank(stranger):
        staking.pause()
        market.pause()
    assert staking.paused() and market.paused()
    with boa.env.prank(owner), boa.reverts("ownable: caller is not the owner"):
        market.unpause()
