"""Attack 4 of the v1 audit: closing a model with throwaway agents.

A model's stake tree holds at most 2,048 leaves. v1 never freed a leaf, so 2,048
agents that joined and left closed the model to new agents for ever. v2 frees the
leaf of an agent whose weight falls to zero and hands it out again two epochs later.

Joining 2,048 times takes minutes, so both versions start with the leaf counter
set in storage to 2,047 (one fresh leaf left): the smallest model that shows it.
"""

from __future__ import annotations

import boa

from deployments.boa_chain import EPOCH_BLOCKS, mine
from deployments.params import Params
from tests.contracts.attacks.conftest import World
from tests.contracts.utils import storage
from tests.contracts.utils.protocol import ETHER, new_agent

CYCLES = 8


def _nearly_full(world: World) -> None:
    """One real agent, and the leaf counter moved to 2,047."""
    world.add_agent(ETHER)
    slot = storage.model_leaves_slot(world.staking, world.model_id)
    word = storage.read(world.staking, slot)
    counter_bits = 16 if world.version == 2 else 32
    assert word & (2**counter_bits - 1) == 1
    storage.write(world.staking, slot, word - 1 + 2_047)


def _join_and_leave(world: World) -> None:
    drifter = new_agent()
    with boa.env.prank(drifter.owner):
        world.staking.register(drifter.signer.address, [world.model_id], "", value=ETHER)
        world.staking.deregister()


def test_v2_reuses_the_leaves_of_agents_that_left(deploy_v2):
    world = deploy_v2(Params())
    _nearly_full(world)
    for _ in range(CYCLES):
        _join_and_leave(world)
        mine(2 * EPOCH_BLOCKS)
    # Eight throwaway agents came and went through one leaf: the model stays open.
    assert world.staking.leafStats(world.model_id) == (2_048, 1, 1)
    late = world.add_agent(ETHER)
    assert world.staking.weightOf(late.owner, world.model_id) == ETHER
    assert world.staking.leafStats(world.model_id) == (2_048, 2, 0)


def test_v2_a_model_is_closed_for_two_epochs_at_most(deploy_v2):
    world = deploy_v2(Params())
    _nearly_full(world)
    _join_and_leave(world)  # takes the last fresh leaf and frees it at once
    newcomer = new_agent()
    with boa.env.prank(newcomer.owner), boa.reverts("stake_tree: model has too many agents"):
        world.staking.register(newcomer.signer.address, [world.model_id], "", value=ETHER)
    mine(2 * EPOCH_BLOCKS)
    with boa.env.prank(newcomer.owner):
        world.staking.register(newcomer.signer.address, [world.model_id], "", value=ETHER)
    assert world.staking.eligibleCount(world.model_id) == 2


def test_v1_closed_the_model_for_ever(deploy_v1):
    world = deploy_v1(Params())
    _nearly_full(world)
    _join_and_leave(world)
    mine(100 * EPOCH_BLOCKS)
    boa.env.time_travel(seconds=365 * 86_400)
    newcomer = new_agent()
    with boa.env.prank(newcomer.owner), boa.reverts("staking: model has too many agents"):
        world.staking.register(newcomer.signer.address, [world.model_id], "", value=ETHER)
