"""Per-transaction gas of titanoboa calls, as a real transaction would pay it.

titanoboa runs calls as message calls inside one long-lived state, so warm
slots, original storage values and intrinsic gas are not what a transaction
sees. :func:`measure` makes each call look like a fresh transaction:
21,000 + calldata (4 gas per zero byte, 16 per non-zero byte) + execution with
cold accounts and slots and reset original values (EIP-2929/2200), less the
storage refund capped at a fifth of the total (EIP-3529).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boa

TX_BASE_GAS = 21_000


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def new_transaction() -> None:
    """Forget warm accounts/slots and pin original storage values, as a new tx does."""
    boa.env.evm.vm.state._account_db.lock_changes()


def measure(fn: Callable[..., Any], *args: Any, sender: str, value: int = 0) -> tuple[Any, int]:
    """Run ``fn(*args)`` (a boa contract function) as one transaction; return (result, gas)."""
    new_transaction()
    calldata = fn.prepare_calldata(*args)  # type: ignore[attr-defined]
    with boa.env.prank(sender):
        result = fn(*args, value=value)
    computation = fn.contract._computation  # type: ignore[attr-defined]
    total = TX_BASE_GAS + calldata_gas(calldata) + computation.get_gas_used()
    total -= min(computation.get_gas_refund(), total // 5)
    return result, total
