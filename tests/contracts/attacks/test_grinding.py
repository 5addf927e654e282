"""Attack 1 of the v1 audit: choosing the committee by reverting.

A contract creates (v1) or activates (v2) a task and reverts unless the attacker's
agents hold the quorum, retrying every block. With 30% of the stake, the fair
chance to hold at least 2 of 3 seats is 3(0.3^2)(0.7) + 0.3^3 = 0.216.

- v1 seeds the draw from `prevrandao` at `createTask`: every block is a new roll,
  so the grinder captures (almost) every task it wants.
- v2 draws from the hash of the block after creation, with weights frozen before
  it: every activation of a task, whoever sends it and whenever, seats the same
  committee, so the grinder captures exactly the tasks the fair draw gives it.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from deployments.boa_chain import EPOCH_BLOCKS, block_hash, block_number, mine, to_next_epoch
from deployments.params import Params
from tests.contracts.attacks.conftest import World, next_block
from tests.contracts.attacks.stats import binom_test, capture_probability, clopper_pearson
from tests.contracts.utils.draws import draw_leaves, draw_seed, reference_draw
from tests.contracts.utils.protocol import ETHER

SIZE, QUORUM, SHARE = 3, 2, 0.3
FAIR = capture_probability(SIZE, QUORUM, SHARE)  # 0.216
TASKS_V2 = 200
PER_BLOCK = 20  # v2 tasks created per block (one draw block, a seed per task id)
RETRIED_PER_BLOCK = 2
TASKS_V1 = 20
TRIES_V1 = 20  # blocks in which the grinder tries to create each v1 task
FEE = 10**15


def _pool(world: World) -> list[str]:
    """Seven honest agents and three attacker agents, 1 ETH each: 30% attacker stake."""
    for _ in range(7):
        world.add_agent(ETHER)
    return [world.add_agent(ETHER).owner for _ in range(3)]


def _held(world: World, task_id: int, attacker: list[str]) -> int:
    return sum(1 for m in world.market.committeeOf(task_id) if str(m) in attacker)


def _attempt(fn: Any, *args: Any, value: int = 0) -> bool:
    """Send one call as a transaction would; True when it did not revert.

    (A plain message call: titanoboa's error reports would cost more than the call.)
    """
    computation = boa.env.execute_code(
        to_address=fn.contract.address,
        sender=boa.env.eoa,
        value=value,
        data=fn.prepare_calldata(*args),
    )
    return not computation.is_error


def test_fair_rate_is_the_binomial_tail():
    assert pytest.approx(0.216) == FAIR


def test_v2_grinding_captures_no_more_than_the_fair_draw(deploy_v2, grinder):
    world = deploy_v2(Params())
    attacker = _pool(world)
    to_next_epoch()
    g = grinder(world, attacker)
    boa.env.set_balance(boa.env.eoa, 1_000 * ETHER)
    captured = 0
    for _ in range(TASKS_V2 // PER_BLOCK):
        draw_block = block_number() + 1
        tasks = [g.create(world.model_id, SIZE, QUORUM, value=FEE) for _ in range(PER_BLOCK)]
        mine(2)
        leaves = draw_leaves(world.staking, world.model_id, draw_block // EPOCH_BLOCKS)
        waiting = []
        for task_id in tasks:
            seats = reference_draw(leaves, SIZE, draw_seed(block_hash(draw_block), task_id))
            fair = sum(1 for m in seats if m in attacker) >= QUORUM
            hit = _attempt(g.activate_and_capture, task_id, QUORUM)
            # The grinder captures exactly what the fair draw of the draw block gives it.
            assert hit == fair
            captured += hit
            if not hit:
                waiting.append(task_id)
        # Retrying in a later block changes nothing, and an honest worker seats the
        # same committee (a few per block: each retry is a full activation).
        next_block()
        for task_id in waiting[:RETRIED_PER_BLOCK]:
            assert not _attempt(g.activate_and_capture, task_id, QUORUM)
            world.market.activate(task_id)
            assert _held(world, task_id, attacker) < QUORUM

    low, high = clopper_pearson(captured, TASKS_V2)
    print(f"v2 grinding: {captured}/{TASKS_V2} captured, 99.9% CI [{low:.3f}, {high:.3f}]")
    assert low <= FAIR <= high
    assert binom_test(captured, TASKS_V2, FAIR) > 0.001
    assert high < 0.5


def test_v1_grinding_captures_almost_every_task(deploy_v1, grinder):
    world = deploy_v1(Params())
    attacker = _pool(world)
    g = grinder(world, attacker)
    boa.env.set_balance(boa.env.eoa, 1_000 * ETHER)
    captured = 0
    for _ in range(TASKS_V1):
        for _ in range(TRIES_V1):
            next_block()
            if _attempt(g.create_and_capture, world.model_id, SIZE, QUORUM, value=FEE):
                captured += 1
                task_id = world.market.task_count()
                assert _held(world, task_id, attacker) >= QUORUM
                break
    low, high = clopper_pearson(captured, TASKS_V1)
    print(f"v1 grinding: {captured}/{TASKS_V1} captured, 99.9% CI [{low:.3f}, {high:.3f}]")
    assert captured >= TASKS_V1 - 1
    assert low > 0.5
