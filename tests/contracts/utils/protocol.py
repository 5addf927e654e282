"""Helpers for driving the contracts the way a worker or requester would."""

from __future__ import annotations

import os
from dataclasses import dataclass

import boa
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

ETHER = 10**18
COMMIT_TYPE = "Commit(uint256 task_id,address agent,bytes32 commitment)"
REVEAL_TYPE = "Reveal(uint256 task_id,address agent,bytes32 result_hash,bytes32 salt)"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass
class AgentKeys:
    """An agent: owner address (a boa EOA) and a signer key we can sign with."""

    owner: str
    signer: LocalAccount


def new_agent(balance: int = 100 * ETHER) -> AgentKeys:
    owner = boa.env.generate_address()
    boa.env.set_balance(owner, balance)
    return AgentKeys(owner=owner, signer=Account.create())


def commitment(task_id: int, agent: str, result_hash: bytes, salt: bytes) -> bytes:
    return keccak(encode(["uint256", "address", "bytes32", "bytes32"], [task_id, agent, result_hash, salt]))


def new_salt() -> bytes:
    return os.urandom(32)


def _domain(market_address: str, chain_id: int) -> dict:
    return {
        "name": "agentnet",
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": market_address,
    }


def sign_commit(
    signer: LocalAccount,
    market_address: str,
    task_id: int,
    agent: str,
    commit: bytes,
    chain_id: int | None = None,
) -> bytes:
    """EIP-712 `Commit` signature (65 bytes r||s||v), as a wallet produces it."""
    chain_id = boa.env.evm.patch.chain_id if chain_id is None else chain_id
    msg = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Commit": [
                {"name": "task_id", "type": "uint256"},
                {"name": "agent", "type": "address"},
                {"name": "commitment", "type": "bytes32"},
            ],
        },
        "primaryType": "Commit",
        "domain": _domain(market_address, chain_id),
        "message": {"task_id": task_id, "agent": agent, "commitment": commit},
    }
    return bytes(signer.sign_typed_data(full_message=msg).signature)


def sign_reveal(
    signer: LocalAccount,
    market_address: str,
    task_id: int,
    agent: str,
    result_hash: bytes,
    salt: bytes,
    chain_id: int | None = None,
) -> bytes:
    """EIP-712 `Reveal` signature (65 bytes r||s||v)."""
    chain_id = boa.env.evm.patch.chain_id if chain_id is None else chain_id
    msg = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Reveal": [
                {"name": "task_id", "type": "uint256"},
                {"name": "agent", "type": "address"},
                {"name": "result_hash", "type": "bytes32"},
                {"name": "salt", "type": "bytes32"},
            ],
        },
        "primaryType": "Reveal",
        "domain": _domain(market_address, chain_id),
        "message": {"task_id": task_id, "agent": agent, "result_hash": result_hash, "salt": salt},
    }
    return bytes(signer.sign_typed_data(full_message=msg).signature)


def to_high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: s -> n - s and v flipped."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    s2 = SECP256K1_N - s
    v2 = 27 if v == 28 else 28
    return r + s2.to_bytes(32, "big") + bytes([v2])
