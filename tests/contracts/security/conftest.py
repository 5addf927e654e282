"""Fixtures for the security tests: hostile contract accounts and helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_account import Account
from eth_utils import keccak

from tests.contracts.utils.protocol import ETHER, commitment, new_salt

HERE = Path(__file__).resolve().parent
RECEIVER = boa.load_partial(str(HERE / "contracts" / "Receiver.vy"))


def calldata(fn: Any, *args: Any) -> bytes:
    """ABI calldata of a titanoboa contract function call."""
    return fn.prepare_calldata(*args)


@pytest.fixture(scope="session")
def deploy_receiver() -> Callable[..., Any]:
    """deploy_receiver(reject=False, balance=100 ETH) -> a funded hostile receiver."""

    def _deploy(reject: bool = False, balance: int = 100 * ETHER) -> Any:
        contract = RECEIVER.deploy(reject)
        boa.env.set_balance(contract.address, balance)
        return contract

    return _deploy


@pytest.fixture(scope="session")
def register_contract_agent(staking) -> Callable[..., Any]:
    """register_contract_agent(receiver, models, stake) -> the signer key it registered."""

    def _register(receiver: Any, models: list[bytes], stake: int = ETHER) -> Any:
        signer = Account.create()
        receiver.execute(
            staking.address,
            calldata(staking.register, signer.address, models, ""),
            stake,
        )
        return signer

    return _register


@pytest.fixture(scope="session")
def run_round(market, params) -> Callable[..., dict[str, bytes]]:
    """run_round(task_id, {member: (sender, output | None)}) commits and reveals
    each member's output from `sender` (its owner or signer), then lets the
    reveal window pass. None stays silent. Returns {member: salt}."""

    def _run(task_id: int, plan: dict[str, tuple[str, bytes | None]]) -> dict[str, bytes]:
        salts: dict[str, bytes] = {}
        for member, (sender, output) in plan.items():
            if output is None:
                continue
            salts[member] = new_salt()
            with boa.env.prank(sender):
                market.commit(task_id, commitment(task_id, member, keccak(output), salts[member]))
        if market.taskPhase(task_id) == 2:
            boa.env.time_travel(seconds=params.commit_window)
        for member, (sender, output) in plan.items():
            if output is not None:
                with boa.env.prank(sender):
                    market.reveal(task_id, keccak(output), salts[member])
        if market.taskPhase(task_id) != 4:
            boa.env.time_travel(seconds=params.reveal_window)
        return salts

    return _run
