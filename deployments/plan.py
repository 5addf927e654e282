"""The deploy plan: which contracts, in which order, with which constructor arguments.

Both deploy paths follow it: :mod:`deployments.deploy` (signed transactions through the
chain layer's ``TxSender``, what ``agentnet deploy`` and the devnet run) and
:mod:`deployments.boa_deploy` (titanoboa's in-process EVM, for the contract tests, the
gas benchmark and the in-process demo). So the order, the arguments and the wiring that
tests exercise are the ones a real deployment sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deployments.params import Params

# Deploy order: each contract's constructor takes addresses of earlier ones.
CONTRACT_NAMES: tuple[str, ...] = ("ModelRegistry", "AgentStaking", "TaskMarket")


@dataclass(frozen=True)
class WiringCall:
    """A call made once every contract exists: ``contract.function(*args)``."""

    contract: str
    function: str
    args: tuple[object, ...]


def constructor_args(name: str, params: Params, addresses: Mapping[str, str]) -> list[object]:
    """Constructor arguments of ``name``, given the addresses deployed before it."""
    if name == "ModelRegistry":
        return []
    if name == "AgentStaking":
        return [addresses["ModelRegistry"], params.min_stake, params.unbonding_period]
    if name == "TaskMarket":
        return [
            addresses["ModelRegistry"],
            addresses["AgentStaking"],
            params.min_fee_per_agent,
            params.commit_window,
            params.reveal_window,
            params.slash_missed,
            params.slash_wrong,
            params.grace_period,
        ]
    raise KeyError(f"no contract {name!r} in the deploy plan")


def wiring(addresses: Mapping[str, str]) -> list[WiringCall]:
    """Calls that connect the deployed contracts, in order."""
    return [WiringCall("AgentStaking", "setMarket", (addresses["TaskMarket"],))]
