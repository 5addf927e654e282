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


class Refusal(IntEnum):
    """Why ``TaskMarket`` refuses a call: the code of its revert reason, and of
    ``SubmissionSkipped.reason`` for a batch item that did not take effect
    (codes 1-14 are a member submission's)."""

    UNKNOWN_TASK = 1
    FINALIZED = 2
    NOT_ACTIVE = 3
    COMMIT_CLOSED = 4
    EMPTY_COMMITMENT = 5
    NOT_MEMBER = 6
    ALREADY_COMMITTED = 7
    REVEAL_NOT_OPEN = 8
    REVEAL_CLOSED = 9
    NOT_COMMITTED = 10
    ALREADY_REVEALED = 11
    REVEAL_MISMATCH = 12
    SIGNATURE_LENGTH = 13
    BAD_SIGNATURE = 14
    SIZE_RANGE = 15
    QUORUM_RANGE = 16
    FEE_BELOW_MINIMUM = 17
    FEE_TOO_LARGE = 18
    EMPTY_INPUT = 19
    MODEL_NOT_ACTIVE = 20
    UNKNOWN_PARENT = 21
    DUPLICATE_PARENT = 22
    NO_ELIGIBLE_AGENT = 23
    NOT_WAITING = 24
    PARENTS_OPEN = 25
    DRAW_NOT_MINED = 26
    NOT_READY = 27
    OUTPUT_MISMATCH = 28
    BATCH_LENGTHS = 29
    NOT_AN_AGENT = 30
    ZERO_RECEIVER = 31
    EXCEEDS_TREASURY = 32
    NOTHING_TO_WITHDRAW = 33
    TRANSFER_FAILED = 34
    NOT_PENDING = 35  # no slash of the agent is deferred on the task
    DISPUTE_CLOSED = 36  # proveAgreement after the dispute window
    DISPUTE_OPEN = 37  # settleDeferred before the end of the window
    MEMBER_OUTPUT_MISMATCH = 38
    NOT_WITHIN_TOLERANCE = 39

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


class AgentStatus(IntEnum):
    """``AgentStaking.statusOf``."""

    NONE = 0
    ACTIVE = 1
    DEREGISTERED = 2


# Agreement rules as the ModelRegistry stores them (`registerModelWithTolerance`,
# `toleranceOf`): 0 exact, else the most int8 steps two embedding outputs may differ by
# in every coordinate (the manifest's `int8_max_abs_diff` `max_steps`).
TOLERANCE_EXACT = 0
MAX_TOLERANCE = 127  # and embedding models only
# The embedding dimension `TaskMarket.proveAgreement` can check on chain.
PROVABLE_EMBEDDING_DIM = 384

# Limits the contracts enforce.
MAX_COMMITTEE = 16  # seats per task
MAX_PARENTS = 8
MAX_INPUT_BYTES = 4_096
MAX_OUTPUT_BYTES = 8_192
MAX_BATCH = 64  # items per commitBatch / revealBatch
MAX_MODELS_PER_AGENT = 16
MAX_FEE = 2**80 - 1  # wei, per task
MAX_STAKE = 2**80 - 1  # wei, per agent
MAX_AGENTS_PER_MODEL = 2_048  # leaves of a model's stake tree
EPOCH_BLOCKS = 256  # a draw reads the stake weights of its draw block's epoch
WITHDRAW_AFTER_EPOCHS = 2  # stake asked out in epoch k leaves in epoch k + 2

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


def registry_tolerance(rule: str, max_steps: int = 0, kind: int = ModelKind.EMBEDDING) -> int:
    """The ModelRegistry tolerance of a manifest's ``agreement_rule`` (name and
    ``max_steps``): 0 for ``exact``, ``max_steps`` for ``int8_max_abs_diff``.

    ValueError for a rule the registry cannot hold (another rule, a tolerance for a
    kind other than embedding, or more than MAX_TOLERANCE steps).
    """
    if rule == "exact":
        return TOLERANCE_EXACT
    if rule != "int8_max_abs_diff":
        raise ValueError(f"unknown agreement rule {rule!r}")
    if max_steps == 0:
        return TOLERANCE_EXACT
    if kind != ModelKind.EMBEDDING:
        raise ValueError("a tolerance applies to embedding models only")
    if not 0 < max_steps <= MAX_TOLERANCE:
        raise ValueError(f"max_steps must lie in 0..{MAX_TOLERANCE}, not {max_steps}")
    return max_steps


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
