"""Stand-alone AgentStaking instances for the staking unit tests.

`bare_staking` has no market wired; `lone_staking` has an EOA as its market so
that tests can call `slash` directly. Both share the session's registry.
"""

from __future__ import annotations

import boa
import pytest

from deployments.boa_deploy import load_partial
from tests.contracts.utils.protocol import ETHER, AgentKeys, new_agent


@pytest.fixture(scope="session")
def staking_deployer():
    return load_partial("AgentStaking")


@pytest.fixture(scope="session")
def bare_staking(staking_deployer, registry, owner, params):
    with boa.env.prank(owner):
        return staking_deployer.deploy(registry.address, params.min_stake, params.unbonding_period)


@pytest.fixture(scope="session")
def fake_market() -> str:
    return boa.env.generate_address()


@pytest.fixture(scope="session")
def lone_staking(staking_deployer, registry, owner, params, fake_market):
    with boa.env.prank(owner):
        c = staking_deployer.deploy(registry.address, params.min_stake, params.unbonding_period)
        c.setMarket(fake_market)
    return c


@pytest.fixture(scope="session")
def lone_agent(lone_staking, model_id) -> AgentKeys:
    """An agent of `lone_staking` staking 1 ETH on `model_id`."""
    agent = new_agent()
    with boa.env.prank(agent.owner):
        lone_staking.register(agent.signer.address, [model_id], "", value=ETHER)
    return agent
