"""Blocks on titanoboa's in-process EVM: block hashes that hold still, and moving the chain.

titanoboa mines no blocks: ``blockhash`` knows the parent block only and reads every
older block as zero, while the committee draw seeds from the hash of the block after
a task's creation, read a few blocks later. :func:`install_block_hashes` gives every
block number a fixed pseudo-random hash (``keccak(salt || number)``), served through
``boa.env.evm.patch.prev_hashes`` relative to the current block number, so that
``blockhash(n)`` answers the same whenever it is asked within 256 blocks, as on a real
chain. Used by the contract tests, the gas benchmark and the in-process demo.
"""

from __future__ import annotations

from collections.abc import Iterator

import boa
from eth_utils import keccak

# What `blockhash` reads: the last 256 blocks.
BLOCKHASH_DEPTH = 256
# Stake weights change per epoch of this many blocks (contracts/modules/constants.vy).
EPOCH_BLOCKS = 256
DEFAULT_SALT = b"agentnet in-process chain"


def block_hash(number: int, salt: bytes = DEFAULT_SALT) -> bytes:
    """The hash block ``number`` has once :func:`install_block_hashes` ran with ``salt``."""
    return keccak(salt + number.to_bytes(32, "big"))


class _AncestorHashes:
    """``prev_hashes`` for the current block: index i is block ``number - 1 - i``."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt

    def __iter__(self) -> Iterator[bytes]:
        number = int(boa.env.evm.patch.block_number)
        for depth in range(BLOCKHASH_DEPTH):
            ancestor = number - 1 - depth
            if ancestor < 0:
                return
            yield block_hash(ancestor, self.salt)


def install_block_hashes(salt: bytes = DEFAULT_SALT) -> None:
    """Make ``blockhash`` answer like a real chain's for the rest of this process.

    titanoboa's anchors save and restore the patch, so an anchored test keeps it.
    """
    boa.env.evm.patch.prev_hashes = _AncestorHashes(salt)


def block_number() -> int:
    return int(boa.env.evm.patch.block_number)


def epoch_of(number: int) -> int:
    return number // EPOCH_BLOCKS


def mine(blocks: int = 1) -> None:
    """Move the chain ``blocks`` blocks (12 seconds each) forward."""
    if blocks > 0:
        boa.env.time_travel(blocks=blocks)


def to_next_epoch() -> None:
    """Move to the first block of the next stake epoch.

    Weight changes made before count for draws from there on: a task created now
    draws from the stakes as they stand.
    """
    mine(EPOCH_BLOCKS - block_number() % EPOCH_BLOCKS)
