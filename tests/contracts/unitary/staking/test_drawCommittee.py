import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import EPOCH_BLOCKS, block_number, to_next_epoch
from tests.contracts.utils.draws import draw_leaves, reference_draw
from tests.contracts.utils.protocol import ETHER

SEED = keccak(b"seed")


def _epoch() -> int:
    return block_number() // EPOCH_BLOCKS


@pytest.mark.parametrize("size", [1, 3, 5, 16])
def test_draws_seats_with_replacement_from_eligible_agents(staking, model_id, agents, size):
    seats = [str(a) for a in staking.drawCommittee(model_id, size, SEED, _epoch())]
    assert len(seats) == size
    assert set(seats) <= {a.owner for a in agents}


@pytest.mark.parametrize("i", range(8))
def test_matches_the_reference_draw(staking, model_id, agents, i):
    seed = keccak(bytes([i]))
    leaves = draw_leaves(staking, model_id, _epoch())
    assert leaves == [(a.owner, (n + 1) * ETHER) for n, a in enumerate(agents)]
    got = [str(a) for a in staking.drawCommittee(model_id, 7, seed, _epoch())]
    assert got == reference_draw(leaves, 7, seed)


def test_same_seed_same_committee(staking, model_id):
    epoch = _epoch()
    assert staking.drawCommittee(model_id, 3, SEED, epoch) == staking.drawCommittee(
        model_id, 3, SEED, epoch
    )


def test_size_zero_is_empty(staking, model_id):
    assert staking.drawCommittee(model_id, 0, SEED, _epoch()) == []


def test_a_model_without_weight_draws_no_one(staking, other_model_id):
    assert staking.drawCommittee(other_model_id, 3, SEED, _epoch()) == []


def test_a_lone_agent_holds_every_seat(staking, other_model_id, make_agent):
    lone = make_agent(models=[other_model_id])
    to_next_epoch()
    assert [str(a) for a in staking.drawCommittee(other_model_id, 5, SEED, _epoch())] == [
        lone.owner
    ] * 5


def test_weights_changed_in_an_epoch_count_from_the_next(staking, model_id, agents, make_agent):
    """A heavy newcomer is never drawn by draw blocks of the epoch it joined in."""
    heavy = make_agent(stake=1_000 * ETHER)
    for i in range(20):
        seats = {str(a) for a in staking.drawCommittee(model_id, 3, keccak(bytes([i])), _epoch())}
        assert heavy.owner not in seats
    to_next_epoch()
    drawn = [str(a) for a in staking.drawCommittee(model_id, 16, SEED, _epoch())]
    assert drawn.count(heavy.owner) >= 14  # 1,000 of 1,015 ETH


def test_agents_that_left_are_drawn_no_more(staking, model_id, agents):
    for a in agents[:2]:
        with boa.env.prank(a.owner):
            staking.requestUnstake(staking.stakeOf(a.owner))
    to_next_epoch()
    for i in range(20):
        seats = {str(x) for x in staking.drawCommittee(model_id, 3, keccak(bytes([i])), _epoch())}
        assert seats <= {a.owner for a in agents[2:]}


def test_reverts_committee_too_large(staking, model_id):
    with boa.reverts("stake_tree: committee too large"):
        staking.drawCommittee(model_id, 17, SEED, _epoch())


def test_reverts_for_an_epoch_out_of_reach(staking, model_id):
    to_next_epoch()
    to_next_epoch()
    epoch = _epoch()
    staking.drawCommittee(model_id, 1, SEED, epoch - 1)
    with boa.reverts("stake_tree: epoch not readable"):
        staking.drawCommittee(model_id, 1, SEED, epoch - 2)
