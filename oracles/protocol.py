"""The protocol's off-chain half: commitments and EIP-712 submissions.

Shared by the worker (which signs with its signer key), the relayer path, the
demo and the tests, so that there is one definition of what a member signs.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

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
