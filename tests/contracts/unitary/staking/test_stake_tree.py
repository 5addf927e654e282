"""The lagged stake tree: weights per epoch, its two-epoch memory, and reused leaves."""

import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import EPOCH_BLOCKS, block_number, mine, to_next_epoch
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.draws import draw_leaves
from tests.contracts.utils.protocol import ETHER, new_agent


def _epoch() -> int:
    return block_number() // EPOCH_BLOCKS


def test_epoch_views(staking):
    assert staking.epochBlocks() == 256
    assert staking.currentEpoch() == _epoch()
    mine(EPOCH_BLOCKS)
    assert staking.currentEpoch() == _epoch()


def test_totals_of_the_previous_current_and_next_epoch(staking, model_id, agents):
    """Changes in two epochs in a row: the previous epoch's total is still read right
    (the node's second word), the one before is out of reach."""
    e = _epoch()
    with boa.env.prank(agents[0].owner):
        staking.addStake(value=ETHER)
    assert staking.totalWeight(model_id) == 16 * ETHER
    assert staking.totalWeightAt(model_id, e) == 15 * ETHER
    assert staking.totalWeightAt(model_id, e + 1) == 16 * ETHER

    to_next_epoch()
    with boa.env.prank(agents[1].owner):
        staking.requestUnstake(2 * ETHER)
    assert staking.totalWeightAt(model_id, e) == 15 * ETHER
    assert staking.totalWeightAt(model_id, e + 1) == 16 * ETHER
    assert staking.totalWeightAt(model_id, e + 2) == 14 * ETHER
    assert staking.weightAt(agents[0].owner, model_id, e) == ETHER
    assert staking.weightAt(agents[0].owner, model_id, e + 1) == 2 * ETHER
    assert staking.weightAt(agents[1].owner, model_id, e + 1) == 2 * ETHER
    assert staking.weightAt(agents[1].owner, model_id, e + 2) == 0

    to_next_epoch()
    with boa.reverts("stake_tree: epoch not readable"):
        staking.totalWeightAt(model_id, e)
    with boa.reverts("stake_tree: epoch not readable"):
        staking.weightAt(agents[0].owner, model_id, e)
    assert staking.totalWeightAt(model_id, e + 1) == 16 * ETHER
    assert staking.totalWeightAt(model_id, e + 2) == 14 * ETHER


def test_several_changes_in_one_epoch_count_as_their_sum(staking, model_id, agents):
    e = _epoch()
    a = agents[2].owner
    with boa.env.prank(a):
        staking.addStake(value=ETHER)
        staking.requestUnstake(ETHER // 2)
        staking.addStake(value=ETHER // 4)
    assert staking.weightAt(a, model_id, e) == 3 * ETHER
    assert staking.weightAt(a, model_id, e + 1) == 3 * ETHER + ETHER * 3 // 4
    assert staking.totalWeightAt(model_id, e) == 15 * ETHER


def test_draw_weights_list_the_leaves_a_draw_reads(staking, model_id, agents):
    e = _epoch()
    with boa.env.prank(agents[0].owner):
        staking.deregister()
    assert draw_leaves(staking, model_id, e) == [
        (a.owner, (i + 1) * ETHER) for i, a in enumerate(agents)
    ]
    assert draw_leaves(staking, model_id, e + 1) == [
        (a.owner, (i + 1) * ETHER) for i, a in enumerate(agents) if i > 0
    ]
    assert [str(a) for a in staking.agentsForModel(model_id)] == [a.owner for a in agents[1:]]


def test_a_freed_leaf_is_reused_two_epochs_later(staking, model_id, agents, make_agent):
    leaving = agents[0]
    leaf = None
    with boa.env.prank(leaving.owner):
        staking.deregister()
    (freed,) = events(staking, "WeightChanged")
    assert freed.weight == 0
    leaf = freed.leaf
    assert staking.leafStats(model_id) == (5, 4, 1)

    early = make_agent()  # the freed leaf may still be read: a new one
    assert events(staking, "WeightChanged")[0].leaf == 6
    mine(EPOCH_BLOCKS)
    assert staking.leafStats(model_id) == (6, 5, 1)
    # The previous epoch still sees the old agent at its leaf.
    assert staking.weightAt(leaving.owner, model_id, _epoch() - 1) == ETHER
    to_next_epoch()
    late = make_agent(stake=2 * ETHER)
    (taken,) = events(staking, "WeightChanged")
    assert taken.leaf == leaf
    assert staking.leafStats(model_id) == (6, 6, 0)
    assert staking.weightOf(late.owner, model_id) == 2 * ETHER
    assert staking.weightOf(leaving.owner, model_id) == 0
    assert early.owner in [str(a) for a in staking.agentsForModel(model_id)]


@pytest.mark.parametrize("cycles", [3])
def test_join_and_leave_cycles_keep_the_leaf_count(staking, model_id, agents, cycles):
    start = staking.leafStats(model_id)[0]
    for _ in range(cycles):
        drifter = new_agent()
        with boa.env.prank(drifter.owner):
            staking.register(drifter.signer.address, [model_id], "", value=ETHER)
            staking.deregister()
        mine(2 * EPOCH_BLOCKS)
    assert staking.leafStats(model_id) == (start + 1, 5, 1)


def test_draws_never_read_a_slash_until_poked(staking, market, model_id, agents):
    """Weights change only through the agent's own calls or `poke`."""
    e = _epoch()
    seed = keccak(b"x")
    before = staking.drawCommittee(model_id, 5, seed, e)
    with boa.env.prank(market.address):
        staking.slash(agents[4].owner, 4 * ETHER, 1, 1)
    assert staking.drawCommittee(model_id, 5, seed, e) == before
    assert staking.weightOf(agents[4].owner, model_id) == 5 * ETHER
    staking.poke(agents[4].owner)
    assert staking.weightOf(agents[4].owner, model_id) == ETHER
    assert staking.drawCommittee(model_id, 5, seed, e) == before  # this epoch is frozen
