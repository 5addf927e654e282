"""Small helpers shared by the unit tests (events, addresses, mocks)."""

from __future__ import annotations

from typing import Any

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_BYTES32 = b"\x00" * 32

# A contract that refuses ETH: no `__default__`, so a plain transfer reverts.
REJECTOR_SOURCE = """
# pragma version ~=0.4.3
@external
@view
def ping() -> uint256:
    return 1
"""

# A staking stand-in whose draw returns no one, to reach the market's sanity check.
BROKEN_STAKING_SOURCE = """
# pragma version ~=0.4.3
@external
@view
def unbonding_period() -> uint256:
    return 3_600

@external
@view
def eligibleCount(model_id: bytes32) -> uint256:
    return 16

@external
@view
def drawCommittee(model_id: bytes32, size: uint256, seed: bytes32) -> DynArray[address, 16]:
    return []
"""


def events(contract: Any, name: str) -> list[Any]:
    """The decoded `name` events of the last call made on `contract` (child calls included)."""
    return [log for log in contract.get_logs() if type(log).__name__ == name]


def event_names(contract: Any) -> list[str]:
    return [type(log).__name__ for log in contract.get_logs()]


def addr(value: Any) -> str:
    """Checksummed string form of a boa Address / str."""
    return str(value)


# An agent owner that is a contract refusing ETH, to reach withdrawStake's transfer check.
CONTRACT_AGENT_SOURCE = """
# pragma version ~=0.4.3
interface IStaking:
    def register(signer: address, models: DynArray[bytes32, 16], endpoint: String[128]): payable
    def requestUnstake(amount: uint256): nonpayable
    def withdrawStake(): nonpayable

@external
@payable
def register(staking: address, signer: address, models: DynArray[bytes32, 16]):
    extcall IStaking(staking).register(signer, models, "", value=msg.value)

@external
def requestUnstake(staking: address, amount: uint256):
    extcall IStaking(staking).requestUnstake(amount)

@external
def withdrawStake(staking: address):
    extcall IStaking(staking).withdrawStake()
"""
