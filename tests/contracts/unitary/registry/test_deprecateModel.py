import boa
from eth_utils import keccak

from tests.contracts.unitary.helpers import events

MODEL = keccak(b"registry unit: a model to deprecate")


def _register(registry, publisher):
    with boa.env.prank(publisher):
        registry.registerModel(MODEL, 1, "ipfs://m")


def test_publisher_deprecates(registry, stranger):
    _register(registry, stranger)
    with boa.env.prank(stranger):
        registry.deprecateModel(MODEL)
    logs = events(registry, "ModelDeprecated")

    assert len(logs) == 1
    assert logs[0].model_id == MODEL
    assert logs[0].caller == stranger
    assert not registry.isActive(MODEL)
    assert registry.activeIndex(MODEL)[0] is False
    info = registry.modelInfo(MODEL)
    assert info.status == 2
    assert info.publisher == stranger
    assert info.kind == 1


def test_protocol_owner_deprecates(registry, owner, stranger):
    _register(registry, stranger)
    with boa.env.prank(owner):
        registry.deprecateModel(MODEL)
    assert events(registry, "ModelDeprecated")[0].caller == owner
    assert registry.modelInfo(MODEL).status == 2


def test_reverts_for_anyone_else(registry, stranger, publisher):
    _register(registry, stranger)
    with boa.env.prank(publisher), boa.reverts("registry: caller is not the publisher or owner"):
        registry.deprecateModel(MODEL)
    assert registry.isActive(MODEL)


def test_reverts_unknown_model(registry):
    with boa.reverts("registry: unknown model"):
        registry.deprecateModel(MODEL)


def test_reverts_already_deprecated(registry, stranger):
    _register(registry, stranger)
    with boa.env.prank(stranger):
        registry.deprecateModel(MODEL)
        with boa.reverts("registry: model already deprecated"):
            registry.deprecateModel(MODEL)


def test_deprecated_model_is_rejected_everywhere(
    registry, staking, market, model_id, publisher, agents, make_agent, params, requester
):
    with boa.env.prank(publisher):
        registry.deprecateModel(model_id)
    with boa.env.prank(requester), boa.reverts("market: model not active"):
        market.createTask(model_id, b"{}", 1, 1, [], value=params.min_fee_per_agent)
    with boa.reverts("staking: model not active"):
        make_agent(models=[model_id])
    with boa.env.prank(agents[0].owner), boa.reverts("staking: model not active"):
        staking.setModels([model_id])


def test_a_new_protocol_owner_deprecates(registry, owner, stranger, publisher):
    _register(registry, publisher)
    with boa.env.prank(owner):
        registry.transfer_ownership(stranger)
    with boa.env.prank(stranger):
        registry.accept_ownership()
        registry.deprecateModel(MODEL)
    assert registry.modelInfo(MODEL).status == 2
