import boa
import pytest
from eth_utils import keccak

from tests.contracts.utils.protocol import ETHER

SEED = keccak(b"seed")


@pytest.mark.parametrize("size", [1, 3, 5])
def test_draws_distinct_eligible_agents(staking, model_id, agents, size):
    committee = [str(a) for a in staking.drawCommittee(model_id, size, SEED)]
    assert len(committee) == size
    assert len(set(committee)) == size
    assert set(committee) <= {a.owner for a in agents}


def test_whole_pool_is_drawn_when_size_equals_eligible(staking, model_id, agents):
    committee = {str(a) for a in staking.drawCommittee(model_id, 5, SEED)}
    assert committee == {a.owner for a in agents}


def test_same_seed_same_committee(staking, model_id):
    assert staking.drawCommittee(model_id, 3, SEED) == staking.drawCommittee(model_id, 3, SEED)


def test_size_zero_is_empty(staking, model_id):
    assert staking.drawCommittee(model_id, 0, SEED) == []


def test_ineligible_agents_are_never_drawn(staking, model_id, agents):
    for a in agents[:2]:
        with boa.env.prank(a.owner):
            staking.requestUnstake(staking.stakeOf(a.owner))
    for i in range(20):
        committee = {str(x) for x in staking.drawCommittee(model_id, 3, keccak(bytes([i])))}
        assert committee == {a.owner for a in agents[2:]}


def test_single_heavy_agent_is_always_first_when_alone(staking, model_id, make_agent, agents):
    heavy = make_agent(stake=1_000 * ETHER)
    for a in agents:
        with boa.env.prank(a.owner):
            staking.deregister()
    assert [str(a) for a in staking.drawCommittee(model_id, 1, SEED)] == [heavy.owner]


def test_reverts_committee_too_large(staking, model_id, make_agent):
    for _ in range(12):
        make_agent()
    assert staking.eligibleCount(model_id) == 17
    assert len(staking.drawCommittee(model_id, 16, SEED)) == 16
    with boa.reverts("staking: committee too large"):
        staking.drawCommittee(model_id, 17, SEED)


def test_reverts_not_enough_eligible_agents(staking, model_id, other_model_id):
    with boa.reverts("staking: not enough eligible agents"):
        staking.drawCommittee(model_id, 6, SEED)
    with boa.reverts("staking: not enough eligible agents"):
        staking.drawCommittee(other_model_id, 1, SEED)
