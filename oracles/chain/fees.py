"""The fee policy of a sender (EIP-1559 knobs and the bump rule) and the record of
each broadcast (see :mod:`oracles.chain.sender` for how they are used)."""

from __future__ import annotations

from dataclasses import dataclass, field

GWEI = 10**9


@dataclass
class FeePolicy:
    """Knobs of the fee policy described in the module docstring."""

    base_fee_multiplier: int = 2
    fallback_priority_fee: int = 1 * GWEI
    bump_after_blocks: int = 3
    max_bumps: int = 5
    max_fee_cap: int | None = None
    gas_margin_percent: int = 20
    fee_cache_seconds: float = 1.0

    @staticmethod
    def bumped(fee: int) -> int:
        """``fee`` raised by 12.5%, plus 1 wei."""
        return fee * 1125 // 1000 + 1


@dataclass(frozen=True)
class SentTx:
    """What was broadcast: one record per hash (the first send and each replacement)."""

    tx_hash: str
    nonce: int
    max_fee: int
    priority_fee: int
    attempt: int
    raw: str = field(repr=False, default="")
