"""Helpers for driving the contracts the way a worker or requester would."""

from __future__ import annotations

import os
from dataclasses import dataclass

import boa
from eth_account import Account
from eth_account.signers.local import LocalAccount

from oracles import protocol

ETHER = 10**18
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
    return protocol.commitment(task_id, str(agent), result_hash, salt)


def new_salt() -> bytes:
    return os.urandom(32)


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
    return protocol.sign_commit(signer, chain_id, str(market_address), task_id, str(agent), commit)


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
    return protocol.sign_reveal(
        signer, chain_id, str(market_address), task_id, str(agent), result_hash, salt
    )


def to_high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: s -> n - s and v flipped."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    s2 = SECP256K1_N - s
    v2 = 27 if v == 28 else 28
    return r + s2.to_bytes(32, "big") + bytes([v2])
