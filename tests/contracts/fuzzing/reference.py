"""Pure-Python reference of AgentStaking's lagged stake trees and committee draw.

`LeafBook` keeps what the contract should hold for one model without any tree:
which agent sits on which leaf (leaves taken in order, freed ones reused from a
queue two epochs after they were freed) and every weight change with its epoch.
The weights a draw in epoch `j` reads are the last changes made before `j`; the
draw itself is `tests.contracts.utils.draws.reference_draw` (seats with
replacement, the first leaf whose running sum exceeds `r mod total`).

The statistics helpers give chi-square bounds that a correct draw exceeds with
odds of about 1e-9, so the frequency tests (fixed seeds) cannot flake.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

MAX_LEAVES = 2_048
REUSE_AFTER_EPOCHS = 2


@dataclass
class LeafBook:
    """One model's leaves, as the contract should hold them."""

    leaves: list[str] = field(default_factory=list)  # leaf i + 1 -> agent last placed there
    leaf_of: dict[str, int] = field(default_factory=dict)  # agent -> its leaf (1-based)
    weight: dict[int, int] = field(default_factory=dict)  # leaf -> weight now
    changes: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # leaf -> (epoch, w)
    free: deque[tuple[int, int]] = field(default_factory=deque)  # (leaf, epoch freed)

    def weight_now(self, agent: str) -> int:
        leaf = self.leaf_of.get(agent)
        if leaf is None or self.leaves[leaf - 1] != agent:
            return 0
        return self.weight.get(leaf, 0)

    def set_weight(self, agent: str, weight: int, epoch: int) -> None:
        old = self.weight_now(agent)
        if old == weight:
            return
        if old == 0:
            if self.free and self.free[0][1] + REUSE_AFTER_EPOCHS <= epoch:
                leaf, _ = self.free.popleft()
                self.leaves[leaf - 1] = agent
            else:
                assert len(self.leaves) < MAX_LEAVES
                self.leaves.append(agent)
                leaf = len(self.leaves)
            self.leaf_of[agent] = leaf
        else:
            leaf = self.leaf_of[agent]
            if weight == 0:
                self.free.append((leaf, epoch))
        self.weight[leaf] = weight
        self.changes.setdefault(leaf, []).append((epoch, weight))

    def weight_at(self, leaf: int, epoch: int) -> int:
        """A leaf's weight at the start of `epoch`: its last change made before it."""
        before = [w for e, w in self.changes.get(leaf, []) if e < epoch]
        return before[-1] if before else 0

    def draw_leaves(self, epoch: int) -> list[tuple[str, int]]:
        """(agent, weight) of the leaves a draw in `epoch` reads, in leaf order."""
        out = []
        for i, agent in enumerate(self.leaves):
            w = self.weight_at(i + 1, epoch)
            if w:
                out.append((agent, w))
        return out

    def eligible(self) -> list[str]:
        return [a for i, a in enumerate(self.leaves) if self.weight.get(i + 1, 0)]


def chi2_bound(df: int, z: float = 6.0) -> float:
    """Upper quantile of chi-square(df) at about `z` normal sigmas
    (Wilson-Hilferty), so that a correct draw exceeds it with odds ~1e-9."""
    h = 2 / (9 * df)
    return df * (1 - h + z * math.sqrt(h)) ** 3


def chi2(observed: dict, expected: dict) -> float:
    return sum((observed.get(k, 0) - e) ** 2 / e for k, e in expected.items())
