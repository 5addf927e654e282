"""The committee draw is stake-weighted, exact and fair.

1. Frequencies: thousands of `drawCommittee` calls with fixed seeds (so the test
   is deterministic and cannot flake) follow the stakes: every agent's count is
   within 6 binomial sigmas of its expected count, and a chi-square against the
   exact without-replacement odds (computed here) stays under its 6-sigma bound,
   while the same counts are far from what a uniform draw would give.
2. Exactness: under random registrations, stake changes, unstakes, slashes,
   withdrawals, deregistrations and model-list changes, the Fenwick-tree draw
   returns exactly what a plain prefix-sum walk over the leaves (in join order)
   returns, and its members are distinct and eligible.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import boa
import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.fuzzing import reference
from tests.contracts.fuzzing.conftest import DrawWorld
from tests.contracts.stateful.profiles import LONG, PROFILE, scaled
from tests.contracts.utils.protocol import ETHER

STAKES = [1, 2, 3, 4, 5]  # ETH; distinct, so that a uniform draw is far off
# (committee size, number of draws): deterministic seeds 0..n-1.
DRAWS = {1: 1_500, 2: 700, 3: 450}


def seed(i: int) -> bytes:
    return keccak(b"agentnet committee seed" + i.to_bytes(32, "big"))


@pytest.fixture
def weighted(draw_world: DrawWorld) -> dict[str, int]:
    """Five agents staking 1..5 ETH on the first model: owner -> weight (wei)."""
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    weights = {}
    for keys, eth in zip(draw_world.pool, STAKES, strict=False):
        with boa.env.prank(keys.owner):
            staking.register(keys.signer.address, [model], "", value=eth * ETHER)
        weights[keys.owner] = eth * ETHER
    return weights


@pytest.mark.parametrize("size", sorted(DRAWS))
def test_draw_frequency_follows_stake(draw_world: DrawWorld, weighted, size: int) -> None:
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    n = DRAWS[size]
    ordered: Counter = Counter()
    for i in range(n):
        committee = tuple(str(a) for a in staking.drawCommittee(model, size, seed(i)))
        assert len(set(committee)) == size
        ordered[committee] += 1

    odds = reference.ordered_odds(weighted, size)
    # Every agent's inclusion count: within 6 sigmas of the binomial.
    for agent in weighted:
        p = sum(q for combo, q in odds.items() if agent in combo)
        seen = sum(c for combo, c in ordered.items() if agent in combo)
        assert abs(seen - n * p) <= 6 * math.sqrt(n * p * (1 - p)), (agent, seen, n * p)

    # Chi-square against the exact odds: ordered committees for sizes 1-2, sets
    # for size 3 (so that every cell expects at least 5 draws).
    def cell(combo: tuple[str, ...]) -> tuple[str, ...]:
        return combo if size < 3 else tuple(sorted(combo))

    expected: Counter = Counter()
    for combo, q in odds.items():
        expected[cell(combo)] += n * q
    observed: Counter = Counter()
    for combo, c in ordered.items():
        observed[cell(combo)] += c
    assert min(expected.values()) >= 5
    df = len(expected) - 1
    assert reference.chi2(observed, expected) <= reference.chi2_bound(df)

    # The same counts are nowhere near a stake-blind (uniform) draw.
    uniform = {k: n / len(expected) for k in expected}
    assert reference.chi2(observed, uniform) > 3 * reference.chi2_bound(df)


# ---------------------------------------------------------------- exactness


@dataclass
class Agent:
    owner: str
    status: int = 0  # 0 none, 1 active, 2 deregistered
    stake: int = 0
    pending: int = 0
    models: list[bytes] = field(default_factory=list)


class Model:
    """What the test believes the staking contract holds."""

    def __init__(self, world: DrawWorld) -> None:
        self.world = world
        self.min_stake = world.params.min_stake
        self.agents = {k.owner: Agent(k.owner) for k in world.pool}
        # Leaves per model in join order: an agent joins a model's tree the first
        # time it gets a non-zero weight there, and keeps its leaf for good.
        self.leaves: dict[bytes, list[str]] = {m: [] for m in world.models}

    def weight(self, a: Agent) -> int:
        free = a.stake - a.pending
        return free if a.status == 1 and free >= self.min_stake else 0

    def leaf_weight(self, owner: str, model: bytes) -> int:
        a = self.agents[owner]
        return self.weight(a) if model in a.models else 0

    def sync(self, a: Agent) -> None:
        for m in a.models:
            if self.weight(a) and a.owner not in self.leaves[m]:
                self.leaves[m].append(a.owner)

    def eligible(self, model: bytes) -> list[str]:
        return [o for o in self.leaves[model] if self.leaf_weight(o, model)]


ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["register", "add", "unstake", "withdraw", "deregister", "set_models", "slash", "draw"]
        ),
        st.integers(0, 7),  # agent
        st.integers(0, 2**64),  # amount / seed material
        st.integers(1, 7),  # model mask / size
    ),
    max_size=24,
)


def _models_of(world: DrawWorld, mask: int) -> list[bytes]:
    return [m for i, m in enumerate(world.models) if mask >> i & 1]


def _check_draws(world: DrawWorld, model: Model, mid: bytes, sizes, seed_material: int) -> None:
    staking = world.protocol.staking
    eligible = model.eligible(mid)
    assert [str(a) for a in staking.agentsForModel(mid)] == eligible
    assert staking.eligibleCount(mid) == len(eligible)
    leaves = [(o, model.leaf_weight(o, mid)) for o in model.leaves[mid]]
    assert staking.totalWeight(mid) == sum(w for _, w in leaves)
    for size in sizes:
        if size > len(eligible):
            continue
        s = keccak(seed_material.to_bytes(32, "big") + bytes([size]))
        got = [str(a) for a in staking.drawCommittee(mid, size, s)]
        assert got == reference.draw(leaves, size, s)
        assert len(set(got)) == size
        assert set(got) <= set(eligible)


# Who is registered when an example starts: None, or (stake above min, model mask).
population = st.lists(
    st.tuples(st.integers(0, 5 * ETHER), st.integers(1, 7)) | st.none(),
    min_size=8,
    max_size=8,
)


@pytest.mark.timeout(0 if LONG else 900)
@settings(parent=PROFILE, max_examples=scaled(40, 1_000))
@given(initial=population, steps=ops)
def test_fenwick_draw_matches_reference(draw_world: DrawWorld, initial, steps) -> None:
    world = draw_world
    staking = world.protocol.staking
    market = world.protocol.market
    unbonding = world.params.unbonding_period
    model = Model(world)
    start = [("register", i, *x) for i, x in enumerate(initial) if x is not None]
    for kind, i, amount, mask in start + steps:
        owner = world.pool[i].owner
        a = model.agents[owner]
        if kind == "register" and a.status == 0:
            stake = model.min_stake + amount % (3 * ETHER)
            models = _models_of(world, mask)
            signer = Account.create()
            with boa.env.prank(owner):
                staking.register(signer.address, models, "", value=stake)
            a.status, a.stake, a.pending, a.models = 1, stake, 0, models
        elif kind == "add" and a.status == 1:
            value = 1 + amount % ETHER
            with boa.env.prank(owner):
                staking.addStake(value=value)
            a.stake += value
        elif kind == "unstake" and a.status != 0 and a.stake > a.pending:
            value = 1 + amount % (a.stake - a.pending)
            with boa.env.prank(owner):
                staking.requestUnstake(value)
            a.pending += value
        elif kind == "withdraw" and a.status != 0 and a.pending:
            boa.env.time_travel(seconds=unbonding)
            with boa.env.prank(owner):
                staking.withdrawStake()
            a.stake -= min(a.pending, a.stake)
            a.pending = 0
            if a.status == 2 and a.stake == 0:
                a.status, a.models = 0, []
        elif kind == "deregister" and a.status == 1:
            with boa.env.prank(owner):
                staking.deregister()
            a.status, a.pending = 2, a.stake
        elif kind == "set_models" and a.status == 1:
            models = _models_of(world, mask)
            with boa.env.prank(owner):
                staking.setModels(models)
            a.models = models
        elif kind == "slash" and a.status != 0:
            value = amount % (a.stake + 1)
            with boa.env.prank(market.address):
                staking.slash(owner, value, 1, 1 + mask % 2)
            a.stake -= value
            a.pending = min(a.pending, a.stake)
        elif kind == "draw":
            mid = world.models[i % len(world.models)]
            _check_draws(world, model, mid, [1 + mask % 4], amount)
        model.sync(a)
        assert staking.weightOf(owner, world.models[0]) == model.leaf_weight(owner, world.models[0])

    for n, mid in enumerate(world.models):
        _check_draws(world, model, mid, [1, 2, 3, 4], n)


def test_raised_min_stake_applies_to_the_draw_at_once(draw_world: DrawWorld) -> None:
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    small, large = draw_world.pool[0], draw_world.pool[1]
    for keys, stake in ((small, 15 * ETHER // 100), (large, 5 * ETHER)):
        with boa.env.prank(keys.owner):
            staking.register(keys.signer.address, [model], "", value=stake)
    with boa.env.prank(draw_world.protocol.owner):
        staking.setMinStake(ETHER // 5)

    # The draw and the eligible list follow at once; the count once the agent is poked.
    assert [str(a) for a in staking.agentsForModel(model)] == [large.owner]
    for i in range(20):
        assert [str(a) for a in staking.drawCommittee(model, 1, seed(i))] == [large.owner]
    assert staking.eligibleCount(model) == 2
    staking.poke(small.owner)
    assert staking.eligibleCount(model) == 1
