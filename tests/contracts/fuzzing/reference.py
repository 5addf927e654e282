"""Pure-Python reference of AgentStaking's committee draw, and its exact odds.

The contract keeps each model's leaf weights in a Fenwick tree; the reference
walks the same leaves in join order with plain prefix sums. Member k is the
first undrawn leaf whose running sum exceeds `r_k mod W_k`, where
`r_k = keccak256(abi_encode(seed, k))` and `W_k` is the weight not yet drawn.
"""

from __future__ import annotations

import math
from itertools import permutations

from eth_abi import encode
from eth_utils import keccak


def r_k(seed: bytes, k: int) -> int:
    return int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, k])), "big")


def draw(leaves: list[tuple[str, int]], size: int, seed: bytes) -> list[str]:
    """Stake-weighted sampling without replacement over (agent, weight) leaves."""
    remaining = sum(w for _, w in leaves)
    drawn: set[int] = set()
    out: list[str] = []
    for k in range(size):
        r = r_k(seed, k) % remaining
        acc = 0
        for i, (agent, weight) in enumerate(leaves):
            if i in drawn:
                continue
            acc += weight
            if acc > r:
                drawn.add(i)
                out.append(agent)
                remaining -= weight
                break
        else:  # pragma: no cover - r < remaining always lands on a leaf
            raise AssertionError("draw fell off the leaves")
    return out


def ordered_odds(weights: dict[str, int], size: int) -> dict[tuple[str, ...], float]:
    """Exact probability of every ordered committee, drawing without replacement."""
    total = sum(weights.values())
    odds: dict[tuple[str, ...], float] = {}
    for combo in permutations(weights, size):
        p, left = 1.0, total
        for agent in combo:
            p *= weights[agent] / left
            left -= weights[agent]
        odds[combo] = p
    return odds


def chi2_bound(df: int, z: float = 6.0) -> float:
    """Upper quantile of chi-square(df) at about `z` normal sigmas
    (Wilson-Hilferty), so that a correct draw exceeds it with odds ~1e-9."""
    h = 2 / (9 * df)
    return df * (1 - h + z * math.sqrt(h)) ** 3


def chi2(observed: dict, expected: dict) -> float:
    return sum((observed.get(k, 0) - e) ** 2 / e for k, e in expected.items())
