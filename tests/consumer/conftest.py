"""Fixtures of the consumer tests.

In-process (titanoboa): one protocol for the session, with a classification model and
three agents, and the guestbook in both languages (Vyper with the consumer module,
Solidity compiled by solc-js) deployed on it; titanoboa's pytest plugin gives each test
that state afresh. The end-to-end tests on anvil with real workers have their own
fixtures (``test_e2e_anvil.py``).
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from tests.consumer.evm import (
    ETHER,
    Chain,
    deploy_harness,
    deploy_solidity_guestbook,
    deploy_vyper_guestbook,
    new_chain,
)


@pytest.fixture(scope="session")
def chain() -> Chain:
    return new_chain()


@pytest.fixture(scope="session")
def guestbooks(chain: Chain) -> dict[str, Any]:
    return {"vyper": deploy_vyper_guestbook(chain), "solidity": deploy_solidity_guestbook(chain)}


@pytest.fixture(params=["vyper", "solidity"])
def guestbook(request: pytest.FixtureRequest, guestbooks: dict[str, Any]) -> Any:
    """The guestbook, once per language."""
    return guestbooks[request.param]


@pytest.fixture(scope="session")
def harness(chain: Chain) -> Any:
    """The consumer module behind a minimal contract (committee of 3, quorum 2), funded."""
    contract = deploy_harness("ConsumerHarness", chain.market.address, 3, 2)
    boa.env.set_balance(boa.env.eoa, 10 * ETHER)
    contract.fund(value=ETHER)
    return contract


@pytest.fixture(scope="session")
def poster() -> str:
    address = boa.env.generate_address()
    boa.env.set_balance(address, 100 * ETHER)
    return str(address)
