import boa
from eth_utils import keccak

from tests.contracts.unitary.helpers import events

MODEL = keccak(b"registry unit: a model deprecated by a squatter")


def _deprecated(registry, publisher):
    with boa.env.prank(publisher):
        registry.registerModel(MODEL, 1, "ipfs://m")
        registry.deprecateModel(MODEL)
    return MODEL


def test_owner_reinstates_a_deprecated_model(
    registry, owner, stranger, create_task, market, agents
):
    model = _deprecated(registry, stranger)
    index = registry.modelInfo(model).index
    with boa.env.prank(owner):
        registry.reinstateModel(model)
    (ev,) = events(registry, "ModelReinstated")
    assert ev.model_id == model
    assert registry.isActive(model)
    assert registry.activeIndex(model) == (True, index)
    assert registry.modelInfo(model).status == 1


def test_a_reinstated_model_takes_tasks_again(
    registry, owner, publisher, model_id, create_task, market
):
    with boa.env.prank(publisher):
        registry.deprecateModel(model_id)
    with boa.reverts("market: model not active"):
        create_task()
    with boa.env.prank(owner):
        registry.reinstateModel(model_id)
    assert market.taskPhase(create_task()) == 2


def test_reverts_for_non_owner(registry, stranger):
    model = _deprecated(registry, stranger)
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        registry.reinstateModel(model)


def test_reverts_unknown_model(registry, owner):
    with boa.env.prank(owner), boa.reverts("registry: unknown model"):
        registry.reinstateModel(keccak(b"never registered"))


def test_reverts_active_model(registry, owner, model_id):
    with boa.env.prank(owner), boa.reverts("registry: model not deprecated"):
        registry.reinstateModel(model_id)
