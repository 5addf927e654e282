from eth_utils import keccak

from tests.contracts.unitary.helpers import ZERO_ADDRESS, ZERO_BYTES32

UNKNOWN = keccak(b"registry unit: never registered")


def test_unknown_model_views_do_not_revert(registry):
    assert registry.isActive(UNKNOWN) is False
    assert registry.activeIndex(UNKNOWN) == (False, 0)
    info = registry.modelInfo(UNKNOWN)
    assert info.publisher == ZERO_ADDRESS
    assert info.status == 0
    assert info.kind == 0
    assert info.index == 0
    assert info.manifest_uri == ""
    assert registry.modelIdAt(2**255) == ZERO_BYTES32


def test_fixture_models_are_active(registry, model_id, other_model_id, publisher):
    for mid, kind in ((model_id, 0), (other_model_id, 2)):
        info = registry.modelInfo(mid)
        assert info.publisher == publisher
        assert info.kind == kind
        assert registry.isActive(mid)
        assert registry.modelIdAt(info.index) == mid
