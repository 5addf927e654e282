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


def seat_random(seed: bytes, seat: int) -> int:
    """keccak256(abi_encode(seed, seat)) as an integer."""
    return int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, seat])), "big")


def reference_draw(leaves: Sequence[tuple[str, int]], size: int, seed: bytes) -> list[str]:
    """The draw in plain Python: seat s goes to the first (agent, weight) leaf whose
    running sum exceeds ``seat_random(seed, s) % total`` (seats with replacement)."""
    total = sum(w for _, w in leaves)
    if total == 0:
        return []
    seats: list[str] = []
    for s in range(size):
        r = seat_random(seed, s) % total
        acc = 0
        for agent, weight in leaves:
            acc += weight
            if acc > r:
                seats.append(agent)
                break
    return seats


def draw_leaves(staking: Any, model_id: bytes, epoch: int) -> list[tuple[str, int]]:
    """(agent, weight) of every leaf a draw in ``epoch`` reads, in leaf order."""
    agents, weights = staking.drawWeights(model_id, epoch)
    return [(str(a), int(w)) for a, w in zip(agents, weights, strict=True)]


def committee_at(
    staking: Any, model_id: bytes, size: int, task_id: int, draw_block: int
) -> list[str]:
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
    (seats,) = move_to_draws(staking, model_id, size, [task_id], lambda drawn: want(drawn[0]))
    return seats


def move_to_draws(
    staking: Any,
    model_id: bytes,
    size: int,
    task_ids: Sequence[int],
    want: Callable[[list[list[str]]], bool],
) -> list[list[str]]:
    """Like :func:`move_to_draw`, for several tasks created in the same block."""
    start = block_number()
    leaves: dict[int, list[tuple[str, int]]] = {}
    for k in range(SEARCH_BLOCKS):
        draw_block = start + 1 + k
        epoch = draw_block // EPOCH_BLOCKS
        if epoch not in leaves:
            leaves[epoch] = draw_leaves(staking, model_id, epoch)
        drawn = [
            reference_draw(leaves[epoch], size, draw_seed(block_hash(draw_block), task_id))
            for task_id in task_ids
        ]
        if want(drawn):
            mine(k)
            return drawn
    raise AssertionError(f"no draw in {SEARCH_BLOCKS} blocks gives the wanted committees")
