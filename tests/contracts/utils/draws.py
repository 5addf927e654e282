"""Committee draws as a test sees them: seeds, seats and members, and choosing a draw.

A task created in block ``N`` draws from ``blockhash(N + 1)`` (titanoboa answers it
through :mod:`deployments.boa_chain`), so a test that needs a given committee moves the
chain to a block whose successor's hash yields it, then creates the task: the way a
patient requester on a real chain would, and nothing a contract could tell apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from deployments.boa_chain import EPOCH_BLOCKS, block_hash, block_number, mine

# How far to look for a draw block that gives the wanted committee.
SEARCH_BLOCKS = 3_000


def draw_seed(draw_block_hash: bytes, task_id: int) -> bytes:
    """The market's seed: keccak256(abi_encode(blockhash(draw_block), task_id))."""
    return keccak(encode(["bytes32", "uint256"], [draw_block_hash, task_id]))


def members_of(seats: Sequence[Any]) -> list[str]:
    """Distinct members of a committee, in the order of their first seat."""
    return list(dict.fromkeys(str(s) for s in seats))


def seats_of(seats: Sequence[Any]) -> dict[str, int]:
    """Member -> seats it holds."""
    out: dict[str, int] = {}
    for s in seats:
        out[str(s)] = out.get(str(s), 0) + 1
    return out


def committee_at(staking: Any, model_id: bytes, size: int, task_id: int, draw_block: int) -> list[str]:
    """The seats a task ``task_id`` with this draw block gets (the block may lie ahead)."""
    seed = draw_seed(block_hash(draw_block), task_id)
    return [str(a) for a in staking.drawCommittee(model_id, size, seed, draw_block // EPOCH_BLOCKS)]


def distinct(seats: list[str]) -> bool:
    return len(set(seats)) == len(seats)


def move_to_draw(
    staking: Any,
    model_id: bytes,
    size: int,
    task_id: int,
    want: Callable[[list[str]], bool],
) -> list[str]:
    """Mine until a task created in the current block would draw seats ``want`` accepts.

    Returns those seats. The task to be created must be ``task_id`` (the next id).
    """
    start = block_number()
    for k in range(SEARCH_BLOCKS):
        seats = committee_at(staking, model_id, size, task_id, start + 1 + k)
        if want(seats):
            mine(k)
            return seats
    raise AssertionError(f"no draw in {SEARCH_BLOCKS} blocks gives the wanted committee")
