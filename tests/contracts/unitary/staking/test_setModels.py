import boa
from eth_utils import keccak

from tests.contracts.unitary.helpers import events


def test_moves_weight_between_models(staking, model_id, other_model_id, agents):
    agent = agents[1].owner  # 2 ETH on model_id
    stake = staking.stakeOf(agent)
    count = staking.eligibleCount(model_id)
    with boa.env.prank(agent):
        staking.setModels([other_model_id])
    (models_set,) = events(staking, "ModelsSet")
    assert models_set.agent == agent
    assert models_set.models == [other_model_id]
    changes = [(w.model_id, w.weight) for w in events(staking, "WeightChanged")]
    assert changes == [(model_id, 0), (other_model_id, stake)]

    assert staking.modelsOf(agent) == [other_model_id]
    assert staking.weightOf(agent, model_id) == 0
    assert staking.weightOf(agent, other_model_id) == stake
    assert staking.eligibleCount(model_id) == count - 1
    assert staking.eligibleCount(other_model_id) == 1
    assert [str(a) for a in staking.agentsForModel(other_model_id)] == [agent]
    assert agent not in [str(a) for a in staking.agentsForModel(model_id)]


def test_coming_back_takes_a_leaf_again(staking, model_id, other_model_id, agents):
    """Leaving a model frees the agent's leaf; coming back takes the oldest freed
    leaf that no readable epoch still sees, else a new one."""
    agent = agents[1].owner
    leaves = staking.leafStats(model_id)[0]
    with boa.env.prank(agent):
        staking.setModels([other_model_id])
    assert staking.leafStats(model_id) == (leaves, 4, 1)
    with boa.env.prank(agent):
        staking.setModels([other_model_id, model_id])
    (changed,) = [ev for ev in events(staking, "WeightChanged") if ev.model_id == model_id]
    assert changed.leaf == leaves + 1  # its old leaf is two epochs from reuse
    assert staking.leafStats(model_id) == (leaves + 1, 5, 1)
    assert staking.weightOf(agent, model_id) == staking.stakeOf(agent)


def test_reverts_for_unknown_agent(staking, stranger, model_id):
    with boa.env.prank(stranger), boa.reverts("staking: not an active agent"):
        staking.setModels([model_id])


def test_reverts_for_deregistered_agent(staking, agents, model_id):
    with boa.env.prank(agents[0].owner):
        staking.deregister()
        with boa.reverts("staking: not an active agent"):
            staking.setModels([model_id])


def test_reverts_no_models(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: no models"):
        staking.setModels([])


def test_reverts_duplicate_model(staking, agents, model_id):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: duplicate model"):
        staking.setModels([model_id, model_id])


def test_reverts_unknown_model(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: model not active"):
        staking.setModels([keccak(b"nope")])


def test_reverts_deprecated_model(staking, registry, agents, model_id, other_model_id, publisher):
    with boa.env.prank(publisher):
        registry.deprecateModel(other_model_id)
    with boa.env.prank(agents[0].owner), boa.reverts("staking: model not active"):
        staking.setModels([model_id, other_model_id])


def test_reverts_when_paused(staking, owner, agents, other_model_id):
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(agents[0].owner), boa.reverts("pausable: contract is paused"):
        staking.setModels([other_model_id])
