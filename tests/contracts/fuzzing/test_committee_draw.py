"""The committee draw is stake-weighted, exact, lagged and fair.

1. Frequencies: thousands of `drawCommittee` calls with fixed seeds (so the test
   is deterministic and cannot flake) follow the stakes seat by seat: a chi-square
   of the seat counts against the stake shares, and of the ordered seat pairs
   against the products of the shares (seats are drawn with replacement, so two
   seats are independent), stays under its 6-sigma bound, while the same counts are
   far from what a uniform draw would give.
2. Exactness: under random registrations, stake changes, unstakes, slashes and
   pokes, withdrawals, deregistrations, model-list changes and moves across epochs,
   the lagged Fenwick tree returns exactly the leaves and weights a plain Python
   ledger (`reference.LeafBook`) says a draw of the current and of the previous
   epoch reads, and `drawCommittee` returns exactly the reference draw over them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import boa
import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from deployments.boa_chain import EPOCH_BLOCKS, block_number, mine, to_next_epoch
from tests.contracts.fuzzing import reference
from tests.contracts.fuzzing.conftest import DrawWorld
from tests.contracts.stateful.profiles import LONG, PROFILE, scaled
from tests.contracts.utils.draws import draw_leaves, reference_draw
from tests.contracts.utils.protocol import ETHER
from tests.contracts.utils.timing import wait_until_withdrawable

STAKES = [1, 2, 3, 4, 5]  # ETH; distinct, so that a uniform draw is far off
# (committee size, number of draws): deterministic seeds 0..n-1 (size 2 checks the
# 25 ordered seat pairs too, which takes 1,200 draws for 5 expected in each).
DRAWS = {1: 1_500, 2: 1_200, 3: 450}


def seed(i: int) -> bytes:
    return keccak(b"agentnet committee seed" + i.to_bytes(32, "big"))


def _epoch() -> int:
    return block_number() // EPOCH_BLOCKS


@pytest.fixture
def weighted(draw_world: DrawWorld) -> dict[str, int]:
    """Five agents staking 1..5 ETH on the first model, drawable: owner -> weight."""
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    weights = {}
    for keys, eth in zip(draw_world.pool, STAKES, strict=False):
        with boa.env.prank(keys.owner):
            staking.register(keys.signer.address, [model], "", value=eth * ETHER)
        weights[keys.owner] = eth * ETHER
    to_next_epoch()
    return weights


@pytest.mark.parametrize("size", sorted(DRAWS))
def test_draw_frequency_follows_stake(draw_world: DrawWorld, weighted, size: int) -> None:
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    n = DRAWS[size]
    epoch = _epoch()
    total = sum(weighted.values())
    share = {a: w / total for a, w in weighted.items()}
    seats: Counter = Counter()
    pairs: Counter = Counter()
    for i in range(n):
        committee = [str(a) for a in staking.drawCommittee(model, size, seed(i), epoch)]
        assert len(committee) == size
        seats.update(committee)
        if size == 2:
            pairs[(committee[0], committee[1])] += 1

    # Every seat is an independent draw in proportion to stake.
    expected = {a: n * size * p for a, p in share.items()}
    bound = reference.chi2_bound(len(expected) - 1)
    assert reference.chi2(seats, expected) <= bound
    uniform = {a: n * size / len(share) for a in share}
    assert reference.chi2(seats, uniform) > 3 * bound

    # With replacement: the first two seats are independent (a repeat is as likely
    # as the product of the shares says).
    if size == 2:
        expected_pairs = {(a, b): n * share[a] * share[b] for a in share for b in share}
        assert min(expected_pairs.values()) >= 5
        bound = reference.chi2_bound(len(expected_pairs) - 1)
        assert reference.chi2(pairs, expected_pairs) <= bound


# ---------------------------------------------------------------- exactness


@dataclass
class Agent:
    owner: str
    status: int = 0  # 0 none, 1 active, 2 deregistered
    stake: int = 0
    pending: int = 0
    models: list[bytes] = field(default_factory=list)


class Ledger:
    """What the test believes the staking contract holds."""

    def __init__(self, world: DrawWorld) -> None:
        self.world = world
        self.min_stake = world.params.min_stake
        self.agents = {k.owner: Agent(k.owner) for k in world.pool}
        self.books = {m: reference.LeafBook() for m in world.models}

    def weight(self, a: Agent) -> int:
        free = a.stake - a.pending
        return free if a.status == 1 and free >= self.min_stake else 0

    def sync(self, a: Agent, old_models: list[bytes] | None = None) -> None:
        """The contract's `_sync`/`_sync_models`: weights follow the agent's record."""
        epoch = _epoch()
        for m in old_models or []:
            if m not in a.models:
                self.books[m].set_weight(a.owner, 0, epoch)
        for m in a.models:
            self.books[m].set_weight(a.owner, self.weight(a), epoch)


ops = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "register",
                "add",
                "unstake",
                "withdraw",
                "deregister",
                "set_models",
                "slash",
                "poke",
                "blocks",
                "epoch",
                "draw",
            ]
        ),
        st.integers(0, 7),  # agent
        st.integers(0, 2**64),  # amount / seed material
        st.integers(1, 7),  # model mask / size
    ),
    max_size=24,
)


def _models_of(world: DrawWorld, mask: int) -> list[bytes]:
    return [m for i, m in enumerate(world.models) if mask >> i & 1]


def _check_draws(world: DrawWorld, ledger: Ledger, mid: bytes, size: int, material: int) -> None:
    staking = world.protocol.staking
    book = ledger.books[mid]
    assert [str(a) for a in staking.agentsForModel(mid)] == book.eligible()
    assert staking.eligibleCount(mid) == len(book.eligible())
    assert staking.leafStats(mid)[0] == len(book.leaves)
    for epoch in {max(_epoch() - 1, 0), _epoch(), _epoch() + 1}:
        leaves = book.draw_leaves(epoch)
        assert draw_leaves(staking, mid, epoch) == leaves
        assert staking.totalWeightAt(mid, epoch) == sum(w for _, w in leaves)
        s = keccak(material.to_bytes(32, "big") + bytes([size]))
        got = [str(a) for a in staking.drawCommittee(mid, size, s, epoch)]
        assert got == reference_draw(leaves, size, s)


# Who is registered when an example starts: None, or (stake above min, model mask).
population = st.lists(
    st.tuples(st.integers(0, 5 * ETHER), st.integers(1, 7)) | st.none(),
    min_size=8,
    max_size=8,
)


@pytest.mark.timeout(0 if LONG else 900)
@settings(parent=PROFILE, max_examples=scaled(40, 1_000))
@given(initial=population, steps=ops)
def test_lagged_tree_matches_reference(draw_world: DrawWorld, initial, steps) -> None:
    world = draw_world
    staking = world.protocol.staking
    market = world.protocol.market
    ledger = Ledger(world)
    start = [("register", i, *x) for i, x in enumerate(initial) if x is not None]
    for kind, i, amount, mask in start + steps:
        owner = world.pool[i].owner
        a = ledger.agents[owner]
        old_models = list(a.models)
        if kind == "register" and a.status == 0:
            stake = ledger.min_stake + amount % (3 * ETHER)
            models = _models_of(world, mask)
            with boa.env.prank(owner):
                staking.register(Account.create().address, models, "", value=stake)
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
            wait_until_withdrawable(staking, owner)
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
            # The stake drops at once; the trees only on the agent's next change or poke.
            value = amount % (a.stake + 1)
            with boa.env.prank(market.address):
                staking.slash(owner, value, 1, 1 + mask % 2)
            a.stake -= value
            a.pending = min(a.pending, a.stake)
            continue
        elif kind == "poke" and a.status != 0:
            staking.poke(owner)
        elif kind == "blocks":
            mine(1 + amount % 300)
            continue
        elif kind == "epoch":
            to_next_epoch()
            continue
        elif kind == "draw":
            mid = world.models[i % len(world.models)]
            _check_draws(world, ledger, mid, 1 + mask % 4, amount)
            continue
        else:
            continue
        ledger.sync(a, old_models)
        for m in world.models:
            assert staking.weightOf(owner, m) == ledger.books[m].weight_now(owner)

    for n, mid in enumerate(world.models):
        _check_draws(world, ledger, mid, 4, n)


def test_draws_never_read_min_stake(draw_world: DrawWorld) -> None:
    """Raising `min_stake` changes no draw until an agent is poked, and a poke counts
    from the next epoch: nothing the owner does once a seed is known changes a draw."""
    staking = draw_world.protocol.staking
    model = draw_world.models[0]
    small, large = draw_world.pool[0], draw_world.pool[1]
    for keys, stake in ((small, 15 * ETHER // 100), (large, 5 * ETHER)):
        with boa.env.prank(keys.owner):
            staking.register(keys.signer.address, [model], "", value=stake)
    to_next_epoch()
    epoch = _epoch()
    before = [staking.drawCommittee(model, 3, seed(i), epoch) for i in range(100)]
    assert any(small.owner in map(str, c) for c in before)
    with boa.env.prank(draw_world.protocol.owner):
        staking.setMinStake(ETHER // 5)
    staking.poke(small.owner)
    assert [str(a) for a in staking.agentsForModel(model)] == [large.owner]
    assert [staking.drawCommittee(model, 3, seed(i), epoch) for i in range(100)] == before
    to_next_epoch()
    for i in range(20):
        assert [str(a) for a in staking.drawCommittee(model, 3, seed(i), _epoch())] == [
            large.owner
        ] * 3
