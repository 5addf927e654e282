"""Errors raised by the chain layer.

All of them derive from :class:`oracles.errors.AgentnetError`, so the CLI prints them as
one line. Callers that want to tell them apart catch the narrower classes.
"""

from __future__ import annotations

from typing import Any

from oracles.errors import AgentnetError


class ChainError(AgentnetError):
    """Base class of every error of the chain layer."""


class AnvilError(ChainError):
    """A local anvil could not be started or stopped."""


class RpcError(ChainError):
    """The node answered a JSON-RPC request with an error object."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{method}: rpc error {code}: {message}")
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data


class RpcUnavailable(ChainError):
    """No endpoint answered a request, after every retry on every URL."""


class ReorgTooDeep(ChainError):
    """A reorg went below every block hash the log follower still remembers."""


class HandlerError(ChainError):
    """A log follower's consumer callback raised; the cursor was not advanced."""


class TransactionError(ChainError):
    """Base class of the transaction sender's errors."""


class SimulationReverted(TransactionError):
    """The ``eth_call`` simulation of a transaction reverted; nothing was sent."""

    def __init__(self, reason: str | None, data: str | None = None) -> None:
        super().__init__(f"transaction would revert: {reason or 'no reason given'}")
        self.reason = reason
        self.data = data


class TransactionFailed(TransactionError):
    """A transaction was mined with receipt status 0."""

    def __init__(self, tx_hash: str, receipt: dict[str, Any], reason: str | None = None) -> None:
        why = f": {reason}" if reason else ""
        super().__init__(f"transaction {tx_hash} reverted on chain{why}")
        self.tx_hash = tx_hash
        self.receipt = receipt
        self.reason = reason


class TransactionNotMined(TransactionError):
    """A transaction and all its fee-bumped replacements stayed unmined too long."""


class KeystoreError(ChainError):
    """A keystore file is missing, malformed, or cannot be written."""


class WrongPassword(KeystoreError):
    """The password does not decrypt the keystore."""


class PasswordUnavailable(KeystoreError):
    """No password was given and none can be asked for (no terminal)."""
