import boa

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import event_names, events
from tests.contracts.utils.protocol import ETHER


def test_leaves_every_model_and_unbonds_everything(
    staking, model_id, other_model_id, agents, params
):
    agent = agents[2].owner  # 3 ETH
    with boa.env.prank(agent):
        staking.setModels([model_id, other_model_id])
        staking.requestUnstake(ETHER)
    count = staking.eligibleCount(model_id)
    with boa.env.prank(agent):
        staking.deregister()
    unbond_at = boa.env.timestamp + params.unbonding_period
    assert event_names(staking) == [
        "Deregistered",
        "UnstakeRequested",
        "WeightChanged",
        "WeightChanged",
    ]
    assert events(staking, "Deregistered")[0].agent == agent
    (req,) = events(staking, "UnstakeRequested")
    # Only the part not already pending is newly requested.
    assert (req.amount, req.pending_unstake, req.unbond_at) == (2 * ETHER, 3 * ETHER, unbond_at)
    assert [w.weight for w in events(staking, "WeightChanged")] == [0, 0]

    info = staking.agentInfo(agent)
    assert info.status == 2
    assert info.stake == 3 * ETHER
    assert info.pending_unstake == 3 * ETHER
    assert info.unbond_at == unbond_at
    assert info.weight == 0
    assert staking.eligibleCount(model_id) == count - 1
    assert staking.weightOf(agent, other_model_id) == 0


def test_reverts_twice(staking, agents):
    with boa.env.prank(agents[0].owner):
        staking.deregister()
        with boa.reverts("staking: not an active agent"):
            staking.deregister()
        with boa.reverts("staking: amount exceeds free stake"):
            staking.requestUnstake(1)


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an active agent"):
        staking.deregister()


def test_still_serves_the_committees_it_sits_on(
    staking, market, create_task, members, commit_as, reveal_as
):
    task_id = create_task(size=5, quorum=3)
    committee = members(task_id)
    with boa.env.prank(committee[0]):
        staking.deregister()
    salts = {m: commit_as(task_id, m) for m in committee}
    for m in committee:
        reveal_as(task_id, m, salts[m])
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.reputation(committee[0]) == (1, 0, 0)
    assert market.claimable(committee[0]) > 0


def test_allowed_while_paused(staking, owner, agents):
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(agents[0].owner):
        staking.deregister()
    assert staking.statusOf(agents[0].owner) == 2
