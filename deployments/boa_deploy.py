"""Deploy the three contracts on titanoboa's in-process EVM.

The contract tests, the gas benchmark and the in-process demo all deploy through
:func:`deploy`, so the deploy path they exercise is the one users run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa

from deployments.params import Params

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"


@dataclass
class Protocol:
    registry: Any
    staking: Any
    market: Any
    owner: str
    params: Params


def load_partial(name: str) -> Any:
    """A deployer for ``contracts/<name>.vy`` (compiled once per process)."""
    return boa.load_partial(str(CONTRACTS_DIR / f"{name}.vy"))


def deploy(params: Params | None = None, owner: str | None = None) -> Protocol:
    """Deploy and wire ModelRegistry, AgentStaking and TaskMarket."""
    params = params or Params()
    owner = owner or boa.env.eoa
    with boa.env.prank(owner):
        registry = load_partial("ModelRegistry").deploy()
        staking = load_partial("AgentStaking").deploy(
            registry.address, params.min_stake, params.unbonding_period
        )
        market = load_partial("TaskMarket").deploy(
            registry.address,
            staking.address,
            params.min_fee_per_agent,
            params.commit_window,
            params.reveal_window,
            params.slash_missed,
            params.slash_wrong,
        )
        staking.setMarket(market.address)
    return Protocol(registry, staking, market, owner, params)
