import boa
import pytest

from tests.contracts.unitary.helpers import ZERO_ADDRESS
from tests.contracts.utils.protocol import ETHER

MAX_MIN_STAKE = 1_000 * ETHER
MAX_UNBONDING = 60 * 86_400


def test_parameters_and_wiring(staking, registry, market, params):
    assert staking.registry() == registry.address
    assert staking.market() == market.address
    assert staking.min_stake() == params.min_stake
    assert staking.unbonding_period() == params.unbonding_period
    assert staking.paused() is False
    assert staking.treasury_balance() == 0


@pytest.mark.parametrize(("min_stake", "unbonding"), [(1, 60), (MAX_MIN_STAKE, MAX_UNBONDING)])
def test_accepts_bounds(staking_deployer, registry, min_stake, unbonding):
    c = staking_deployer.deploy(registry.address, min_stake, unbonding)
    assert c.min_stake() == min_stake
    assert c.unbonding_period() == unbonding
    assert c.market() == ZERO_ADDRESS


def test_reverts_zero_registry(staking_deployer):
    with boa.reverts("staking: zero registry"):
        staking_deployer.deploy(ZERO_ADDRESS, ETHER, 3_600)


@pytest.mark.parametrize("min_stake", [0, MAX_MIN_STAKE + 1])
def test_reverts_min_stake_out_of_bounds(staking_deployer, registry, min_stake):
    with boa.reverts("staking: min stake out of bounds"):
        staking_deployer.deploy(registry.address, min_stake, 3_600)


@pytest.mark.parametrize("unbonding", [0, 59, MAX_UNBONDING + 1])
def test_reverts_unbonding_out_of_bounds(staking_deployer, registry, unbonding):
    with boa.reverts("staking: unbonding period out of bounds"):
        staking_deployer.deploy(registry.address, ETHER, unbonding)
