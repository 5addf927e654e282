import boa
import pytest
from eth_utils import keccak

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events

MODEL = keccak(b"registry unit: a model registered by the wrong party")


@pytest.fixture
def squatted(registry, stranger):
    """A package id registered first by someone who is not its publisher."""
    with boa.env.prank(stranger):
        registry.registerModel(MODEL, 2, "ipfs://fake-manifest")
    return MODEL


def test_owner_corrects_a_registration(registry, owner, publisher, squatted, stranger):
    index = registry.modelInfo(squatted).index
    with boa.env.prank(owner):
        registry.correctModel(squatted, publisher, 0, "ipfs://real-manifest")
    (ev,) = events(registry, "ModelCorrected")
    assert (ev.model_id, ev.publisher, ev.kind, ev.manifest_uri) == (
        squatted,
        publisher,
        0,
        "ipfs://real-manifest",
    )
    info = registry.modelInfo(squatted)
    assert (info.publisher, info.kind, info.status, info.index) == (publisher, 0, 1, index)
    assert info.manifest_uri == "ipfs://real-manifest"
    assert registry.isActive(squatted)
    # The squatter lost its publisher's rights; the real publisher has them.
    with boa.env.prank(stranger), boa.reverts("registry: caller is not the publisher or owner"):
        registry.deprecateModel(squatted)
    with boa.env.prank(publisher):
        registry.deprecateModel(squatted)


def test_corrects_a_deprecated_model_without_reinstating_it(
    registry, owner, publisher, squatted, stranger
):
    with boa.env.prank(stranger):
        registry.deprecateModel(squatted)
    with boa.env.prank(owner):
        registry.correctModel(squatted, publisher, 1, "ipfs://m")
    assert registry.modelInfo(squatted).status == 2
    assert not registry.isActive(squatted)


def test_reverts_for_non_owner(registry, squatted, stranger, publisher):
    for caller in (stranger, publisher):
        with boa.env.prank(caller), boa.reverts("ownable: caller is not the owner"):
            registry.correctModel(squatted, caller, 0, "ipfs://m")


def test_reverts_unknown_model(registry, owner, publisher):
    with boa.env.prank(owner), boa.reverts("registry: unknown model"):
        registry.correctModel(keccak(b"never registered"), publisher, 0, "ipfs://m")


def test_reverts_zero_publisher(registry, owner, squatted):
    with boa.env.prank(owner), boa.reverts("registry: zero publisher"):
        registry.correctModel(squatted, ZERO_ADDRESS, 0, "ipfs://m")


def test_reverts_unknown_kind(registry, owner, squatted, publisher):
    with boa.env.prank(owner), boa.reverts("registry: unknown model kind"):
        registry.correctModel(squatted, publisher, 3, "ipfs://m")


def test_reverts_empty_manifest(registry, owner, squatted, publisher):
    with boa.env.prank(owner), boa.reverts("registry: empty manifest uri"):
        registry.correctModel(squatted, publisher, 0, "")
