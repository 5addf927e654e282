"""Deploy the protocol on titanoboa's in-process EVM, following :mod:`deployments.plan`.

Used by the contract tests, the gas benchmark and the in-process demo. Users deploy
to a chain with :mod:`deployments.deploy`, which follows the same plan (order,
constructor arguments, wiring), so what the tests deploy is what users deploy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa

from deployments.params import Params
from deployments.plan import CONTRACT_NAMES, constructor_args, wiring

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"


@dataclass
class Protocol:
    registry: Any
    staking: Any
    market: Any
    owner: str
    params: Params


@functools.cache
def load_partial(name: str) -> Any:
    """A deployer for ``contracts/<name>.vy`` (compiled once per process)."""
    return boa.load_partial(str(CONTRACTS_DIR / f"{name}.vy"))


def deploy(params: Params | None = None, owner: str | None = None) -> Protocol:
    """Deploy and wire the protocol's contracts as the plan says, from ``owner``."""
    params = params or Params()
    owner = owner or boa.env.eoa
    contracts: dict[str, Any] = {}
    addresses: dict[str, str] = {}
    with boa.env.prank(owner):
        for name in CONTRACT_NAMES:
            args = constructor_args(name, params, addresses)
            contracts[name] = load_partial(name).deploy(*args)
            addresses[name] = str(contracts[name].address)
        for call in wiring(addresses):
            getattr(contracts[call.contract], call.function)(*call.args)
    return Protocol(
        contracts["ModelRegistry"],
        contracts["AgentStaking"],
        contracts["TaskMarket"],
        owner,
        params,
    )
