"""The protocol's off-chain half: its constants, commitments and EIP-712 submissions.

Shared by the worker (which signs with its signer key), the relayer path, the API,
the CLI, the demo and the tests, so that there is one definition of what a phase
number means and of what a member signs. ``tests/contracts/test_constants.py``
checks every constant here against the compiled contracts.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak


class Phase(IntEnum):
    """``TaskMarket.taskPhase``."""

    UNKNOWN = 0
    WAITING = 1  # for its draw block or its parents
    COMMIT = 2
    REVEAL = 3
    READY = 4  # to finalize
    SUCCEEDED = 5
    FAILED = 6

    @property
    def final(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED)

    @property
    def label(self) -> str:
        return self.name.lower()


class FinalStatus(IntEnum):
    """``TaskFinalized.status``."""

    SUCCEEDED = 1
    FAILED = 2


class SlashReason(IntEnum):
    """``Slashed.reason``."""

    MISSED = 1
    WRONG = 2


class ModelKind(IntEnum):
    """``ModelRegistry`` kinds."""

    EMBEDDING = 0
    CLASSIFICATION = 1
    GENERATION = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class AgentStatus(IntEnum):
    """``AgentStaking.statusOf``."""

    NONE = 0
    ACTIVE = 1
    DEREGISTERED = 2


# Limits the contracts enforce.
MAX_COMMITTEE = 16  # seats per task
MAX_PARENTS = 8
MAX_INPUT_BYTES = 4_096
MAX_OUTPUT_BYTES = 8_192
MAX_BATCH = 64  # items per commitBatch / revealBatch
MAX_MODELS_PER_AGENT = 16
MAX_FEE = 2**80 - 1  # wei, per task

DOMAIN_NAME = "agentnet"
DOMAIN_VERSION = "1"

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
COMMIT_TYPE = [
    {"name": "task_id", "type": "uint256"},
    {"name": "agent", "type": "address"},
    {"name": "commitment", "type": "bytes32"},
]
REVEAL_TYPE = [
    {"name": "task_id", "type": "uint256"},
    {"name": "agent", "type": "address"},
    {"name": "result_hash", "type": "bytes32"},
    {"name": "salt", "type": "bytes32"},
]


def result_hash(output: bytes) -> bytes:
    """keccak256 of a task's canonical output bytes."""
    return keccak(output)


def commitment(task_id: int, agent: str, result_hash_: bytes, salt: bytes) -> bytes:
    """keccak256(abi_encode(task_id, agent, result_hash, salt))."""
    return keccak(
        encode(["uint256", "address", "bytes32", "bytes32"], [task_id, agent, result_hash_, salt])
    )


def typed_commit(
    chain_id: int, market: str, task_id: int, agent: str, commit: bytes
) -> dict[str, Any]:
    """The EIP-712 message a wallet signs for `commitBySig`."""
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "Commit": COMMIT_TYPE},
        "primaryType": "Commit",
        "domain": _domain(chain_id, market),
        "message": {"task_id": task_id, "agent": agent, "commitment": commit},
    }


def typed_reveal(
    chain_id: int, market: str, task_id: int, agent: str, result_hash_: bytes, salt: bytes
) -> dict[str, Any]:
    """The EIP-712 message a wallet signs for `revealBySig`."""
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "Reveal": REVEAL_TYPE},
        "primaryType": "Reveal",
        "domain": _domain(chain_id, market),
        "message": {
            "task_id": task_id,
            "agent": agent,
            "result_hash": result_hash_,
            "salt": salt,
        },
    }


def sign_commit(
    signer: LocalAccount, chain_id: int, market: str, task_id: int, agent: str, commit: bytes
) -> bytes:
    """65-byte r||s||v signature of a `Commit` (eth-account produces low s)."""
    msg = typed_commit(chain_id, market, task_id, agent, commit)
    return bytes(signer.sign_typed_data(full_message=msg).signature)


def sign_reveal(
    signer: LocalAccount,
    chain_id: int,
    market: str,
    task_id: int,
    agent: str,
    result_hash_: bytes,
    salt: bytes,
) -> bytes:
    """65-byte r||s||v signature of a `Reveal`."""
    msg = typed_reveal(chain_id, market, task_id, agent, result_hash_, salt)
    return bytes(signer.sign_typed_data(full_message=msg).signature)


def _domain(chain_id: int, market: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": market,
    }
