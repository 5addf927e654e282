"""The chain layer: blocks, logs, transactions and keys; nothing about tasks or HTTP.

Used by the oracle worker and by the API's indexer:

* :mod:`~oracles.chain.anvil`: a local anvil for tests and the devnet;
* :mod:`~oracles.chain.rpc`: JSON-RPC clients with failover and retries;
* :mod:`~oracles.chain.follower`: ordered, reorg-aware log delivery from a SQLite cursor;
* :mod:`~oracles.chain.abi`: log decoding with an ABI;
* :mod:`~oracles.chain.sender`: nonce-managed, simulated, fee-bumped transactions;
* :mod:`~oracles.chain.keys`: encrypted keystores;
* :mod:`~oracles.chain.contracts`: deployment records and provider-less bindings.

Submodules are imported on use so that light commands stay light.
"""

from oracles.chain.errors import (
    ChainError,
    HandlerError,
    KeystoreError,
    PasswordUnavailable,
    ReorgTooDeep,
    RpcError,
    RpcUnavailable,
    SimulationReverted,
    TransactionError,
    TransactionFailed,
    TransactionNotMined,
    WrongPassword,
)

__all__ = [
    "ChainError",
    "HandlerError",
    "KeystoreError",
    "PasswordUnavailable",
    "ReorgTooDeep",
    "RpcError",
    "RpcUnavailable",
    "SimulationReverted",
    "TransactionError",
    "TransactionFailed",
    "TransactionNotMined",
    "WrongPassword",
]
