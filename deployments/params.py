"""Protocol parameters and their devnet defaults.

Every deploy path (titanoboa in tests and the in-process demo, web3 against a
JSON-RPC chain) takes a :class:`Params`; the defaults suit a local devnet with
1-second blocks. A production deployment should raise ``min_stake``, the
windows (to several L1 blocks at least), the grace period and the unbonding period.
Windows, slash amounts and the minimum fee can be changed by the owner later (for
tasks created after the change); the grace period is fixed at deployment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ETHER = 10**18


@dataclass(frozen=True)
class Params:
    """Constructor arguments of AgentStaking and TaskMarket."""

    min_stake: int = ETHER // 10  # 0.1 ETH
    unbonding_period: int = 3_600  # seconds; must exceed commit + reveal windows
    min_fee_per_agent: int = 10**14  # 0.0001 ETH per committee seat
    commit_window: int = 20  # seconds
    reveal_window: int = 20  # seconds
    slash_missed: int = ETHER // 100  # 0.01 ETH per seat
    slash_wrong: int = ETHER // 20  # 0.05 ETH per seat
    # seconds after the reveal window before a quorum nobody backs with its output fails
    grace_period: int = 60

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Params:
        """Build from a mapping (e.g. a parsed TOML file), rejecting unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
        values: dict[str, int] = {}
        for key, value in data.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"parameter {key!r} must be a non-negative integer")
            values[key] = value
        return cls(**values)
