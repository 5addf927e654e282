import boa
import pytest
from eth_utils import keccak

from tests.contracts.unitary.helpers import ZERO_BYTES32, events

MODEL = keccak(b"registry unit: a fresh model package")
URI = "ipfs://bafy/manifest.json"


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_registers_every_model_kind(registry, stranger, kind):
    count = registry.model_count()
    with boa.env.prank(stranger):
        registry.registerModel(MODEL, kind, URI)
    logs = events(registry, "ModelRegistered")

    assert len(logs) == 1
    assert logs[0].model_id == MODEL
    assert logs[0].publisher == stranger
    assert logs[0].kind == kind
    assert logs[0].manifest_uri == URI

    info = registry.modelInfo(MODEL)
    assert info.publisher == stranger
    assert info.kind == kind
    assert info.status == 1
    assert info.index == count
    assert info.manifest_uri == URI
    assert registry.isActive(MODEL)
    assert registry.activeIndex(MODEL) == (True, count)
    assert registry.modelIdAt(count) == MODEL
    assert registry.model_count() == count + 1


def test_indices_follow_registration_order(registry, stranger):
    count = registry.model_count()
    ids = [keccak(bytes([i])) for i in range(3)]
    with boa.env.prank(stranger):
        for mid in ids:
            registry.registerModel(mid, 0, URI)
    assert [registry.modelIdAt(count + i) for i in range(3)] == ids
    assert [registry.activeIndex(mid)[1] for mid in ids] == [count, count + 1, count + 2]


def test_longest_manifest_uri_is_kept(registry):
    uri = "x" * 256
    registry.registerModel(MODEL, 2, uri)
    assert registry.modelInfo(MODEL).manifest_uri == uri


@pytest.mark.parametrize("kind", [3, 255])
def test_reverts_unknown_kind(registry, kind):
    with boa.reverts("registry: unknown model kind"):
        registry.registerModel(MODEL, kind, URI)


def test_reverts_empty_model_id(registry):
    with boa.reverts("registry: empty model id"):
        registry.registerModel(ZERO_BYTES32, 0, URI)


def test_reverts_empty_manifest_uri(registry):
    with boa.reverts("registry: empty manifest uri"):
        registry.registerModel(MODEL, 0, "")


def test_reverts_already_registered(registry, stranger):
    registry.registerModel(MODEL, 0, URI)
    with boa.env.prank(stranger), boa.reverts("registry: model already registered"):
        registry.registerModel(MODEL, 1, "other")


def test_deprecated_model_cannot_be_registered_again(registry):
    registry.registerModel(MODEL, 0, URI)
    registry.deprecateModel(MODEL)
    with boa.reverts("registry: model already registered"):
        registry.registerModel(MODEL, 0, URI)
