"""Attack 2 of the v1 audit: splitting stake over many agents.

30% of a model's stake faces one honest agent with 70%.
- v1 drew members without replacement: an agent held at most one seat whatever its
  stake, so thirty 1% agents held 2 of 3 seats against the 70% agent every time.
- v2 draws seats with replacement and counts votes per seat: the attacker's seats
  follow Binomial(3, 0.3) whether its 30% sits in one agent or in thirty.
"""

from __future__ import annotations

from collections import Counter

import boa

from deployments.boa_chain import EPOCH_BLOCKS, block_hash, block_number, mine, to_next_epoch
from deployments.params import Params
from tests.contracts.attacks.conftest import World
from tests.contracts.attacks.stats import (
    binom_pmf,
    capture_probability,
    chi2_sf,
    clopper_pearson,
)
from tests.contracts.fuzzing.reference import chi2
from tests.contracts.utils.draws import draw_leaves, draw_seed, reference_draw
from tests.contracts.utils.protocol import ETHER

SIZE, QUORUM, SHARE = 3, 2, 0.3
FAIR = capture_probability(SIZE, QUORUM, SHARE)
TASKS = 300
PER_BLOCK = 50
V1_TASKS = 50


def _split_world(world: World, pieces: int) -> list[str]:
    """One honest agent with 70 ETH; the attacker's 30 ETH in `pieces` agents."""
    world.add_agent(70 * ETHER)
    return [world.add_agent(30 * ETHER // pieces).owner for _ in range(pieces)]


def _seat_counts(world: World, attacker: list[str]) -> Counter:
    """Attacker seats per task over TASKS v2 tasks (the committees their activation
    seats, read with `previewCommittee` once the draw block is mined)."""
    counts: Counter = Counter()
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, 1_000 * ETHER)
    for _ in range(TASKS // PER_BLOCK):
        with boa.env.prank(requester):
            tasks = [
                world.market.createTask(world.model_id, b"x", SIZE, QUORUM, [], value=10**15)
                for _ in range(PER_BLOCK)
            ]
        draw_block = block_number() + 1
        mine(2)
        leaves = draw_leaves(world.staking, world.model_id, draw_block // EPOCH_BLOCKS)
        for task_id in tasks:
            seats = reference_draw(leaves, SIZE, draw_seed(block_hash(draw_block), task_id))
            counts[sum(1 for s in seats if s in attacker)] += 1
        # The reference is what the market seats (checked on the block's first task).
        preview = [str(a) for a in world.market.previewCommittee(tasks[0])]
        assert preview == reference_draw(leaves, SIZE, draw_seed(block_hash(draw_block), tasks[0]))
    return counts


def test_splitting_stake_changes_nothing_in_v2(deploy_v2):
    results = {}
    for pieces in (1, 30):
        world = deploy_v2(Params())
        attacker = _split_world(world, pieces)
        to_next_epoch()
        results[pieces] = _seat_counts(world, attacker)

    expected = {k: TASKS * binom_pmf(k, SIZE, SHARE) for k in range(SIZE + 1)}
    for pieces, counts in results.items():
        captured = sum(n for k, n in counts.items() if k >= QUORUM)
        low, high = clopper_pearson(captured, TASKS)
        print(
            f"v2, 30% stake in {pieces} agent(s): {captured}/{TASKS} captured, "
            f"99.9% CI [{low:.3f}, {high:.3f}], seats {dict(sorted(counts.items()))}"
        )
        assert low <= FAIR <= high
        # The attacker's seat counts follow Binomial(3, 0.3).
        assert chi2_sf(chi2(counts, expected), SIZE) > 0.001

    # One agent or thirty: the same law (chi-square homogeneity, 2 x 4 table).
    one, thirty = results[1], results[30]
    stat = 0.0
    for k in range(SIZE + 1):
        pooled = (one[k] + thirty[k]) / 2
        if pooled:
            stat += (one[k] - pooled) ** 2 / pooled + (thirty[k] - pooled) ** 2 / pooled
    p_value = chi2_sf(stat, SIZE)
    print(f"one vs thirty agents: homogeneity chi-square {stat:.2f}, df 3, p = {p_value:.3f}")
    assert p_value > 0.001


def test_splitting_stake_won_every_v1_committee(deploy_v1):
    world = deploy_v1(Params())
    attacker = _split_world(world, 30)
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, 1_000 * ETHER)
    captured = 0
    for i in range(V1_TASKS):
        boa.env.evm.patch.prevrandao = block_hash(i, b"v1 prevrandao")
        with boa.env.prank(requester):
            task_id = world.market.createTask(world.model_id, b"x", SIZE, QUORUM, [], value=10**15)
        held = sum(1 for m in world.market.committeeOf(task_id) if str(m) in attacker)
        captured += held >= QUORUM
    print(f"v1, 30% stake in 30 agents: {captured}/{V1_TASKS} captured")
    assert captured == V1_TASKS
