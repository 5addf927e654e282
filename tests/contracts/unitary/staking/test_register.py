import boa
import pytest
from eth_utils import keccak

from tests.contracts.unitary.helpers import ZERO_ADDRESS, event_names, events
from tests.contracts.utils import storage
from tests.contracts.utils.protocol import ETHER, new_agent
from tests.contracts.utils.storage import model_leaves_slot

MAX_STAKE = 2**80 - 1
ENDPOINT = "https://agent.example/health"


def _register(staking, agent, models, value=ETHER, endpoint=ENDPOINT, signer=None):
    with boa.env.prank(agent.owner):
        staking.register(
            agent.signer.address if signer is None else signer, models, endpoint, value=value
        )


def test_registers_and_becomes_eligible(staking, model_id, other_model_id, agents):
    agent = new_agent()
    before_count = staking.eligibleCount(model_id)
    before_weight = staking.totalWeight(model_id)
    before_total = staking.total_staked()

    _register(staking, agent, [model_id, other_model_id], value=2 * ETHER)
    assert event_names(staking) == [
        "AgentRegistered",
        "ModelsSet",
        "EndpointSet",
        "WeightChanged",
        "WeightChanged",
    ]
    (reg,) = events(staking, "AgentRegistered")
    assert (reg.agent, reg.signer, reg.stake) == (agent.owner, agent.signer.address, 2 * ETHER)
    (models_set,) = events(staking, "ModelsSet")
    assert models_set.agent == agent.owner
    assert models_set.models == [model_id, other_model_id]
    (endpoint,) = events(staking, "EndpointSet")
    assert endpoint.endpoint == ENDPOINT
    weights = events(staking, "WeightChanged")
    assert [(w.agent, w.model_id, w.weight) for w in weights] == [
        (agent.owner, model_id, 2 * ETHER),
        (agent.owner, other_model_id, 2 * ETHER),
    ]

    info = staking.agentInfo(agent.owner)
    assert info.signer == agent.signer.address
    assert info.status == 1
    assert info.stake == 2 * ETHER
    assert info.pending_unstake == 0
    assert info.unbond_at == 0
    assert info.weight == 2 * ETHER
    assert info.models == [model_id, other_model_id]
    assert info.endpoint == ENDPOINT
    assert (info.agreed, info.disagreed, info.missed) == (0, 0, 0)
    assert staking.agentOfSigner(agent.signer.address) == agent.owner
    assert staking.eligibleCount(model_id) == before_count + 1
    assert staking.totalWeight(model_id) == before_weight + 2 * ETHER
    assert staking.weightOf(agent.owner, other_model_id) == 2 * ETHER
    assert str(staking.agentsForModel(model_id)[-1]) == agent.owner
    assert staking.total_staked() == before_total + 2 * ETHER
    assert boa.env.get_balance(staking.address) == staking.total_staked()


def test_empty_endpoint_emits_no_endpoint_event(staking, model_id):
    _register(staking, new_agent(), [model_id], endpoint="")
    assert "EndpointSet" not in event_names(staking)


def test_stake_at_minimum_is_accepted(staking, model_id, params):
    agent = new_agent()
    _register(staking, agent, [model_id], value=params.min_stake)
    assert staking.weightOf(agent.owner, model_id) == params.min_stake


def test_reverts_stake_below_minimum(staking, model_id, params):
    with boa.reverts("staking: stake below minimum"):
        _register(staking, new_agent(), [model_id], value=params.min_stake - 1)


def test_stake_at_maximum_is_accepted_and_one_more_reverts(staking, model_id):
    agent = new_agent(balance=2 * MAX_STAKE)
    with boa.reverts("staking: stake too large"):
        _register(staking, agent, [model_id], value=MAX_STAKE + 1)
    _register(staking, agent, [model_id], value=MAX_STAKE)
    assert staking.weightOf(agent.owner, model_id) == MAX_STAKE


def test_reverts_already_registered(staking, model_id, agents):
    agent = agents[0]
    with boa.reverts("staking: already registered"):
        _register(staking, agent, [model_id], signer=boa.env.generate_address())


def test_reverts_when_caller_is_a_signer(staking, model_id, agents):
    # A signer key can never become an agent owner.
    signer = agents[0].signer.address
    boa.env.set_balance(signer, 10 * ETHER)
    with boa.env.prank(signer), boa.reverts("staking: caller is a signer"):
        staking.register(boa.env.generate_address(), [model_id], "", value=ETHER)


def test_reverts_zero_signer(staking, model_id):
    with boa.reverts("staking: zero signer"):
        _register(staking, new_agent(), [model_id], signer=ZERO_ADDRESS)


def test_reverts_signer_is_the_caller(staking, model_id):
    agent = new_agent()
    with boa.reverts("staking: signer is the agent"):
        _register(staking, agent, [model_id], signer=agent.owner)


def test_reverts_signer_is_another_agent_owner(staking, model_id, agents):
    with boa.reverts("staking: signer is an agent"):
        _register(staking, new_agent(), [model_id], signer=agents[0].owner)


def test_reverts_signer_already_bound(staking, model_id, agents):
    with boa.reverts("staking: signer already bound"):
        _register(staking, new_agent(), [model_id], signer=agents[0].signer.address)


def test_reverts_no_models(staking):
    with boa.reverts("staking: no models"):
        _register(staking, new_agent(), [])


def test_reverts_unknown_model(staking, model_id):
    with boa.reverts("staking: model not active"):
        _register(staking, new_agent(), [model_id, keccak(b"unknown model")])


def test_reverts_deprecated_model(staking, registry, model_id, other_model_id, publisher):
    with boa.env.prank(publisher):
        registry.deprecateModel(other_model_id)
    with boa.reverts("staking: model not active"):
        _register(staking, new_agent(), [model_id, other_model_id])


def test_reverts_duplicate_model(staking, model_id, other_model_id):
    with boa.reverts("staking: duplicate model"):
        _register(staking, new_agent(), [model_id, other_model_id, model_id])


def test_sixteen_models_is_the_limit(staking, registry):
    ids = [keccak(b"sixteen %d" % i) for i in range(16)]
    for mid in ids:
        registry.registerModel(mid, 0, "ipfs://m")
    agent = new_agent()
    _register(staking, agent, ids)
    assert staking.modelsOf(agent.owner) == ids
    assert all(staking.eligibleCount(mid) == 1 for mid in ids)


def test_reverts_when_paused(staking, owner, model_id):
    with boa.env.prank(owner):
        staking.pause()
    with boa.reverts("pausable: contract is paused"):
        _register(staking, new_agent(), [model_id])


def test_reverts_when_the_model_tree_is_full(staking, registry):
    # Registering 2,048 agents takes long, so the leaf counter is set in storage
    # instead (layout read from the compiler): the next new agent finds no leaf.
    mid = keccak(b"a crowded model")
    registry.registerModel(mid, 0, "ipfs://m")
    first = new_agent()
    _register(staking, first, [mid])
    slot = model_leaves_slot(staking, mid)
    word = storage.read(staking, slot)
    assert word & (2**16 - 1) == 1  # one leaf: the slot is the right one
    storage.write(staking, slot, word - 1 + 2_048)
    assert staking.eligibleCount(mid) == 1
    assert staking.leafStats(mid) == (2_048, 1, 0)

    with boa.reverts("stake_tree: model has too many agents"):
        _register(staking, new_agent(), [mid])
    # An agent that already holds a leaf keeps it.
    with boa.env.prank(first.owner):
        staking.addStake(value=ETHER)
    assert staking.weightOf(first.owner, mid) == 2 * ETHER


@pytest.mark.parametrize("stake_eth", [1, 3])
def test_weight_is_the_stake(staking, model_id, stake_eth):
    agent = new_agent()
    _register(staking, agent, [model_id], value=stake_eth * ETHER)
    assert staking.weightOf(agent.owner, model_id) == stake_eth * ETHER
